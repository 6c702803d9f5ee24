//! `aws_vpc`: CreateVpc with tags, DNS attributes through ModifyVpcAttribute, batched
//! DescribeVpcs reads.
//!
//! DescribeVpcs does not report the DNS attributes nor the default route table, security
//! group and network ACL. Those are fetched (batched per type) at creation and adoption,
//! then carried from the prior state on reads, so a refresh of N VPCs is one call (so are
//! Network Address Usage metrics). IPv6 and IPAM arguments: `vpc_ipv6`.

use std::collections::{BTreeMap, HashMap};

use aws_sdk_ec2::types::{
    AttributeBooleanValue, Filter, ResourceType, Tenancy, Vpc, VpcAttributeName,
};
use infra_model::Value;
use infra_provider::{CreateRequest, ProviderError, ReadRequest};

use crate::errors::missing;
use crate::util::{
    describe_chunks, ec2_arn, filter, get_bool, get_str, id_chunks, infra_filters, put_tags,
    tag_spec, update_tags,
};
use crate::{vpc_ipv6, AwsProvider};

const TYPE: &str = "aws_vpc";
const EXTRAS: [&str; 4] = [
    "main_route_table_id",
    "default_route_table_id",
    "default_security_group_id",
    "default_network_acl_id",
];

pub(crate) async fn describe(
    p: &AwsProvider,
    filters: Vec<Filter>,
) -> Result<Vec<Vpc>, ProviderError> {
    p.paginate(
        "ec2:DescribeVpcs",
        |token| {
            p.ec2()
                .describe_vpcs()
                .set_filters(Some(filters.clone()))
                .max_results(1000)
                .set_next_token(token)
                .send()
        },
        |page| page.vpcs(),
        |page| page.next_token(),
    )
    .await
}

/// The computed ids DescribeVpcs does not carry, for the VPCs that need them.
#[derive(Default)]
struct Extras {
    main_route_table: HashMap<String, String>,
    default_sg: HashMap<String, String>,
    default_acl: HashMap<String, String>,
    dns: HashMap<String, (bool, bool)>,
    nau: HashMap<String, bool>,
}

fn needs_ids(prior: Option<&Value>) -> bool {
    prior.is_none_or(|p| EXTRAS.iter().any(|k| !matches!(p.get(k), Value::String(_))))
}

fn needs_dns(prior: Option<&Value>) -> bool {
    prior.is_none_or(|p| {
        p.get("enable_dns_support").as_bool().is_none()
            || p.get("enable_dns_hostnames").as_bool().is_none()
            || p.get("enable_network_address_usage_metrics")
                .as_bool()
                .is_none()
    })
}

async fn fetch_extras(
    p: &AwsProvider,
    vpc_ids: &[String],
    dns_ids: &[String],
) -> Result<Extras, ProviderError> {
    let mut x = Extras::default();
    for id in dns_ids {
        let support = dns_attribute(p, id, VpcAttributeName::EnableDnsSupport).await?;
        let hostnames = dns_attribute(p, id, VpcAttributeName::EnableDnsHostnames).await?;
        x.dns.insert(
            id.clone(),
            (support.unwrap_or(true), hostnames.unwrap_or(false)),
        );
        x.nau.insert(
            id.clone(),
            vpc_ipv6::read_nau(p, id).await?.unwrap_or(false),
        );
    }
    if vpc_ids.is_empty() {
        return Ok(x);
    }
    let ids = vpc_ids.to_vec();
    let tables = crate::route_table::describe(
        p,
        vec![
            filter("vpc-id", ids.clone()),
            filter("association.main", ["true"]),
        ],
    )
    .await?;
    for t in tables {
        if let (Some(vpc), Some(id)) = (t.vpc_id(), t.route_table_id()) {
            x.main_route_table.insert(vpc.to_string(), id.to_string());
        }
    }
    let groups = crate::security_group::describe(
        p,
        vec![
            filter("vpc-id", ids.clone()),
            filter("group-name", ["default"]),
        ],
    )
    .await?;
    for g in groups {
        if let (Some(vpc), Some(id)) = (g.vpc_id(), g.group_id()) {
            x.default_sg.insert(vpc.to_string(), id.to_string());
        }
    }
    let acls = p
        .call("ec2:DescribeNetworkAcls", || {
            p.ec2()
                .describe_network_acls()
                .filters(filter("vpc-id", ids.clone()))
                .filters(filter("default", ["true"]))
                .send()
        })
        .await?;
    for a in acls.network_acls() {
        if let (Some(vpc), Some(id)) = (a.vpc_id(), a.network_acl_id()) {
            x.default_acl.insert(vpc.to_string(), id.to_string());
        }
    }
    Ok(x)
}

