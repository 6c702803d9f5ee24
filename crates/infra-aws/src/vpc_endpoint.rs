//! `aws_vpc_endpoint`: gateway endpoints (S3, DynamoDB: routes in route tables) and
//! interface endpoints (network interfaces in subnets, with security groups), as private
//! EKS clusters use them.
//!
//! Route tables, subnets, security groups, the policy, private DNS, `dns_options`,
//! `ip_address_type` and `subnet_configuration` change in place through ModifyVpcEndpoint (only what was added or removed is sent); the VPC, service and
//! type (and `service_region`) force a new endpoint. `subnet_configuration` is read from
//! the endpoints' network interfaces (one DescribeNetworkInterfaces per refresh), as the
//! provider reads it. A refresh is one DescribeVpcEndpoints by id list (there is
//! no id filter in the emulator; a list with a deleted id fails whole, so then the VPC's
//! endpoints are listed once instead) plus, for gateway endpoints, one DescribePrefixLists
//! for their services' prefix lists. Endpoints are tagged at creation and carry the
//! create's ClientToken; adoption finds them by `infra:*` tags.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use aws_sdk_ec2::types::{Filter, IpAddressType, ResourceType, VpcEndpoint, VpcEndpointType};
use infra_model::Value;
use infra_provider::{CreateRequest, ErrorKind, ProviderError, ReadRequest};

use crate::errors::{has_code, missing};
use crate::util::{
    ec2_arn, filter, get_bool, get_str, get_strings, id_chunks, infra_filters, opt, put_tags,
    strings, tag_spec,
};
use crate::vpc_endpoint_v6::{
    dns_options_value, dns_spec, sorted_values, subnet_configs, subnet_configurations,
};
use crate::AwsProvider;

pub(crate) const TYPE: &str = "aws_vpc_endpoint";

const NOT_FOUND: &[&str] = &[
    "InvalidVpcEndpointId.NotFound",
    "InvalidVpcEndPointId.NotFound",
];

async fn describe(
    p: &AwsProvider,
    ids: Option<Vec<String>>,
    filters: Vec<Filter>,
) -> Result<Vec<VpcEndpoint>, ProviderError> {
    p.paginate(
        "ec2:DescribeVpcEndpoints",
        |token| {
            p.ec2()
                .describe_vpc_endpoints()
                .set_vpc_endpoint_ids(ids.clone())
                .set_filters((!filters.is_empty()).then(|| filters.clone()))
                .set_next_token(token)
                .send()
        },
        |page| page.vpc_endpoints(),
        |page| page.next_token(),
    )
    .await
}

fn sorted(items: impl IntoIterator<Item = String>) -> Value {
    let set: BTreeSet<String> = items.into_iter().collect();
    strings(set.iter().map(String::as_str))
}

/// The emulator drops the policy's `Version` when it answers; AWS keeps it. A policy that
/// is the prior's without its `Version` is the prior's.
fn policy_value(cloud: Option<&str>, prior: Option<&Value>) -> Value {
    let Some(cloud) = cloud else {
        return Value::Null;
    };
    let Some(prior) = prior.and_then(|p| get_str(p, "policy")) else {
        return Value::string(cloud);
    };
    if infra_model::policy::json_equivalent(cloud, prior) {
        return Value::string(prior);
    }
    let without_version = serde_json::from_str::<serde_json::Value>(prior)
        .ok()
        .map(|mut j| {
            if let Some(o) = j.as_object_mut() {
                o.remove("Version");
            }
            j.to_string()
        });
    match without_version {
        Some(w) if infra_model::policy::json_equivalent(cloud, &w) => Value::string(prior),
        _ => Value::string(cloud),
    }
}

