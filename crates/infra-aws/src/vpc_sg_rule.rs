//! `aws_vpc_security_group_ingress_rule` / `aws_vpc_security_group_egress_rule`: one
//! rule with one source, an AWS id of its own (`sgr-...`, also the import id) and tags.
//! Created by AuthorizeSecurityGroupIngress/Egress with TagSpecifications, read with one
//! batched DescribeSecurityGroupRules, changed in place by ModifySecurityGroupRules
//! (everything but the group), deleted by id.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{
    IpPermission, IpRange, Ipv6Range, PrefixListId, ResourceType, SecurityGroupRule,
    SecurityGroupRuleRequest, SecurityGroupRuleUpdate, UserIdGroupPair,
};
use infra_model::Value;
use infra_provider::{CreateRequest, ErrorKind, ProviderError, ReadRequest};

use crate::sg_rules::normalize_protocol;
use crate::util::{ec2_arn, get_i64, get_str, infra_filters, opt, put_tags, tag_spec, update_tags};
use crate::AwsProvider;

pub(crate) const INGRESS: &str = "aws_vpc_security_group_ingress_rule";
pub(crate) const EGRESS: &str = "aws_vpc_security_group_egress_rule";

fn is_egress(type_name: &str) -> bool {
    type_name == EGRESS
}

async fn describe(
    p: &AwsProvider,
    filters: Vec<aws_sdk_ec2::types::Filter>,
) -> Result<Vec<SecurityGroupRule>, ProviderError> {
    p.paginate(
        "ec2:DescribeSecurityGroupRules",
        |token| {
            p.ec2()
                .describe_security_group_rules()
                .set_filters(Some(filters.clone()))
                .max_results(1000)
                .set_next_token(token)
                .send()
        },
        |page| page.security_group_rules(),
        |page| page.next_token(),
    )
    .await
}

/// The protocol as the configuration wrote it when it means the same as AWS's.
fn protocol(cloud: Option<&str>, prior: Option<&Value>) -> Value {
    let cloud = normalize_protocol(cloud.unwrap_or("-1"));
    match prior.and_then(|p| get_str(p, "ip_protocol")) {
        Some(w) if normalize_protocol(w) == cloud => Value::string(w),
        _ => Value::string(cloud),
    }
}

fn to_value(
    p: &AwsProvider,
    r: &SecurityGroupRule,
    prior: Option<&Value>,
) -> Option<(String, Value)> {
    let id = r.security_group_rule_id()?.to_string();
    let all = normalize_protocol(r.ip_protocol().unwrap_or("-1")) == "-1";
    // all traffic has no ports (AWS reports -1); ICMP's "any type" -1 is a real value
    let port = |v: Option<i32>| match v {
        Some(n) if !all => Value::from(i64::from(n)),
        _ => Value::Null,
    };
    let mut m = BTreeMap::new();
    m.insert("id".into(), Value::string(&id));
    m.insert("security_group_rule_id".into(), Value::string(&id));
    m.insert(
        "arn".into(),
        ec2_arn(p, r.group_owner_id(), "security-group-rule", &id),
    );
    m.insert("security_group_id".into(), opt(r.group_id()));
    m.insert("ip_protocol".into(), protocol(r.ip_protocol(), prior));
    m.insert("from_port".into(), port(r.from_port()));
    m.insert("to_port".into(), port(r.to_port()));
    m.insert("cidr_ipv4".into(), opt(r.cidr_ipv4()));
    m.insert("cidr_ipv6".into(), opt(r.cidr_ipv6()));
    m.insert("prefix_list_id".into(), opt(r.prefix_list_id()));
    m.insert(
        "referenced_security_group_id".into(),
        opt(r.referenced_group_info().and_then(|g| g.group_id())),
    );
    m.insert(
        "description".into(),
        opt(r.description().filter(|d| !d.is_empty())),
    );
    put_tags(&mut m, r.tags(), prior);
    Some((id, Value::Map(m)))
}