async fn dns_attribute(
    p: &AwsProvider,
    id: &str,
    attr: VpcAttributeName,
) -> Result<Option<bool>, ProviderError> {
    let out = p
        .call("ec2:DescribeVpcAttribute", || {
            p.ec2()
                .describe_vpc_attribute()
                .vpc_id(id)
                .attribute(attr.clone())
                .send()
        })
        .await?;
    let v = match attr {
        VpcAttributeName::EnableDnsHostnames => out.enable_dns_hostnames(),
        _ => out.enable_dns_support(),
    };
    Ok(v.and_then(AttributeBooleanValue::value))
}

fn to_value(
    p: &AwsProvider,
    vpc: &Vpc,
    prior: Option<&Value>,
    x: &Extras,
) -> Option<(String, Value)> {
    let id = vpc.vpc_id()?.to_string();
    let carried = |k: &str| {
        prior
            .map(|p| p.get(k).clone())
            .filter(|v| matches!(v, Value::String(_) | Value::Bool(_)))
    };
    let pick = |k: &str, fetched: Option<&String>| {
        fetched
            .map(|s| Value::string(s.as_str()))
            .or_else(|| carried(k))
            .unwrap_or(Value::Null)
    };
    let mut m = BTreeMap::new();
    m.insert("id".into(), Value::string(&id));
    m.insert("cidr_block".into(), crate::util::opt(vpc.cidr_block()));
    m.insert(
        "instance_tenancy".into(),
        Value::string(
            vpc.instance_tenancy()
                .map(|t| t.as_str())
                .unwrap_or("default"),
        ),
    );
    m.insert("owner_id".into(), crate::util::opt(vpc.owner_id()));
    m.insert("arn".into(), ec2_arn(p, vpc.owner_id(), "vpc", &id));
    let main = pick("main_route_table_id", x.main_route_table.get(&id));
    m.insert("main_route_table_id".into(), main.clone());
    m.insert(
        "default_route_table_id".into(),
        x.main_route_table
            .get(&id)
            .map(|s| Value::string(s.as_str()))
            .or_else(|| carried("default_route_table_id"))
            .unwrap_or(main),
    );
    m.insert(
        "default_security_group_id".into(),
        pick("default_security_group_id", x.default_sg.get(&id)),
    );
    m.insert(
        "default_network_acl_id".into(),
        pick("default_network_acl_id", x.default_acl.get(&id)),
    );
    let (support, hostnames) = match x.dns.get(&id) {
        Some((s, h)) => (Value::Bool(*s), Value::Bool(*h)),
        None => (
            carried("enable_dns_support").unwrap_or(Value::Bool(true)),
            carried("enable_dns_hostnames").unwrap_or(Value::Bool(false)),
        ),
    };
    m.insert("enable_dns_support".into(), support);
    m.insert("enable_dns_hostnames".into(), hostnames);
    m.insert(
        "enable_network_address_usage_metrics".into(),
        match x.nau.get(&id) {
            Some(v) => Value::Bool(*v),
            None => carried("enable_network_address_usage_metrics").unwrap_or(Value::Bool(false)),
        },
    );
    vpc_ipv6::fields(vpc, prior, &mut m);
    put_tags(&mut m, vpc.tags(), prior);
    Some((id, Value::Map(m)))
}

async fn read_with(
    p: &AwsProvider,
    vpcs: Vec<Vpc>,
    priors: &HashMap<&str, &Value>,
) -> Result<BTreeMap<String, Value>, ProviderError> {
    let ids = |need: fn(Option<&Value>) -> bool| -> Vec<String> {
        vpcs.iter()
            .filter_map(Vpc::vpc_id)
            .filter(|id| need(priors.get(id).copied()))
            .map(str::to_string)
            .collect()
    };
    let extras = fetch_extras(p, &ids(needs_ids), &ids(needs_dns)).await?;
    Ok(vpcs
        .iter()
        .filter_map(|v| {
            to_value(
                p,
                v,
                v.vpc_id().and_then(|id| priors.get(id).copied()),
                &extras,
            )
        })
        .collect())
}

pub(crate) async fn read(
    p: &AwsProvider,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    let priors: HashMap<&str, &Value> = items.iter().map(|i| (i.id.as_str(), &i.prior)).collect();
    let chunks = id_chunks(items.iter().map(|i| i.id.as_str()));
    let vpcs = describe_chunks(chunks, |c| describe(p, vec![filter("vpc-id", c)])).await?;
    read_with(p, vpcs, &priors).await
}