fn to_value(
    p: &AwsProvider,
    e: &VpcEndpoint,
    prefix_lists: &HashMap<String, (String, Vec<String>)>,
    interfaces: &HashMap<String, Value>,
    prior: Option<&Value>,
) -> Option<(String, Value)> {
    let id = e.vpc_endpoint_id()?.to_string();
    let state = e.state().map(|s| s.as_str().to_ascii_lowercase());
    if matches!(state.as_deref(), Some("deleted" | "deleting")) {
        return None;
    }
    let service = e.service_name().unwrap_or_default();
    let mut m = BTreeMap::new();
    m.insert("id".into(), Value::string(&id));
    m.insert("arn".into(), ec2_arn(p, e.owner_id(), "vpc-endpoint", &id));
    m.insert("vpc_id".into(), opt(e.vpc_id()));
    m.insert("service_name".into(), Value::string(service));
    m.insert(
        "vpc_endpoint_type".into(),
        opt(e.vpc_endpoint_type().map(VpcEndpointType::as_str)),
    );
    m.insert("state".into(), opt(state.as_deref()));
    m.insert("owner_id".into(), opt(e.owner_id()));
    m.insert("policy".into(), policy_value(e.policy_document(), prior));
    m.insert(
        "private_dns_enabled".into(),
        Value::Bool(e.private_dns_enabled().unwrap_or(false)),
    );
    m.insert(
        "requester_managed".into(),
        Value::Bool(e.requester_managed().unwrap_or(false)),
    );
    // the emulator leaves out what AWS reports: keep the prior's (see localstack/README.md)
    let or_prior = |v: Value, key: &str| match (&v, prior.map(|p| p.get(key))) {
        (Value::Null, Some(p)) if !p.is_unknown() => p.clone(),
        _ => v,
    };
    m.insert(
        "ip_address_type".into(),
        or_prior(
            opt(e.ip_address_type().map(|t| t.as_str())),
            "ip_address_type",
        ),
    );
    m.insert(
        "service_region".into(),
        or_prior(opt(e.service_region()), "service_region"),
    );
    m.insert("dns_options".into(), dns_options_value(e, prior));
    let configs: Vec<Value> = e
        .network_interface_ids()
        .iter()
        .filter_map(|i| interfaces.get(i).cloned())
        .collect();
    m.insert(
        "subnet_configuration".into(),
        Value::List(sorted_values(configs)),
    );
    m.insert(
        "route_table_ids".into(),
        sorted(e.route_table_ids().iter().cloned()),
    );
    m.insert("subnet_ids".into(), sorted(e.subnet_ids().iter().cloned()));
    m.insert(
        "security_group_ids".into(),
        sorted(
            e.groups()
                .iter()
                .filter_map(|g| g.group_id().map(str::to_string)),
        ),
    );
    m.insert(
        "network_interface_ids".into(),
        sorted(e.network_interface_ids().iter().cloned()),
    );
    let dns: Vec<Value> = e
        .dns_entries()
        .iter()
        .map(|d| {
            Value::map([
                ("dns_name", opt(d.dns_name())),
                ("hosted_zone_id", opt(d.hosted_zone_id())),
            ])
        })
        .collect();
    m.insert("dns_entry".into(), Value::List(dns));
    let (pl, cidrs) = match prefix_lists.get(service) {
        Some((id, cidrs)) => (Value::string(id), strings(cidrs.iter().map(String::as_str))),
        None => (Value::Null, Value::List(vec![])),
    };
    m.insert("prefix_list_id".into(), pl);
    m.insert("cidr_blocks".into(), cidrs);
    m.insert(
        "auto_accept".into(),
        match prior.map(|p| p.get("auto_accept")) {
            Some(Value::Unknown) | None => Value::Null,
            Some(v) => v.clone(),
        },
    );
    put_tags(&mut m, e.tags(), prior);
    Some((id, Value::Map(m)))
}

/// The prefix lists (id, CIDRs) of the gateway endpoints' services, in one call.
async fn prefix_lists(
    p: &AwsProvider,
    endpoints: &[VpcEndpoint],
) -> Result<HashMap<String, (String, Vec<String>)>, ProviderError> {
    let names: BTreeSet<&str> = endpoints
        .iter()
        .filter(|e| e.vpc_endpoint_type() == Some(&VpcEndpointType::Gateway))
        .filter_map(VpcEndpoint::service_name)
        .collect();
    if names.is_empty() {
        return Ok(HashMap::new());
    }
    let out = p
        .call("ec2:DescribePrefixLists", || {
            p.ec2()
                .describe_prefix_lists()
                .filters(filter("prefix-list-name", names.iter().copied()))
                .send()
        })
        .await?;
    Ok(out
        .prefix_lists()
        .iter()
        .filter_map(|l| {
            Some((
                l.prefix_list_name()?.to_string(),
                (l.prefix_list_id()?.to_string(), l.cidrs().to_vec()),
            ))
        })
        .collect())
}

