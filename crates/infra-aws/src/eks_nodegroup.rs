//! `aws_eks_node_group`: managed node groups.
//!
//! Scaling, update_config, labels and taints change in place through
//! UpdateNodegroupConfig; version, release version and the launch template version
//! through UpdateNodegroupVersion; both wait for the update to finish. Refresh is one
//! ListNodegroups per cluster plus a DescribeNodegroup of each of ours. The id is
//! `<cluster_name>:<node_group_name>`, as in Terraform.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_eks::types::{
    AmiTypes, CapacityTypes, LaunchTemplateSpecification, Nodegroup, NodegroupScalingConfig,
    NodegroupStatus, NodegroupUpdateConfig, NodegroupUpdateStrategies, Taint, TaintEffect,
    UpdateLabelsPayload, UpdateTaintsPayload,
};
use infra_model::Value;
use infra_provider::{CreateRequest, ErrorKind, ProviderError, ReadRequest};

use crate::errors::{is_not_found, missing};
use crate::util::{
    create_tag_pairs, first_block, get_bool, get_i64, get_str, get_strings, opt,
    pairs_have_infra_tags, put_tag_pairs, strings,
};
use crate::AwsProvider;

const TYPE: &str = "aws_eks_node_group";

fn split_id(id: &str) -> Result<(&str, &str), ProviderError> {
    id.split_once(':').ok_or_else(|| {
        ProviderError::new(
            ErrorKind::Rejected,
            format!("`{id}` is not a node group id; expected `<cluster_name>:<node_group_name>`"),
        )
    })
}

async fn describe(
    p: &AwsProvider,
    cluster: &str,
    name: &str,
) -> Result<Option<Nodegroup>, ProviderError> {
    match p
        .call("eks:DescribeNodegroup", || {
            p.eks()
                .describe_nodegroup()
                .cluster_name(cluster)
                .nodegroup_name(name)
                .send()
        })
        .await
    {
        Ok(out) => Ok(out.nodegroup().cloned()),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

async fn list(p: &AwsProvider, cluster: &str) -> Result<Vec<String>, ProviderError> {
    let mut out = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let page = match p
            .call("eks:ListNodegroups", || {
                p.eks()
                    .list_nodegroups()
                    .cluster_name(cluster)
                    .max_results(100)
                    .set_next_token(token.clone())
                    .send()
            })
            .await
        {
            Ok(page) => page,
            Err(e) if is_not_found(&e) => return Ok(out),
            Err(e) => return Err(e),
        };
        out.extend(page.nodegroups().iter().cloned());
        match page.next_token() {
            Some(t) if !t.is_empty() => token = Some(t.to_string()),
            _ => return Ok(out),
        }
    }
}

fn num(n: Option<i32>) -> Value {
    n.map(|n| Value::Number(f64::from(n)))
        .unwrap_or(Value::Null)
}

fn nodegroup_value(ng: &Nodegroup, prior: Option<&Value>) -> Value {
    let cluster = ng.cluster_name().unwrap_or_default();
    let name = ng.nodegroup_name().unwrap_or_default();
    let mut m = BTreeMap::new();
    m.insert("id".into(), Value::string(format!("{cluster}:{name}")));
    m.insert("cluster_name".into(), Value::string(cluster));
    m.insert("node_group_name".into(), Value::string(name));
    m.insert("arn".into(), opt(ng.nodegroup_arn()));
    m.insert("node_role_arn".into(), opt(ng.node_role()));
    m.insert(
        "subnet_ids".into(),
        strings(ng.subnets().iter().map(String::as_str)),
    );
    m.insert(
        "instance_types".into(),
        strings(ng.instance_types().iter().map(String::as_str)),
    );
    m.insert(
        "capacity_type".into(),
        Value::string(
            ng.capacity_type()
                .map(CapacityTypes::as_str)
                .unwrap_or("ON_DEMAND"),
        ),
    );
    m.insert("disk_size".into(), num(ng.disk_size()));
    m.insert("ami_type".into(), opt(ng.ami_type().map(AmiTypes::as_str)));
    m.insert("version".into(), opt(ng.version()));
    m.insert("release_version".into(), opt(ng.release_version()));
    m.insert(
        "status".into(),
        opt(ng.status().map(NodegroupStatus::as_str)),
    );
    m.insert(
        "labels".into(),
        Value::Map(
            ng.labels()
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.clone(), Value::string(v)))
                .collect(),
        ),
    );
    let scaling = ng.scaling_config().map(|s| {
        Value::map([
            ("min_size", num(s.min_size())),
            ("max_size", num(s.max_size())),
            ("desired_size", num(s.desired_size())),
        ])
    });
    m.insert(
        "scaling_config".into(),
        Value::List(scaling.into_iter().collect()),
    );
    let update = ng.update_config().map(|u| {
        Value::map([
            ("max_unavailable", num(u.max_unavailable())),
            (
                "max_unavailable_percentage",
                num(u.max_unavailable_percentage()),
            ),
            (
                "update_strategy",
                opt(u.update_strategy().map(NodegroupUpdateStrategies::as_str)),
            ),
        ])
    });
    // Optional in the API's answer (moto leaves it out): without one, keep what we knew.
    let update = match (update, prior.map(|p| p.get("update_config"))) {
        (Some(u), _) => Value::List(vec![u]),
        (None, Some(known @ Value::List(_))) => known.clone(),
        (None, _) => Value::List(Vec::new()),
    };
    m.insert("update_config".into(), update);
    let taints = ng
        .taints()
        .iter()
        .map(|t| {
            Value::map([
                ("key", opt(t.key())),
                ("value", opt(t.value())),
                ("effect", opt(t.effect().map(TaintEffect::as_str))),
            ])
        })
        .collect();
    m.insert("taint".into(), Value::List(taints));
    let lt = ng.launch_template().map(|l| {
        Value::map([
            ("id", opt(l.id())),
            ("name", opt(l.name())),
            ("version", opt(l.version())),
        ])
    });
    m.insert(
        "launch_template".into(),
        Value::List(lt.into_iter().collect()),
    );
    crate::eks_v21_nodes::put(&mut m, ng, prior);
    put_tag_pairs(
        &mut m,
        ng.tags()
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.as_str(), v.as_str())),
        prior,
    );
    Value::Map(m)
}