async fn set_dns(
    p: &AwsProvider,
    id: &str,
    hostnames: Option<bool>,
    support: Option<bool>,
) -> Result<(), ProviderError> {
    // AWS takes one attribute per call
    if let Some(v) = support {
        let b = AttributeBooleanValue::builder().value(v).build();
        p.call("ec2:ModifyVpcAttribute", || {
            p.ec2()
                .modify_vpc_attribute()
                .vpc_id(id)
                .enable_dns_support(b.clone())
                .send()
        })
        .await?;
    }
    if let Some(v) = hostnames {
        let b = AttributeBooleanValue::builder().value(v).build();
        p.call("ec2:ModifyVpcAttribute", || {
            p.ec2()
                .modify_vpc_attribute()
                .vpc_id(id)
                .enable_dns_hostnames(b.clone())
                .send()
        })
        .await?;
    }
    Ok(())
}

pub(crate) async fn create(p: &AwsProvider, req: &CreateRequest) -> Result<Value, ProviderError> {
    let c = &req.config;
    if get_str(c, "cidr_block").is_none() && get_str(c, "ipv4_ipam_pool_id").is_none() {
        return Err(missing(TYPE, "cidr_block"));
    }
    let tenancy = get_str(c, "instance_tenancy").map(Tenancy::from);
    let spec = tag_spec(ResourceType::Vpc, req);
    let out = vpc_ipv6::when_pool_has_room(p, req, || {
        p.call("ec2:CreateVpc", || {
            vpc_ipv6::create_args(p.ec2().create_vpc(), c)
                .set_instance_tenancy(tenancy.clone())
                .tag_specifications(spec.clone())
                .send()
        })
    })
    .await?;
    let id = out
        .vpc()
        .and_then(Vpc::vpc_id)
        .ok_or_else(|| {
            ProviderError::new(
                infra_provider::ErrorKind::Other,
                "CreateVpc returned no vpc id",
            )
        })?
        .to_string();
    let hostnames = get_bool(c, "enable_dns_hostnames").unwrap_or(false);
    let support = get_bool(c, "enable_dns_support").unwrap_or(true);
    set_dns(
        p,
        &id,
        hostnames.then_some(true),
        (!support).then_some(false),
    )
    .await?;
    let nau = get_bool(c, "enable_network_address_usage_metrics").unwrap_or(false);
    if nau {
        vpc_ipv6::set_nau(p, &id, true).await?;
    }
    // the prior for read-back: the configuration, with the DNS flags just set
    let mut prior = c.as_map().cloned().unwrap_or_default();
    prior.insert("enable_dns_hostnames".into(), Value::Bool(hostnames));
    prior.insert("enable_dns_support".into(), Value::Bool(support));
    prior.insert(
        "enable_network_address_usage_metrics".into(),
        Value::Bool(nau),
    );
    p.read_back(TYPE, &id, &Value::Map(prior)).await
}

pub(crate) async fn update(
    p: &AwsProvider,
    id: &str,
    prior: &Value,
    desired: &Value,
) -> Result<Value, ProviderError> {
    let changed = |k: &str| get_bool(desired, k).filter(|v| get_bool(prior, k) != Some(*v));
    set_dns(
        p,
        id,
        changed("enable_dns_hostnames"),
        changed("enable_dns_support"),
    )
    .await?;
    if let Some(v) = changed("enable_network_address_usage_metrics") {
        vpc_ipv6::set_nau(p, id, v).await?;
    }
    vpc_ipv6::sync(p, id, prior, desired).await?;
    update_tags(p, id, prior, desired).await?;
    let mut next = prior.as_map().cloned().unwrap_or_default();
    for k in [
        "enable_dns_hostnames",
        "enable_dns_support",
        "tags",
        "tags_all",
    ]
    .into_iter()
    .chain(vpc_ipv6::CARRIED)
    {
        next.insert(k.into(), desired.get(k).clone());
    }
    if let Some(v) = get_bool(desired, "enable_network_address_usage_metrics") {
        next.insert(
            "enable_network_address_usage_metrics".into(),
            Value::Bool(v),
        );
    }
    p.read_back(TYPE, id, &Value::Map(next)).await
}

pub(crate) async fn delete(p: &AwsProvider, id: &str) -> Result<(), ProviderError> {
    p.settle_explained(
        id,
        || async {
            p.call("ec2:DeleteVpc", || p.ec2().delete_vpc().vpc_id(id).send())
                .await
                .map(|_| ())
        },
        || crate::holders::vpc(p, id),
    )
    .await
}

pub(crate) async fn adopt(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    let vpcs = crate::util::ours(
        describe(p, infra_filters(req)).await?,
        req,
        Vpc::tags,
        Vpc::vpc_id,
    );
    let Some(vpc) = vpcs.into_iter().next() else {
        return Ok(None);
    };
    let Some(id) = vpc.vpc_id().map(str::to_string) else {
        return Ok(None);
    };
    // tags from the configuration; everything else fetched, as the create may have stopped
    // before the DNS attributes were set
    let prior = Value::map([("tags", req.config.get("tags").clone())]);
    let priors = HashMap::from([(id.as_str(), &prior)]);
    Ok(read_with(p, vec![vpc.clone()], &priors).await?.remove(&id))
}