pub(crate) async fn read(
    p: &AwsProvider,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    let priors: HashMap<&str, &Value> = items.iter().map(|i| (i.id.as_str(), &i.prior)).collect();
    let mut found = Vec::new();
    for chunk in id_chunks(items.iter().map(|i| i.id.as_str())) {
        match describe(p, Some(chunk.clone()), vec![]).await {
            Ok(v) => found.extend(v),
            // one of them is gone: list the VPCs' endpoints instead
            Err(e) if has_code(&e, NOT_FOUND) => {
                let vpcs: BTreeSet<String> = chunk
                    .iter()
                    .filter_map(|id| priors.get(id.as_str()).and_then(|p| get_str(p, "vpc_id")))
                    .map(str::to_string)
                    .collect();
                let filters = if vpcs.is_empty() {
                    vec![]
                } else {
                    vec![filter("vpc-id", vpcs)]
                };
                found.extend(describe(p, None, filters).await?.into_iter().filter(|e| {
                    e.vpc_endpoint_id()
                        .is_some_and(|i| chunk.iter().any(|c| c == i))
                }));
            }
            Err(e) => return Err(e),
        }
    }
    let lists = prefix_lists(p, &found).await?;
    let interfaces = subnet_configurations(p, &found).await?;
    Ok(found
        .iter()
        .filter_map(|e| {
            let prior = e.vpc_endpoint_id().and_then(|id| priors.get(id).copied());
            to_value(p, e, &lists, &interfaces, prior)
        })
        .collect())
}

fn set_of(v: &Value, key: &str) -> BTreeSet<String> {
    get_strings(v, key).into_iter().collect()
}

fn is_interface(c: &Value) -> bool {
    get_str(c, "vpc_endpoint_type").unwrap_or("Gateway") != "Gateway"
}

pub(crate) async fn create(p: &AwsProvider, req: &CreateRequest) -> Result<Value, ProviderError> {
    let c = &req.config;
    let vpc = get_str(c, "vpc_id").ok_or_else(|| missing(TYPE, "vpc_id"))?;
    let service = get_str(c, "service_name").ok_or_else(|| missing(TYPE, "service_name"))?;
    let kind = get_str(c, "vpc_endpoint_type").unwrap_or("Gateway");
    let list = |k: &str| {
        let v = get_strings(c, k);
        (!v.is_empty()).then_some(v)
    };
    // Terraform sends private DNS for interface endpoints, false unless configured (the
    // API's default is true)
    let private_dns = is_interface(c).then(|| get_bool(c, "private_dns_enabled").unwrap_or(false));
    let spec = tag_spec(ResourceType::VpcEndpoint, req);
    let out = p
        .call("ec2:CreateVpcEndpoint", || {
            p.ec2()
                .create_vpc_endpoint()
                .vpc_id(vpc)
                .service_name(service)
                .vpc_endpoint_type(VpcEndpointType::from(kind))
                .set_route_table_ids(list("route_table_ids"))
                .set_subnet_ids(list("subnet_ids"))
                .set_security_group_ids(list("security_group_ids"))
                .set_policy_document(get_str(c, "policy").map(str::to_string))
                .set_private_dns_enabled(private_dns)
                .set_ip_address_type(get_str(c, "ip_address_type").map(IpAddressType::from))
                .set_dns_options(dns_spec(c, service))
                .set_subnet_configurations(subnet_configs(c))
                .set_service_region(get_str(c, "service_region").map(str::to_string))
                .client_token(&req.token)
                .tag_specifications(spec.clone())
                .send()
        })
        .await?;
    let id = out
        .vpc_endpoint()
        .and_then(VpcEndpoint::vpc_endpoint_id)
        .ok_or_else(|| ProviderError::new(ErrorKind::Other, "CreateVpcEndpoint returned no id"))?
        .to_string();
    p.read_back(TYPE, &id, c).await
}

