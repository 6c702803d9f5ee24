//! `aws_subnet`: CreateSubnet with tags, `map_public_ip_on_launch` through
//! ModifySubnetAttribute, batched DescribeSubnets reads. IPv6, DNS-on-launch and Outposts
//! arguments: `subnet_ipv6`.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{AttributeBooleanValue, Filter, ResourceType, Subnet};
use infra_model::Value;
use infra_provider::{CreateRequest, ErrorKind, ProviderError, ReadRequest};

use crate::errors::missing;
use crate::util::{
    ec2_arn, get_bool, get_str, infra_filters, opt, put_tags, tag_spec, update_tags,
};
use crate::{subnet_ipv6, AwsProvider};

const TYPE: &str = "aws_subnet";

pub(crate) async fn describe(
    p: &AwsProvider,
    filters: Vec<Filter>,
) -> Result<Vec<Subnet>, ProviderError> {
    p.paginate(
        "ec2:DescribeSubnets",
        |token| {
            p.ec2()
                .describe_subnets()
                .set_filters(Some(filters.clone()))
                .max_results(1000)
                .set_next_token(token)
                .send()
        },
        |page| page.subnets(),
        |page| page.next_token(),
    )
    .await
}

fn to_value(p: &AwsProvider, s: &Subnet, prior: Option<&Value>) -> Option<(String, Value)> {
    let id = s.subnet_id()?.to_string();
    let mut m = BTreeMap::new();
    m.insert("id".into(), Value::string(&id));
    m.insert("vpc_id".into(), opt(s.vpc_id()));
    m.insert("cidr_block".into(), opt(s.cidr_block()));
    m.insert("availability_zone".into(), opt(s.availability_zone()));
    m.insert("availability_zone_id".into(), opt(s.availability_zone_id()));
    m.insert(
        "map_public_ip_on_launch".into(),
        Value::Bool(s.map_public_ip_on_launch().unwrap_or(false)),
    );
    m.insert("owner_id".into(), opt(s.owner_id()));
    m.insert(
        "arn".into(),
        s.subnet_arn()
            .map(Value::string)
            .unwrap_or_else(|| ec2_arn(p, s.owner_id(), "subnet", &id)),
    );
    subnet_ipv6::fields(s, prior, &mut m);
    put_tags(&mut m, s.tags(), prior);
    Some((id, Value::Map(m)))
}

pub(crate) async fn read(
    p: &AwsProvider,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    crate::util::read_by_id(
        items,
        "subnet-id",
        |filters| describe(p, filters),
        Subnet::subnet_id,
        |x, prior| to_value(p, x, prior),
    )
    .await
}

async fn set_public_ip(p: &AwsProvider, id: &str, on: bool) -> Result<(), ProviderError> {
    let b = AttributeBooleanValue::builder().value(on).build();
    p.call("ec2:ModifySubnetAttribute", || {
        p.ec2()
            .modify_subnet_attribute()
            .subnet_id(id)
            .map_public_ip_on_launch(b.clone())
            .send()
    })
    .await?;
    Ok(())
}

pub(crate) async fn create(p: &AwsProvider, req: &CreateRequest) -> Result<Value, ProviderError> {
    let c = &req.config;
    let vpc = get_str(c, "vpc_id").ok_or_else(|| missing(TYPE, "vpc_id"))?;
    let cidr = get_str(c, "cidr_block").map(str::to_string);
    let ipv6 = get_str(c, "ipv6_cidr_block").map(str::to_string);
    let native = get_bool(c, "ipv6_native") == Some(true);
    if cidr.is_none() && !(native && ipv6.is_some()) {
        return Err(ProviderError::new(
            ErrorKind::Rejected,
            format!(
                "{}: set `cidr_block`, or `ipv6_native = true` with `ipv6_cidr_block`",
                req.address
            ),
        ));
    }
    let az = get_str(c, "availability_zone").map(str::to_string);
    let az_id = get_str(c, "availability_zone_id").map(str::to_string);
    let outpost = get_str(c, "outpost_arn").map(str::to_string);
    let spec = tag_spec(ResourceType::Subnet, req);
    let out = p
        .call("ec2:CreateSubnet", || {
            p.ec2()
                .create_subnet()
                .vpc_id(vpc)
                .set_cidr_block(cidr.clone())
                .set_ipv6_cidr_block(ipv6.clone())
                .set_ipv6_native(native.then_some(true))
                .set_availability_zone(az.clone())
                .set_availability_zone_id(if az.is_none() { az_id.clone() } else { None })
                .set_outpost_arn(outpost.clone())
                .tag_specifications(spec.clone())
                .send()
        })
        .await?;
    let id = out
        .subnet()
        .and_then(Subnet::subnet_id)
        .ok_or_else(|| ProviderError::new(ErrorKind::Other, "CreateSubnet returned no subnet id"))?
        .to_string();
    // AWS creates a subnet with the flag off; the emulator turns it on for a subnet placed
    // by `availability_zone_id` (localstack/README.md): set it whenever the answer differs
    let want = get_bool(c, "map_public_ip_on_launch").unwrap_or(false);
    let created = out
        .subnet()
        .and_then(Subnet::map_public_ip_on_launch)
        .unwrap_or(false);
    if want != created {
        set_public_ip(p, &id, want).await?;
    }
    // what AWS sets after creation, each from its default (a created subnet has them all off)
    subnet_ipv6::modify(p, &id, &subnet_ipv6::defaults(), c).await?;
    p.read_back(TYPE, &id, c).await
}

pub(crate) async fn update(
    p: &AwsProvider,
    id: &str,
    prior: &Value,
    desired: &Value,
) -> Result<Value, ProviderError> {
    if let Some(v) = get_bool(desired, "map_public_ip_on_launch")
        .filter(|v| get_bool(prior, "map_public_ip_on_launch") != Some(*v))
    {
        set_public_ip(p, id, v).await?;
    }
    subnet_ipv6::update(p, id, prior, desired).await?;
    update_tags(p, id, prior, desired).await?;
    p.read_back(TYPE, id, desired).await
}

pub(crate) async fn delete(p: &AwsProvider, id: &str) -> Result<(), ProviderError> {
    p.settle_explained(
        id,
        || async {
            p.call("ec2:DeleteSubnet", || {
                p.ec2().delete_subnet().subnet_id(id).send()
            })
            .await
            .map(|_| ())
        },
        || crate::holders::subnet(p, id),
    )
    .await
}

pub(crate) async fn adopt(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    let found = crate::util::ours(
        describe(p, infra_filters(req)).await?,
        req,
        Subnet::tags,
        Subnet::subnet_id,
    );
    Ok(found
        .first()
        .and_then(|s| to_value(p, s, Some(&req.config)))
        .map(|(_, v)| v))
}