pub(crate) async fn read(
    p: &AwsProvider,
    type_name: &str,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    let egress = is_egress(type_name);
    let mut found = crate::util::read_by_id(
        items,
        "security-group-rule-id",
        |filters| describe(p, filters),
        SecurityGroupRule::security_group_rule_id,
        |r, prior| {
            if r.is_egress() == Some(egress) {
                to_value(p, r, prior)
            } else {
                None
            }
        },
    )
    .await?;
    found.retain(|_, v| !v.is_null());
    Ok(found)
}

/// The permission a configured rule authorizes.
fn permission(c: &Value) -> Result<IpPermission, ProviderError> {
    let protocol = normalize_protocol(get_str(c, "ip_protocol").unwrap_or("-1"));
    let d = get_str(c, "description").map(str::to_string);
    let mut b = IpPermission::builder().ip_protocol(&protocol);
    if protocol != "-1" {
        let port = |k| get_i64(c, k).and_then(|n| i32::try_from(n).ok());
        b = b
            .set_from_port(port("from_port"))
            .set_to_port(port("to_port"));
    }
    let sources = [
        get_str(c, "cidr_ipv4").is_some(),
        get_str(c, "cidr_ipv6").is_some(),
        get_str(c, "prefix_list_id").is_some(),
        get_str(c, "referenced_security_group_id").is_some(),
    ];
    if sources.iter().filter(|s| **s).count() != 1 {
        return Err(ProviderError::new(
            ErrorKind::Rejected,
            "set exactly one of cidr_ipv4, cidr_ipv6, prefix_list_id or referenced_security_group_id",
        ));
    }
    if let Some(v) = get_str(c, "cidr_ipv4") {
        b = b.ip_ranges(
            IpRange::builder()
                .cidr_ip(v)
                .set_description(d.clone())
                .build(),
        );
    }
    if let Some(v) = get_str(c, "cidr_ipv6") {
        b = b.ipv6_ranges(
            Ipv6Range::builder()
                .cidr_ipv6(v)
                .set_description(d.clone())
                .build(),
        );
    }
    if let Some(v) = get_str(c, "prefix_list_id") {
        b = b.prefix_list_ids(
            PrefixListId::builder()
                .prefix_list_id(v)
                .set_description(d.clone())
                .build(),
        );
    }
    if let Some(v) = get_str(c, "referenced_security_group_id") {
        b = b.user_id_group_pairs(
            UserIdGroupPair::builder()
                .group_id(v)
                .set_description(d)
                .build(),
        );
    }
    Ok(b.build())
}

pub(crate) async fn create(p: &AwsProvider, req: &CreateRequest) -> Result<Value, ProviderError> {
    let c = &req.config;
    let group = get_str(c, "security_group_id")
        .ok_or_else(|| crate::errors::missing(&req.type_name, "security_group_id"))?
        .to_string();
    let perm = permission(c)
        .map_err(|e| ProviderError::new(e.kind, format!("{}: {}", req.address, e.message)))?;
    let spec = tag_spec(ResourceType::SecurityGroupRule, req);
    let sent = if is_egress(&req.type_name) {
        p.call("ec2:AuthorizeSecurityGroupEgress", || {
            p.ec2()
                .authorize_security_group_egress()
                .group_id(&group)
                .ip_permissions(perm.clone())
                .tag_specifications(spec.clone())
                .send()
        })
        .await
        .map(|o| o.security_group_rules().to_vec())
    } else {
        p.call("ec2:AuthorizeSecurityGroupIngress", || {
            p.ec2()
                .authorize_security_group_ingress()
                .group_id(&group)
                .ip_permissions(perm.clone())
                .tag_specifications(spec.clone())
                .send()
        })
        .await
        .map(|o| o.security_group_rules().to_vec())
    };
    // an attempt whose answer was lost made the rule: find it by its infra:* tags
    let Some(rules) = crate::errors::unless_done(sent)? else {
        return match adopt(p, req).await? {
            Some(v) => Ok(v),
            None => Err(ProviderError::new(
                ErrorKind::Other,
                format!("{}: an earlier attempt authorized the rule but it cannot be found by its tags; run again", req.address),
            )),
        };
    };
    let id = rules
        .first()
        .and_then(SecurityGroupRule::security_group_rule_id)
        .ok_or_else(|| {
            ProviderError::new(
                ErrorKind::Other,
                format!(
                    "{}: AWS authorized the rule but returned no rule id; run again to adopt it",
                    req.address
                ),
            )
        })?
        .to_string();
    p.read_back(&req.type_name, &id, c).await
}