pub(crate) async fn update(
    p: &AwsProvider,
    id: &str,
    prior: &Value,
    desired: &Value,
) -> Result<Value, ProviderError> {
    let diff = |k: &str| -> (Option<Vec<String>>, Option<Vec<String>>) {
        if desired.get(k).is_unknown() {
            return (None, None);
        }
        let (old, new) = (set_of(prior, k), set_of(desired, k));
        let add: Vec<String> = new.difference(&old).cloned().collect();
        let remove: Vec<String> = old.difference(&new).cloned().collect();
        (
            (!add.is_empty()).then_some(add),
            (!remove.is_empty()).then_some(remove),
        )
    };
    let (add_rt, remove_rt) = diff("route_table_ids");
    let (add_sn, remove_sn) = diff("subnet_ids");
    let (add_sg, remove_sg) = diff("security_group_ids");
    let policy_changed = match (desired.get("policy"), get_str(prior, "policy")) {
        (Value::String(d), Some(p)) => !infra_model::policy::json_equivalent(d, p),
        (Value::String(d), None) => !d.is_empty(),
        _ => false,
    };
    let policy = get_str(desired, "policy").filter(|_| policy_changed);
    let reset = policy_changed && get_str(desired, "policy").is_none();
    let dns = get_bool(desired, "private_dns_enabled")
        .filter(|d| Some(*d) != get_bool(prior, "private_dns_enabled"));
    let changed = |k: &str| !desired.get(k).is_unknown() && desired.get(k) != prior.get(k);
    let service = get_str(desired, "service_name").unwrap_or_default();
    let dns_options = dns_spec(desired, service).filter(|_| changed("dns_options"));
    let ip_type = get_str(desired, "ip_address_type")
        .filter(|_| changed("ip_address_type"))
        .map(IpAddressType::from);
    let configs = subnet_configs(desired).filter(|_| changed("subnet_configuration"));
    let anything = [
        &add_rt, &remove_rt, &add_sn, &remove_sn, &add_sg, &remove_sg,
    ]
    .iter()
    .any(|x| x.is_some())
        || policy_changed
        || dns.is_some()
        || dns_options.is_some()
        || ip_type.is_some()
        || configs.is_some();
    if anything {
        p.call("ec2:ModifyVpcEndpoint", || {
            p.ec2()
                .modify_vpc_endpoint()
                .vpc_endpoint_id(id)
                .set_add_route_table_ids(add_rt.clone())
                .set_remove_route_table_ids(remove_rt.clone())
                .set_add_subnet_ids(add_sn.clone())
                .set_remove_subnet_ids(remove_sn.clone())
                .set_add_security_group_ids(add_sg.clone())
                .set_remove_security_group_ids(remove_sg.clone())
                .set_policy_document(policy.map(str::to_string))
                .set_reset_policy(reset.then_some(true))
                .set_private_dns_enabled(dns)
                .set_dns_options(dns_options.clone())
                .set_ip_address_type(ip_type.clone())
                .set_subnet_configurations(configs.clone())
                .send()
        })
        .await?;
    }
    crate::util::update_tags(p, id, prior, desired).await?;
    p.read_back(TYPE, id, desired).await
}

pub(crate) async fn delete(p: &AwsProvider, id: &str) -> Result<(), ProviderError> {
    let out = match p
        .call("ec2:DeleteVpcEndpoints", || {
            p.ec2().delete_vpc_endpoints().vpc_endpoint_ids(id).send()
        })
        .await
    {
        Err(e) if has_code(&e, NOT_FOUND) => return Ok(()),
        r => r?,
    };
    if let Some(u) = out.unsuccessful().iter().find_map(|u| u.error()) {
        let code = u.code().unwrap_or_default();
        if !NOT_FOUND.contains(&code) {
            return Err(ProviderError::new(
                ErrorKind::Rejected,
                format!(
                    "DeleteVpcEndpoints refused {id}: {code}: {}",
                    u.message().unwrap_or_default()
                ),
            ));
        }
    }
    let what = format!("VPC endpoint {id} to be deleted");
    p.poll(&what, || async {
        let item = [ReadRequest {
            id: id.to_string(),
            prior: Value::Null,
        }];
        Ok(read(p, &item).await?.is_empty().then_some(()))
    })
    .await
}

pub(crate) async fn adopt(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    let found: Vec<VpcEndpoint> = crate::util::ours(
        describe(p, None, infra_filters(req)).await?,
        req,
        VpcEndpoint::tags,
        VpcEndpoint::vpc_endpoint_id,
    )
    .into_iter()
    .filter(|e| {
        !matches!(
            e.state()
                .map(|s| s.as_str().to_ascii_lowercase())
                .as_deref(),
            Some("deleted" | "deleting")
        )
    })
    .collect();
    let lists = prefix_lists(p, &found).await?;
    let interfaces = subnet_configurations(p, &found).await?;
    Ok(found
        .first()
        .and_then(|e| to_value(p, e, &lists, &interfaces, Some(&req.config)))
        .map(|(_, v)| v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_policy_the_emulator_answers_without_its_version_is_the_configured_one() {
        let configured = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:*","Resource":"*"}]}"#;
        let prior = Value::map([("policy", Value::string(configured))]);
        let cloud = r#"{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:*", "Resource": "*"}]}"#;
        assert_eq!(
            policy_value(Some(cloud), Some(&prior)),
            Value::string(configured)
        );
        let other =
            r#"{"Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"}]}"#;
        assert_eq!(
            policy_value(Some(other), Some(&prior)),
            Value::string(other)
        );
        assert!(!is_interface(&Value::map([(
            "vpc_endpoint_type",
            Value::string("Gateway")
        )])));
        assert!(is_interface(&Value::map([(
            "vpc_endpoint_type",
            Value::string("Interface")
        )])));
    }
}
