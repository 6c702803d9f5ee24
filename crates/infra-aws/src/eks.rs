//! `aws_eks_cluster` (resource and data source), and the waits EKS needs.
//!
//! Clusters take 10–15 minutes to create on AWS: create returns as soon as EKS has the
//! cluster (status CREATING), then [`wait_cluster_active`] polls DescribeCluster with
//! backoff up to the EKS wait timeout, logging progress every 30 s. Version and access
//! settings change in place through UpdateClusterVersion / UpdateClusterConfig, waiting
//! for the update (DescribeUpdate) to finish. Refresh is one ListClusters scan plus a
//! DescribeCluster of each of ours. The id is the cluster name, as in Terraform.

use std::collections::{BTreeMap, HashMap, HashSet};

use aws_sdk_eks::types::{
    Cluster, ClusterStatus, LogSetup, LogType, Logging, Update, UpdateStatus, VpcConfigRequest,
};
use infra_model::Value;
use infra_provider::{CreateRequest, ErrorKind, ProviderError, ReadRequest};

use crate::errors::{is_not_found, missing};
use crate::util::{
    create_tag_pairs, first_block, get_bool, get_str, get_strings, opt, pairs_have_infra_tags,
    put_tag_pairs, strings, tag_changes,
};
use crate::AwsProvider;

const TYPE: &str = "aws_eks_cluster";