pub(crate) async fn read(
    p: &AwsProvider,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    let mut by_cluster: BTreeMap<&str, Vec<(&str, &ReadRequest)>> = BTreeMap::new();
    for i in items {
        let (cluster, name) = split_id(&i.id)?;
        by_cluster.entry(cluster).or_default().push((name, i));
    }
    let mut out = BTreeMap::new();
    for (cluster, reqs) in by_cluster {
        let existing = list(p, cluster).await?;
        for (name, r) in reqs
            .into_iter()
            .filter(|(n, _)| existing.iter().any(|e| e == n))
        {
            if let Some(ng) = describe(p, cluster, name).await? {
                out.insert(r.id.clone(), nodegroup_value(&ng, Some(&r.prior)));
            }
        }
    }
    Ok(out)
}

fn int(v: &Value, k: &str) -> Option<i32> {
    get_i64(v, k).and_then(|n| i32::try_from(n).ok())
}

fn scaling(v: &Value) -> Option<NodegroupScalingConfig> {
    let s = first_block(v, "scaling_config");
    (!s.is_null()).then(|| {
        NodegroupScalingConfig::builder()
            .set_min_size(int(s, "min_size"))
            .set_max_size(int(s, "max_size"))
            .set_desired_size(int(s, "desired_size"))
            .build()
    })
}

fn update_config(v: &Value) -> Option<NodegroupUpdateConfig> {
    let u = first_block(v, "update_config");
    (!u.is_null()).then(|| {
        NodegroupUpdateConfig::builder()
            .set_max_unavailable(int(u, "max_unavailable"))
            .set_max_unavailable_percentage(int(u, "max_unavailable_percentage"))
            .set_update_strategy(get_str(u, "update_strategy").map(NodegroupUpdateStrategies::from))
            .build()
    })
}

