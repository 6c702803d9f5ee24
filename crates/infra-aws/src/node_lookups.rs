//! The data sources of the EKS module's node groups: `aws_subnet` (the one subnet
//! matching `id`, `vpc_id`, `availability_zone`, `cidr_block`, ..., `tags` and `filter`;
//! the arguments are sent as filters and checked again on this side, since the emulator
//! ignores some filters) and `aws_iam_session_context` (the role behind an assumed-role
//! ARN, found with GetRole as the provider does, so `issuer_arn` carries the role's
//! path; any other ARN passes through as `issuer_arn`).

use aws_sdk_ec2::types::Subnet;
use infra_model::Value;
use infra_provider::{ErrorKind, ProviderError, ReadRequest};

use crate::lookups::{describe_args, filters_of, lookup_error};
use crate::util::{filter, get_bool, get_str};
use crate::AwsProvider;

/// (argument, DescribeSubnets filter)
const SUBNET_ARGS: &[(&str, &str)] = &[
    ("id", "subnet-id"),
    ("availability_zone", "availability-zone"),
    ("availability_zone_id", "availability-zone-id"),
    ("cidr_block", "cidr-block"),
    (
        "ipv6_cidr_block",
        "ipv6-cidr-block-association.ipv6-cidr-block",
    ),
    ("state", "state"),
    ("vpc_id", "vpc-id"),
];

fn matches(s: &Subnet, args: &Value) -> bool {
    let want = |k: &str, have: Option<&str>| get_str(args, k).is_none_or(|w| Some(w) == have);
    let v6 = s
        .ipv6_cidr_block_association_set()
        .iter()
        .filter_map(|a| a.ipv6_cidr_block())
        .collect::<Vec<_>>();
    want("id", s.subnet_id())
        && want("availability_zone", s.availability_zone())
        && want("availability_zone_id", s.availability_zone_id())
        && want("cidr_block", s.cidr_block())
        && get_str(args, "ipv6_cidr_block").is_none_or(|w| v6.contains(&w))
        && want("state", s.state().map(|x| x.as_str()))
        && want("vpc_id", s.vpc_id())
        && get_bool(args, "default_for_az").is_none_or(|w| s.default_for_az() == Some(w))
        && args.get("tags").as_map().is_none_or(|tags| {
            tags.iter().all(|(k, v)| {
                s.tags()
                    .iter()
                    .any(|t| t.key() == Some(k.as_str()) && t.value() == v.as_str())
            })
        })
}

pub(crate) async fn subnet(p: &AwsProvider, args: &Value) -> Result<Value, ProviderError> {
    let mut filters = filters_of(args);
    for (arg, name) in SUBNET_ARGS {
        if let Some(v) = get_str(args, arg) {
            filters.push(filter(name, [v.to_string()]));
        }
    }
    if let Some(d) = get_bool(args, "default_for_az") {
        filters.push(filter("default-for-az", [d.to_string()]));
    }
    let found: Vec<Subnet> = crate::subnet::describe(p, filters)
        .await?
        .into_iter()
        .filter(|s| matches(s, args))
        .collect();
    let [one] = found.as_slice() else {
        return Err(lookup_error("subnet", &describe_args(args), found.len()));
    };
    let id = one.subnet_id().unwrap_or_default().to_string();
    let item = [ReadRequest {
        id: id.clone(),
        prior: Value::Null,
    }];
    let full = crate::subnet::read(p, &item)
        .await?
        .remove(&id)
        .ok_or_else(|| lookup_error("subnet", &describe_args(args), 0))?;
    let mut m = full.as_map().cloned().unwrap_or_default();
    m.insert(
        "available_ip_address_count".into(),
        Value::Number(f64::from(one.available_ip_address_count().unwrap_or(0))),
    );
    m.insert(
        "default_for_az".into(),
        Value::Bool(one.default_for_az().unwrap_or(false)),
    );
    m.insert(
        "state".into(),
        Value::string(one.state().map(|s| s.as_str()).unwrap_or("available")),
    );
    let tags = m.remove("tags_all").unwrap_or(Value::Null);
    m.insert("tags".into(), tags);
    m.remove("tags_all");
    // what the data source exports, with the arguments as given (filters included)
    let schema = infra_model::schema::lookup(infra_model::Mode::Data, "aws_subnet");
    m.retain(|k, _| schema.is_some_and(|s| s.attribute(k).is_some()));
    if let Some(f) = args.as_map().and_then(|a| a.get("filter")) {
        m.insert("filter".into(), f.clone());
    }
    Ok(Value::Map(m))
}

/// The role name and session name of `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`.
pub(crate) fn assumed_role(arn: &str) -> Option<(&str, &str)> {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    let [_, _, service, _, _, resource] = parts.as_slice() else {
        return None;
    };
    if *service != "sts" {
        return None;
    }
    let rest = resource.strip_prefix("assumed-role/")?;
    let (role, session) = rest.rsplit_once('/')?;
    let role = role.rsplit('/').next()?;
    (!role.is_empty() && session.len() >= 2).then_some((role, session))
}

pub(crate) async fn session_context(p: &AwsProvider, args: &Value) -> Result<Value, ProviderError> {
    let arn = args.get("arn").as_str().unwrap_or("").to_string();
    let out = |issuer_arn: &str, id: &str, name: &str, session: &str| {
        Value::map([
            ("id", Value::string(&arn)),
            ("arn", Value::string(&arn)),
            ("issuer_arn", Value::string(issuer_arn)),
            ("issuer_id", Value::string(id)),
            ("issuer_name", Value::string(name)),
            ("session_name", Value::string(session)),
        ])
    };
    let Some((role, session)) = assumed_role(&arn) else {
        return Ok(out(&arn, "", "", ""));
    };
    let got = p
        .call("iam:GetRole", || p.iam().get_role().role_name(role).send())
        .await
        .map_err(|e| {
            ProviderError::new(
                ErrorKind::Other,
                format!("aws_iam_session_context: finding the role {role:?} of {arn}: {e}"),
            )
        })?;
    let r = got.role().ok_or_else(|| {
        ProviderError::not_found(format!("aws_iam_session_context: no role {role:?}"))
    })?;
    Ok(out(r.arn(), r.role_id(), role, session))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assumed_role_arns_name_the_role_and_session() {
        assert_eq!(
            assumed_role("arn:aws:sts::123456789012:assumed-role/Admin/jane@example.com"),
            Some(("Admin", "jane@example.com"))
        );
        assert_eq!(
            assumed_role("arn:aws-us-gov:sts::123456789012:assumed-role/Admin/s1"),
            Some(("Admin", "s1"))
        );
        assert_eq!(assumed_role("arn:aws:iam::123456789012:user/jane"), None);
        assert_eq!(assumed_role("arn:aws:iam::123456789012:root"), None);
        assert_eq!(assumed_role("not an arn"), None);
    }
}