pub(crate) async fn describe(
    p: &AwsProvider,
    name: &str,
) -> Result<Option<Cluster>, ProviderError> {
    match p
        .call("eks:DescribeCluster", || {
            p.eks().describe_cluster().name(name).send()
        })
        .await
    {
        Ok(out) => Ok(out.cluster().cloned()),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

pub(crate) async fn list_clusters(p: &AwsProvider) -> Result<HashSet<String>, ProviderError> {
    let mut out = HashSet::new();
    let mut token: Option<String> = None;
    loop {
        let page = p
            .call("eks:ListClusters", || {
                p.eks()
                    .list_clusters()
                    .max_results(100)
                    .set_next_token(token.clone())
                    .send()
            })
            .await?;
        out.extend(page.clusters().iter().cloned());
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => return Ok(out),
        }
    }
}

fn tag_iter(tags: Option<&HashMap<String, String>>) -> impl Iterator<Item = (&str, &str)> {
    tags.into_iter()
        .flatten()
        .map(|(k, v)| (k.as_str(), v.as_str()))
}

/// A list-of-strings field the emulator may leave out: the prior's value when absent.
fn or_prior(cloud: &[String], prior: &Value, key: &str) -> Value {
    if cloud.is_empty() {
        if let v @ Value::List(_) = prior.get(key) {
            return v.clone();
        }
    }
    strings(cloud.iter().map(String::as_str))
}

pub(crate) fn cluster_value(c: &Cluster, prior: Option<&Value>) -> Value {
    let name = c.name().unwrap_or_default();
    let mut m = BTreeMap::new();
    m.insert("id".into(), Value::string(name));
    m.insert("name".into(), Value::string(name));
    m.insert("arn".into(), opt(c.arn()));
    m.insert("role_arn".into(), opt(c.role_arn()));
    m.insert("version".into(), opt(c.version()));
    m.insert("endpoint".into(), opt(c.endpoint()));
    m.insert("platform_version".into(), opt(c.platform_version()));
    m.insert("status".into(), opt(c.status().map(ClusterStatus::as_str)));
    let logs: Vec<&str> = c
        .logging()
        .map(|l| {
            l.cluster_logging()
                .iter()
                .filter(|s| s.enabled() == Some(true))
                .flat_map(|s| s.types().iter().map(LogType::as_str))
                .collect()
        })
        .unwrap_or_default();
    m.insert("enabled_cluster_log_types".into(), strings(logs));
    m.insert(
        "certificate_authority".into(),
        Value::List(vec![Value::map([(
            "data",
            opt(c.certificate_authority().and_then(|a| a.data())),
        )])]),
    );
    // `identity[0].oidc[0].issuer`, as the provider exports it
    m.insert(
        "identity".into(),
        Value::List(vec![Value::map([(
            "oidc",
            Value::List(vec![Value::map([(
                "issuer",
                opt(c.identity().and_then(|i| i.oidc()).and_then(|o| o.issuer())),
            )])]),
        )])]),
    );
    let prior_vpc = prior
        .map(|p| first_block(p, "vpc_config").clone())
        .unwrap_or_default();
    let vpc = c.resources_vpc_config().map(|v| {
        Value::map([
            (
                "subnet_ids",
                or_prior(v.subnet_ids(), &prior_vpc, "subnet_ids"),
            ),
            (
                "security_group_ids",
                or_prior(v.security_group_ids(), &prior_vpc, "security_group_ids"),
            ),
            (
                "endpoint_private_access",
                Value::Bool(v.endpoint_private_access()),
            ),
            (
                "endpoint_public_access",
                Value::Bool(v.endpoint_public_access()),
            ),
            (
                "public_access_cidrs",
                strings(v.public_access_cidrs().iter().map(String::as_str)),
            ),
            (
                "cluster_security_group_id",
                opt(v.cluster_security_group_id()),
            ),
            ("vpc_id", opt(v.vpc_id())),
        ])
    });
    m.insert("vpc_config".into(), Value::List(vpc.into_iter().collect()));
    crate::eks_v21::put_cluster(&mut m, c, prior);
    put_tag_pairs(&mut m, tag_iter(c.tags()), prior);
    Value::Map(m)
}

pub(crate) async fn read(
    p: &AwsProvider,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    let existing = list_clusters(p).await?;
    let mut out = BTreeMap::new();
    for i in items.iter().filter(|i| existing.contains(&i.id)) {
        if let Some(c) = describe(p, &i.id).await? {
            out.insert(i.id.clone(), cluster_value(&c, Some(&i.prior)));
        }
    }
    Ok(out)
}

/// The VPC settings to send: all of them at creation; on update the access settings, plus
/// the security groups when `with_groups`.
fn vpc_request(v: &Value, with_subnets: bool, with_groups: bool) -> VpcConfigRequest {
    let cidrs = get_strings(v, "public_access_cidrs");
    VpcConfigRequest::builder()
        .set_subnet_ids(with_subnets.then(|| get_strings(v, "subnet_ids")))
        .set_security_group_ids(
            (with_subnets || with_groups).then(|| get_strings(v, "security_group_ids")),
        )
        .set_endpoint_private_access(get_bool(v, "endpoint_private_access"))
        .set_endpoint_public_access(get_bool(v, "endpoint_public_access"))
        .set_public_access_cidrs((!cidrs.is_empty()).then_some(cidrs))
        .build()
}

fn logging(types: &[String]) -> Logging {
    let all = [
        "api",
        "audit",
        "authenticator",
        "controllerManager",
        "scheduler",
    ];
    let on: Vec<LogType> = types.iter().map(|t| LogType::from(t.as_str())).collect();
    let off: Vec<LogType> = all
        .iter()
        .filter(|t| !types.iter().any(|x| x == *t))
        .map(|t| LogType::from(*t))
        .collect();
    let mut setups = vec![LogSetup::builder()
        .set_types(Some(on))
        .enabled(true)
        .build()];
    if !off.is_empty() {
        setups.push(
            LogSetup::builder()
                .set_types(Some(off))
                .enabled(false)
                .build(),
        );
    }
    Logging::builder().set_cluster_logging(Some(setups)).build()
}

pub(crate) async fn create(p: &AwsProvider, req: &CreateRequest) -> Result<Value, ProviderError> {
    let c = &req.config;
    let name = get_str(c, "name").ok_or_else(|| missing(TYPE, "name"))?;
    let role = get_str(c, "role_arn").ok_or_else(|| missing(TYPE, "role_arn"))?;
    let vpc = vpc_request(first_block(c, "vpc_config"), true, true);
    let logs = get_strings(c, "enabled_cluster_log_types");
    let tags: HashMap<String, String> = create_tag_pairs(req).into_iter().collect();
    let outpost = crate::eks_v21::outpost(c)?;
    let out = p
        .call("eks:CreateCluster", || {
            crate::eks_v21::create_request(p.eks().create_cluster(), c, outpost.clone())
                .name(name)
                .role_arn(role)
                .set_version(get_str(c, "version").map(str::to_string))
                .resources_vpc_config(vpc.clone())
                .set_logging((!logs.is_empty()).then(|| logging(&logs)))
                .set_tags(Some(tags.clone()))
                .client_request_token(&req.token)
                .send()
        })
        .await?;
    match out.cluster() {
        Some(cl) => Ok(cluster_value(cl, Some(c))),
        None => p.read_back(TYPE, name, c).await,
    }
}

/// Poll DescribeCluster until the cluster is ACTIVE.
pub(crate) async fn wait_cluster_active(
    p: &AwsProvider,
    name: &str,
    current: &Value,
) -> Result<Value, ProviderError> {
    let what = format!("EKS cluster {name} to become ACTIVE");
    p.poll_eks(&what, || async {
        let Some(c) = describe(p, name).await? else {
            return Err(ProviderError::not_found(format!(
                "EKS cluster {name} disappeared while creating; run again to recreate it"
            )));
        };
        match c.status() {
            Some(ClusterStatus::Active) | None => Ok(Some(cluster_value(&c, Some(current)))),
            Some(ClusterStatus::Failed) => Err(ProviderError::new(
                ErrorKind::Rejected,
                format!("EKS cluster {name} failed to create; see its health issues with `aws eks describe-cluster --name {name}`, delete it, and run again"),
            )),
            Some(_) => Ok(None),
        }
    })
    .await
}

/// Wait for an EKS update to finish, when the API returned one still in progress.
pub(crate) async fn wait_update(
    p: &AwsProvider,
    cluster: &str,
    nodegroup: Option<&str>,
    update: Option<&Update>,
) -> Result<(), ProviderError> {
    wait_update_for(p, cluster, nodegroup, None, update).await
}

/// [`wait_update`] of a node group's or an add-on's update (DescribeUpdate names either).
pub(crate) async fn wait_update_for(
    p: &AwsProvider,
    cluster: &str,
    nodegroup: Option<&str>,
    addon: Option<&str>,
    update: Option<&Update>,
) -> Result<(), ProviderError> {
    wait_update_of(p, cluster, [nodegroup, addon, None], update).await
}

/// [`wait_update`] of the update of a cluster's node group, add-on or capability (the one
/// of `[nodegroup, addon, capability]` that is named).
pub(crate) async fn wait_update_of(
    p: &AwsProvider,
    cluster: &str,
    [nodegroup, addon, capability]: [Option<&str>; 3],
    update: Option<&Update>,
) -> Result<(), ProviderError> {
    let Some(id) = update.and_then(Update::id) else {
        return Ok(());
    };
    let check = |u: &Update| -> Result<Option<()>, ProviderError> {
        match u.status() {
            Some(UpdateStatus::Successful) | None => Ok(Some(())),
            Some(UpdateStatus::Failed | UpdateStatus::Cancelled) => {
                let why: Vec<String> = u
                    .errors()
                    .iter()
                    .filter_map(|e| e.error_message().map(str::to_string))
                    .collect();
                Err(ProviderError::new(
                    ErrorKind::Rejected,
                    format!(
                        "EKS update {id} of {cluster} failed: {}; fix the cause and run again",
                        why.join("; ")
                    ),
                ))
            }
            Some(_) => Ok(None),
        }
    };
    if let Some(Some(())) = update.map(check).transpose()? {
        return Ok(());
    }
    let what = format!("EKS update {id} of {cluster}");
    p.poll_eks(&what, || async {
        let out = p
            .call("eks:DescribeUpdate", || {
                p.eks()
                    .describe_update()
                    .name(cluster)
                    .update_id(id)
                    .set_nodegroup_name(nodegroup.map(str::to_string))
                    .set_addon_name(addon.map(str::to_string))
                    .set_capability_name(capability.map(str::to_string))
                    .send()
            })
            .await?;
        match out.update() {
            Some(u) => check(u),
            None => Ok(Some(())),
        }
    })
    .await
}

pub(crate) async fn update(
    p: &AwsProvider,
    id: &str,
    prior: &Value,
    desired: &Value,
) -> Result<Value, ProviderError> {
    let version = get_str(desired, "version");
    if version.is_some() && version != get_str(prior, "version") {
        let out = p
            .call("eks:UpdateClusterVersion", || {
                p.eks()
                    .update_cluster_version()
                    .name(id)
                    .set_version(version.map(str::to_string))
                    .set_force(get_bool(desired, "force_update_version"))
                    .send()
            })
            .await?;
        wait_update(p, id, None, out.update()).await?;
    }
    let (pv, dv) = (
        first_block(prior, "vpc_config"),
        first_block(desired, "vpc_config"),
    );
    let access = ["endpoint_private_access", "endpoint_public_access"]
        .iter()
        .any(|k| get_bool(pv, k) != get_bool(dv, k))
        || sorted(pv, "public_access_cidrs") != sorted(dv, "public_access_cidrs");
    let groups = sorted(pv, "security_group_ids") != sorted(dv, "security_group_ids");
    if access || groups {
        let vpc = vpc_request(dv, false, groups);
        let out = p
            .call("eks:UpdateClusterConfig", || {
                p.eks()
                    .update_cluster_config()
                    .name(id)
                    .resources_vpc_config(vpc.clone())
                    .send()
            })
            .await?;
        wait_update(p, id, None, out.update()).await?;
    }
    let (old_logs, new_logs) = (
        get_strings(prior, "enabled_cluster_log_types"),
        get_strings(desired, "enabled_cluster_log_types"),
    );
    if old_logs.iter().collect::<HashSet<_>>() != new_logs.iter().collect::<HashSet<_>>() {
        let out = p
            .call("eks:UpdateClusterConfig", || {
                p.eks()
                    .update_cluster_config()
                    .name(id)
                    .logging(logging(&new_logs))
                    .send()
            })
            .await?;
        wait_update(p, id, None, out.update()).await?;
    }
    crate::eks_v21::update(p, id, prior, desired).await?;
    if let Some(arn) = get_str(prior, "arn") {
        update_tags(p, arn, prior, desired).await?;
    }
    let done = wait_cluster_active(p, id, desired).await?;
    Ok(done)
}

fn sorted(v: &Value, key: &str) -> Vec<String> {
    let mut l = get_strings(v, key);
    l.sort();
    l
}

/// TagResource / UntagResource on an EKS ARN; `infra:*` tags are never touched.
pub(crate) async fn update_tags(
    p: &AwsProvider,
    arn: &str,
    prior: &Value,
    desired: &Value,
) -> Result<(), ProviderError> {
    let (removed, changed) = tag_changes(prior, desired);
    if !removed.is_empty() {
        p.call("eks:UntagResource", || {
            p.eks()
                .untag_resource()
                .resource_arn(arn)
                .set_tag_keys(Some(removed.clone()))
                .send()
        })
        .await?;
    }
    if !changed.is_empty() {
        let tags: HashMap<String, String> = changed.into_iter().collect();
        p.call("eks:TagResource", || {
            p.eks()
                .tag_resource()
                .resource_arn(arn)
                .set_tags(Some(tags.clone()))
                .send()
        })
        .await?;
    }
    Ok(())
}

pub(crate) async fn delete(p: &AwsProvider, id: &str) -> Result<(), ProviderError> {
    p.settle(id, || async {
        crate::errors::eks_in_use_is_a_dependency(
            p.call("eks:DeleteCluster", || {
                p.eks().delete_cluster().name(id).send()
            })
            .await,
        )
    })
    .await?;
    let what = format!("EKS cluster {id} to be deleted");
    p.poll_eks(&what, || async {
        Ok(describe(p, id).await?.is_none().then_some(()))
    })
    .await
}

pub(crate) async fn adopt(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    let Some(name) = get_str(&req.config, "name") else {
        return Ok(None);
    };
    Ok(describe(p, name)
        .await?
        .filter(|c| pairs_have_infra_tags(tag_iter(c.tags()), req))
        .map(|c| cluster_value(&c, Some(&req.config))))
}

/// The `aws_eks_cluster` data source.
pub(crate) async fn read_data(p: &AwsProvider, args: &Value) -> Result<Value, ProviderError> {
    let name = get_str(args, "name").ok_or_else(|| missing("data.aws_eks_cluster", "name"))?;
    let c = describe(p, name).await?.ok_or_else(|| {
        ProviderError::not_found(format!(
            "no EKS cluster named `{name}` in {}; check the name and the region",
            p.region()
        ))
    })?;
    let v = cluster_value(&c, None);
    Ok(Value::map([
        ("name", Value::string(name)),
        ("id", v.get("id").clone()),
        ("arn", v.get("arn").clone()),
        ("endpoint", v.get("endpoint").clone()),
        ("version", v.get("version").clone()),
        ("platform_version", v.get("platform_version").clone()),
        ("status", v.get("status").clone()),
        ("role_arn", v.get("role_arn").clone()),
        ("tags", v.get("tags_all").clone()),
        (
            "certificate_authority",
            v.get("certificate_authority").clone(),
        ),
        ("identity", v.get("identity").clone()),
        ("vpc_config", v.get("vpc_config").clone()),
    ]))
}