fn taints(v: &Value) -> Vec<Taint> {
    v.get("taint")
        .as_list()
        .unwrap_or_default()
        .iter()
        .map(|t| {
            Taint::builder()
                .set_key(get_str(t, "key").map(str::to_string))
                .set_value(get_str(t, "value").map(str::to_string))
                .set_effect(get_str(t, "effect").map(TaintEffect::from))
                .build()
        })
        .collect()
}

fn labels(v: &Value) -> HashMap<String, String> {
    v.get("labels")
        .as_map()
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

fn launch_template(v: &Value) -> Option<LaunchTemplateSpecification> {
    let l = first_block(v, "launch_template");
    (!l.is_null()).then(|| {
        LaunchTemplateSpecification::builder()
            .set_id(get_str(l, "id").map(str::to_string))
            .set_name(get_str(l, "name").map(str::to_string))
            .set_version(get_str(l, "version").map(str::to_string))
            .build()
    })
}

/// min <= desired <= max, as EKS requires; said before any call is made.
fn check_scaling(v: &Value) -> Result<(), ProviderError> {
    let s = first_block(v, "scaling_config");
    let (min, max, desired) = (
        get_i64(s, "min_size"),
        get_i64(s, "max_size"),
        get_i64(s, "desired_size"),
    );
    let bad = |msg: String| {
        Err(ProviderError::new(
            ErrorKind::Rejected,
            format!("{TYPE}: {msg}"),
        ))
    };
    match (min, max, desired) {
        (Some(a), Some(b), _) if a > b => bad(format!(
            "scaling_config min_size ({a}) is greater than max_size ({b}); lower min_size or raise max_size"
        )),
        (Some(a), Some(b), Some(d)) if d < a || d > b => bad(format!(
            "scaling_config desired_size ({d}) is outside min_size..max_size ({a}..{b}); set it between them"
        )),
        (_, Some(b), _) if b < 1 => bad("scaling_config max_size must be at least 1".into()),
        _ => Ok(()),
    }
}

pub(crate) async fn create(p: &AwsProvider, req: &CreateRequest) -> Result<Value, ProviderError> {
    let c = &req.config;
    check_scaling(c)?;
    let cluster = get_str(c, "cluster_name").ok_or_else(|| missing(TYPE, "cluster_name"))?;
    let name = &crate::eks_v21_nodes::name(req);
    let role = get_str(c, "node_role_arn").ok_or_else(|| missing(TYPE, "node_role_arn"))?;
    let instance_types = get_strings(c, "instance_types");
    let tags: HashMap<String, String> = create_tag_pairs(req).into_iter().collect();
    let labels = labels(c);
    let taints = taints(c);
    let out = p
        .call("eks:CreateNodegroup", || {
            p.eks()
                .create_nodegroup()
                .cluster_name(cluster)
                .nodegroup_name(name)
                .node_role(role)
                .set_subnets(Some(get_strings(c, "subnet_ids")))
                .set_scaling_config(scaling(c))
                .set_update_config(update_config(c))
                .set_instance_types((!instance_types.is_empty()).then(|| instance_types.clone()))
                .set_capacity_type(get_str(c, "capacity_type").map(CapacityTypes::from))
                .set_disk_size(int(c, "disk_size"))
                .set_ami_type(get_str(c, "ami_type").map(AmiTypes::from))
                .set_labels((!labels.is_empty()).then(|| labels.clone()))
                .set_taints((!taints.is_empty()).then(|| taints.clone()))
                .set_launch_template(launch_template(c))
                .set_version(get_str(c, "version").map(str::to_string))
                .set_release_version(get_str(c, "release_version").map(str::to_string))
                .set_remote_access(crate::eks_v21_nodes::remote_access(c))
                .set_node_repair_config(crate::eks_v21_nodes::repair(c))
                .set_tags(Some(tags.clone()))
                .client_request_token(&req.token)
                .send()
        })
        .await?;
    match out.nodegroup() {
        Some(ng) => Ok(nodegroup_value(ng, Some(c))),
        None => p.read_back(TYPE, &format!("{cluster}:{name}"), c).await,
    }
}

/// Poll DescribeNodegroup until the node group is ACTIVE.
pub(crate) async fn wait_active(
    p: &AwsProvider,
    id: &str,
    current: &Value,
) -> Result<Value, ProviderError> {
    let (cluster, name) = split_id(id)?;
    let what = format!("EKS node group {id} to become ACTIVE");
    p.poll_eks(&what, || async {
        let Some(ng) = describe(p, cluster, name).await? else {
            return Err(ProviderError::not_found(format!(
                "EKS node group {id} disappeared while creating; run again to recreate it"
            )));
        };
        match ng.status() {
            Some(NodegroupStatus::Active) | None => Ok(Some(nodegroup_value(&ng, Some(current)))),
            Some(NodegroupStatus::CreateFailed | NodegroupStatus::Degraded) => Err(ProviderError::new(
                ErrorKind::Rejected,
                format!("EKS node group {id} is {}; see its health issues with `aws eks describe-nodegroup`, fix the cause, and run again", ng.status().map(NodegroupStatus::as_str).unwrap_or_default()),
            )),
            Some(_) => Ok(None),
        }
    })
    .await
}

fn taint_key(t: &Taint) -> (Option<&str>, Option<&str>, Option<&str>) {
    (t.key(), t.value(), t.effect().map(TaintEffect::as_str))
}

pub(crate) async fn update(
    p: &AwsProvider,
    id: &str,
    prior: &Value,
    desired: &Value,
) -> Result<Value, ProviderError> {
    let (cluster, name) = split_id(id)?;
    check_scaling(desired)?;
    let changed = |k: &str| !infra_model_eq(prior.get(k), desired.get(k));

    // labels: add or update what differs, remove what is gone
    let (old_l, new_l) = (labels(prior), labels(desired));
    let add: HashMap<String, String> = new_l
        .iter()
        .filter(|(k, v)| old_l.get(*k) != Some(v))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let remove: Vec<String> = old_l
        .keys()
        .filter(|k| !new_l.contains_key(*k))
        .cloned()
        .collect();
    let labels_payload = (!add.is_empty() || !remove.is_empty()).then(|| {
        UpdateLabelsPayload::builder()
            .set_add_or_update_labels((!add.is_empty()).then_some(add))
            .set_remove_labels((!remove.is_empty()).then_some(remove))
            .build()
    });
    // taints: by (key, value, effect)
    let (old_t, new_t) = (taints(prior), taints(desired));
    let add_t: Vec<Taint> = new_t
        .iter()
        .filter(|t| !old_t.iter().any(|o| taint_key(o) == taint_key(t)))
        .cloned()
        .collect();
    let remove_t: Vec<Taint> = old_t
        .iter()
        .filter(|o| {
            !new_t
                .iter()
                .any(|t| t.key() == o.key() && t.effect() == o.effect())
        })
        .cloned()
        .collect();
    let taints_payload = (!add_t.is_empty() || !remove_t.is_empty()).then(|| {
        UpdateTaintsPayload::builder()
            .set_add_or_update_taints((!add_t.is_empty()).then_some(add_t))
            .set_remove_taints((!remove_t.is_empty()).then_some(remove_t))
            .build()
    });
    let scaling_changed = changed("scaling_config");
    let update_changed = changed("update_config");
    let repair_changed = changed("node_repair_config");
    if labels_payload.is_some()
        || taints_payload.is_some()
        || scaling_changed
        || update_changed
        || repair_changed
    {
        let out = p
            .call("eks:UpdateNodegroupConfig", || {
                p.eks()
                    .update_nodegroup_config()
                    .cluster_name(cluster)
                    .nodegroup_name(name)
                    .set_labels(labels_payload.clone())
                    .set_taints(taints_payload.clone())
                    .set_scaling_config(scaling_changed.then(|| scaling(desired)).flatten())
                    .set_update_config(update_changed.then(|| update_config(desired)).flatten())
                    .set_node_repair_config(
                        repair_changed
                            .then(|| crate::eks_v21_nodes::repair(desired))
                            .flatten(),
                    )
                    .send()
            })
            .await?;
        crate::eks::wait_update(p, cluster, Some(name), out.update()).await?;
    }

    let lt_version =
        |v: &Value| get_str(first_block(v, "launch_template"), "version").map(str::to_string);
    let version = get_str(desired, "version").filter(|_| changed("version"));
    let release = get_str(desired, "release_version").filter(|_| changed("release_version"));
    let lt_changed = lt_version(prior) != lt_version(desired);
    if version.is_some() || release.is_some() || lt_changed {
        let out = p
            .call("eks:UpdateNodegroupVersion", || {
                p.eks()
                    .update_nodegroup_version()
                    .cluster_name(cluster)
                    .nodegroup_name(name)
                    .set_version(version.map(str::to_string))
                    .set_release_version(release.map(str::to_string))
                    .set_launch_template(lt_changed.then(|| launch_template(desired)).flatten())
                    .set_force(get_bool(desired, "force_update_version"))
                    .send()
            })
            .await?;
        crate::eks::wait_update(p, cluster, Some(name), out.update()).await?;
    }
    if let Some(arn) = get_str(prior, "arn") {
        crate::eks::update_tags(p, arn, prior, desired).await?;
    }
    wait_active(p, id, desired).await
}

fn infra_model_eq(a: &Value, b: &Value) -> bool {
    // numbers in state may be strings from older rows; compare as the plan does
    match (a, b) {
        (Value::Null, Value::List(l)) | (Value::List(l), Value::Null) => l.is_empty(),
        _ => a == b,
    }
}

pub(crate) async fn delete(p: &AwsProvider, id: &str) -> Result<(), ProviderError> {
    let (cluster, name) = split_id(id)?;
    p.settle(id, || async {
        crate::errors::eks_in_use_is_a_dependency(
            p.call("eks:DeleteNodegroup", || {
                p.eks()
                    .delete_nodegroup()
                    .cluster_name(cluster)
                    .nodegroup_name(name)
                    .send()
            })
            .await,
        )
    })
    .await?;
    let what = format!("EKS node group {id} to be deleted");
    p.poll_eks(&what, || async {
        Ok(describe(p, cluster, name).await?.is_none().then_some(()))
    })
    .await
}

pub(crate) async fn adopt(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    let Some(cluster) = get_str(&req.config, "cluster_name") else {
        return Ok(None);
    };
    let name = &crate::eks_v21_nodes::name(req);
    Ok(describe(p, cluster, name)
        .await?
        .filter(|ng| {
            pairs_have_infra_tags(
                ng.tags()
                    .into_iter()
                    .flatten()
                    .map(|(k, v)| (k.as_str(), v.as_str())),
                req,
            )
        })
        .map(|ng| nodegroup_value(&ng, Some(&req.config))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scaling(min: f64, max: f64, desired: f64) -> Value {
        Value::map([(
            "scaling_config",
            Value::List(vec![Value::map([
                ("min_size", Value::Number(min)),
                ("max_size", Value::Number(max)),
                ("desired_size", Value::Number(desired)),
            ])]),
        )])
    }

    #[test]
    fn scaling_bounds_are_checked() {
        assert!(check_scaling(&scaling(2.0, 6.0, 3.0)).is_ok());
        let e = check_scaling(&scaling(3.0, 2.0, 2.0)).unwrap_err();
        assert!(e.message.contains("greater than max_size"), "{e}");
        let e = check_scaling(&scaling(2.0, 4.0, 5.0)).unwrap_err();
        assert!(e.message.contains("outside"), "{e}");
        assert_eq!(split_id("c:ng").unwrap(), ("c", "ng"));
        assert!(split_id("nocolon").is_err());
    }
}