pub(crate) async fn update(
    p: &AwsProvider,
    type_name: &str,
    id: &str,
    prior: &Value,
    desired: &Value,
) -> Result<Value, ProviderError> {
    let keys = [
        "ip_protocol",
        "from_port",
        "to_port",
        "cidr_ipv4",
        "cidr_ipv6",
        "prefix_list_id",
        "referenced_security_group_id",
        "description",
    ];
    let changed = keys.iter().any(|k| match *k {
        "ip_protocol" => {
            normalize_protocol(get_str(prior, k).unwrap_or("-1"))
                != normalize_protocol(get_str(desired, k).unwrap_or("-1"))
        }
        "from_port" | "to_port" => get_i64(prior, k) != get_i64(desired, k),
        _ => get_str(prior, k) != get_str(desired, k),
    });
    if changed {
        let group = get_str(prior, "security_group_id")
            .ok_or_else(|| crate::errors::missing(type_name, "security_group_id"))?
            .to_string();
        let protocol = normalize_protocol(get_str(desired, "ip_protocol").unwrap_or("-1"));
        let port = |k| {
            if protocol == "-1" {
                None
            } else {
                get_i64(desired, k).and_then(|n| i32::try_from(n).ok())
            }
        };
        let rule = SecurityGroupRuleRequest::builder()
            .ip_protocol(&protocol)
            .set_from_port(port("from_port"))
            .set_to_port(port("to_port"))
            .set_cidr_ipv4(get_str(desired, "cidr_ipv4").map(str::to_string))
            .set_cidr_ipv6(get_str(desired, "cidr_ipv6").map(str::to_string))
            .set_prefix_list_id(get_str(desired, "prefix_list_id").map(str::to_string))
            .set_referenced_group_id(
                get_str(desired, "referenced_security_group_id").map(str::to_string),
            )
            .set_description(get_str(desired, "description").map(str::to_string))
            .build();
        let update = SecurityGroupRuleUpdate::builder()
            .security_group_rule_id(id)
            .security_group_rule(rule)
            .build();
        p.call("ec2:ModifySecurityGroupRules", || {
            p.ec2()
                .modify_security_group_rules()
                .group_id(&group)
                .security_group_rules(update.clone())
                .send()
        })
        .await?;
    }
    update_tags(p, id, prior, desired).await?;
    p.read_back(type_name, id, desired).await
}

pub(crate) async fn delete(
    p: &AwsProvider,
    type_name: &str,
    id: &str,
    prior: &Value,
) -> Result<(), ProviderError> {
    let Some(group) = get_str(prior, "security_group_id").map(str::to_string) else {
        return Err(crate::errors::missing(type_name, "security_group_id"));
    };
    let r = if is_egress(type_name) {
        p.call("ec2:RevokeSecurityGroupEgress", || {
            p.ec2()
                .revoke_security_group_egress()
                .group_id(&group)
                .security_group_rule_ids(id)
                .send()
        })
        .await
        .map(|_| ())
    } else {
        p.call("ec2:RevokeSecurityGroupIngress", || {
            p.ec2()
                .revoke_security_group_ingress()
                .group_id(&group)
                .security_group_rule_ids(id)
                .send()
        })
        .await
        .map(|_| ())
    };
    match r {
        Err(e) if crate::errors::is_not_found(&e) => Ok(()),
        r => r,
    }
}

pub(crate) async fn adopt(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    let egress = is_egress(&req.type_name);
    let found = crate::util::ours(
        describe(p, infra_filters(req)).await?,
        req,
        SecurityGroupRule::tags,
        SecurityGroupRule::security_group_rule_id,
    );
    Ok(found
        .iter()
        .filter(|r| r.is_egress() == Some(egress))
        .find_map(|r| to_value(p, r, Some(&req.config)))
        .map(|(_, v)| v))
}
