//! The subnet groups terraform-aws-vpc makes for database, ElastiCache and Redshift
//! subnets: `aws_db_subnet_group` (RDS), `aws_elasticache_subnet_group`,
//! `aws_redshift_subnet_group`. One arm in each of the provider's matches sends them here;
//! the three services' calls are in `subnet_group_apis`.
//!
//! The id is the group's name, which is also Terraform's import id. AWS stores the name in
//! lowercase: the id is the cloud's spelling, and `name` keeps the configured spelling when
//! it differs only in case (as the provider's lowercasing state function makes it plan
//! clean). A group from `name_prefix` (or with neither name) is named from the
//! idempotency token, so a rerun of the same intent finds what it made. Groups are
//! tagged (`infra:*` too) at creation; adoption looks the name up and checks the tags.
//! Description and subnets change in place through Modify*SubnetGroup, tags through the
//! service's tag calls; the name forces a new group. A refresh lists the type's groups
//! once (one call per page) and reads the tags of the ones asked for (Redshift answers
//! them with the listing).

use std::collections::{BTreeMap, BTreeSet};

use infra_model::Value;
use infra_provider::{CreateRequest, ProviderError, ReadRequest};

use crate::errors::missing;
use crate::subnet_group_apis as api;
use crate::util::{
    create_tag_pairs, desired_tags, get_str, get_strings, opt, pairs_have_infra_tags,
    put_tag_pairs, strings,
};
use crate::AwsProvider;

pub(crate) const DB: &str = "aws_db_subnet_group";
pub(crate) const CACHE: &str = "aws_elasticache_subnet_group";
pub(crate) const REDSHIFT: &str = "aws_redshift_subnet_group";

/// The service a type's groups belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Rds,
    ElastiCache,
    Redshift,
}

impl Kind {
    fn of(type_name: &str) -> Result<Kind, ProviderError> {
        match type_name {
            DB => Ok(Kind::Rds),
            CACHE => Ok(Kind::ElastiCache),
            REDSHIFT => Ok(Kind::Redshift),
            other => Err(crate::errors::unsupported(other, "resource type")),
        }
    }
}

/// A subnet group as any of the three services describes it.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Group {
    pub name: String,
    pub description: Option<String>,
    pub subnet_ids: Vec<String>,
    pub vpc_id: Option<String>,
    pub arn: Option<String>,
    pub network_types: Vec<String>,
    /// `None`: not read yet (RDS and ElastiCache list tags separately).
    pub tags: Option<Vec<(String, String)>>,
}

/// Whether `type_name` is dispatched here.
pub(crate) fn handles(type_name: &str) -> bool {
    matches!(type_name, DB | CACHE | REDSHIFT)
}

/// Error codes of a create refused because the name is taken (by a lost earlier attempt).
pub(crate) fn exists_codes(type_name: &str) -> &'static [&'static str] {
    match type_name {
        DB => &[
            "DBSubnetGroupAlreadyExists",
            "DBSubnetGroupAlreadyExistsFault",
        ],
        CACHE => &["CacheSubnetGroupAlreadyExists"],
        REDSHIFT => &["ClusterSubnetGroupAlreadyExists"],
        _ => &[],
    }
}

/// What Terraform's import ID of these types looks like.
pub(crate) fn id_format(type_name: &str) -> Option<&'static str> {
    handles(type_name).then_some("the subnet group's name, e.g. prod-database")
}

/// The name a create of `req` gives its group: `name`, else `name_prefix` (or Terraform's
/// `terraform-`) and 26 characters of the idempotency token; lowercase, as AWS stores it.
pub(crate) fn group_name(req: &CreateRequest) -> String {
    let name = match (
        get_str(&req.config, "name"),
        get_str(&req.config, "name_prefix"),
    ) {
        (Some(n), _) => n.to_string(),
        (None, prefix) => {
            crate::util::prefixed_name(prefix.unwrap_or("terraform-"), &req.token, 255)
        }
    };
    name.to_lowercase()
}

/// The configured spelling of the name when the cloud's differs from it only in case.
fn spelled(cloud: &str, prior: Option<&Value>) -> String {
    match prior.and_then(|p| get_str(p, "name")) {
        Some(p) if p.eq_ignore_ascii_case(cloud) => p.to_string(),
        _ => cloud.to_string(),
    }
}

fn to_value(kind: Kind, g: &Group, prior: Option<&Value>) -> Value {
    let mut m = BTreeMap::new();
    m.insert("id".into(), Value::string(&g.name));
    m.insert("name".into(), Value::string(spelled(&g.name, prior)));
    m.insert("description".into(), opt(g.description.as_deref()));
    let subnets: BTreeSet<&str> = g.subnet_ids.iter().map(String::as_str).collect();
    m.insert("subnet_ids".into(), strings(subnets));
    m.insert("arn".into(), opt(g.arn.as_deref()));
    if kind != Kind::Redshift {
        m.insert("vpc_id".into(), opt(g.vpc_id.as_deref()));
    }
    if kind == Kind::Rds {
        crate::util::carry_name_prefix(&mut m, prior);
        let types: BTreeSet<&str> = g.network_types.iter().map(String::as_str).collect();
        m.insert("supported_network_types".into(), strings(types));
    }
    let tags = g.tags.clone().unwrap_or_default();
    put_tag_pairs(
        &mut m,
        tags.iter().map(|(k, v)| (k.as_str(), v.as_str())),
        prior,
    );
    Value::Map(m)
}

pub(crate) async fn read(
    p: &AwsProvider,
    type_name: &str,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    let kind = Kind::of(type_name)?;
    // one id: that group; more: the kind's whole listing, once
    let one = match items {
        [one] => Some(one.id.to_lowercase()),
        _ => None,
    };
    let groups = api::describe(p, kind, one.as_deref()).await?;
    let mut out = BTreeMap::new();
    for item in items {
        let Some(g) = groups
            .iter()
            .find(|g| g.name.eq_ignore_ascii_case(&item.id))
        else {
            continue;
        };
        let mut g = g.clone();
        api::fill_tags(p, kind, &mut g).await?;
        // keyed by the id asked for (an import id may differ from the name in case)
        out.insert(item.id.clone(), to_value(kind, &g, Some(&item.prior)));
    }
    Ok(out)
}

pub(crate) async fn create(p: &AwsProvider, req: &CreateRequest) -> Result<Value, ProviderError> {
    let kind = Kind::of(&req.type_name)?;
    let c = &req.config;
    let subnets = get_strings(c, "subnet_ids");
    if subnets.is_empty() {
        return Err(missing(&req.type_name, "subnet_ids"));
    }
    let name = group_name(req);
    let description = get_str(c, "description").unwrap_or("Managed by Terraform");
    let tags = create_tag_pairs(req);
    api::create(p, kind, &name, description, &subnets, &tags).await?;
    let mut prior = c.as_map().cloned().unwrap_or_default();
    if get_str(c, "name").is_none() {
        prior.insert("name".into(), Value::string(&name));
    }
    p.read_back(&req.type_name, &name, &Value::Map(prior)).await
}

pub(crate) async fn update(
    p: &AwsProvider,
    type_name: &str,
    id: &str,
    prior: &Value,
    desired: &Value,
) -> Result<Value, ProviderError> {
    let kind = Kind::of(type_name)?;
    let set =
        |v: &Value| -> BTreeSet<String> { get_strings(v, "subnet_ids").into_iter().collect() };
    let subnets_changed = !desired.get("subnet_ids").is_unknown() && set(prior) != set(desired);
    let description = get_str(desired, "description").unwrap_or("Managed by Terraform");
    let description_changed = get_str(prior, "description") != Some(description);
    if subnets_changed || description_changed {
        let subnets: Vec<String> = set(desired).into_iter().collect();
        api::modify(p, kind, id, description, &subnets).await?;
    }
    let (old, new) = (desired_tags(prior), desired_tags(desired));
    if old != new {
        let removed: Vec<String> = old
            .keys()
            .filter(|k| !new.contains_key(*k))
            .cloned()
            .collect();
        let changed: BTreeMap<String, String> = new
            .into_iter()
            .filter(|(k, v)| old.get(k) != Some(v))
            .collect();
        let arn = match get_str(prior, "arn") {
            Some(a) => a.to_string(),
            None => api::arn(p, kind, id).await?,
        };
        api::retag(p, kind, &arn, &removed, &changed).await?;
    }
    p.read_back(type_name, id, desired).await
}

pub(crate) async fn delete(
    p: &AwsProvider,
    type_name: &str,
    id: &str,
) -> Result<(), ProviderError> {
    api::delete(p, Kind::of(type_name)?, id).await
}

/// The group an interrupted create of `req` made: the name it would have, carrying its
/// `infra:*` tags (a group of that name without them is someone else's).
pub(crate) async fn adopt(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    let kind = Kind::of(&req.type_name)?;
    let name = group_name(req);
    if req.known_ids.iter().any(|k| k.eq_ignore_ascii_case(&name)) {
        return Ok(None);
    }
    let Some(mut g) = api::describe(p, kind, Some(&name))
        .await?
        .into_iter()
        .next()
    else {
        return Ok(None);
    };
    api::fill_tags(p, kind, &mut g).await?;
    let tags = g.tags.clone().unwrap_or_default();
    if !pairs_have_infra_tags(tags.iter().map(|(k, v)| (k.as_str(), v.as_str())), req) {
        return Ok(None);
    }
    let mut prior = req.config.as_map().cloned().unwrap_or_default();
    if get_str(&req.config, "name").is_none() {
        prior.insert("name".into(), Value::string(&name));
    }
    Ok(Some(to_value(kind, &g, Some(&Value::Map(prior)))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(config: Value) -> CreateRequest {
        CreateRequest {
            stack: "s".into(),
            address: infra_model::Address::parse("aws_db_subnet_group.this").unwrap(),
            type_name: DB.into(),
            config,
            token: "0f3a9c7e-51B2-4c1d-9e8f-7a6b5c4d3e2f".into(),
            known_ids: vec![],
        }
    }

    #[test]
    fn names_are_lowercase_and_stable_per_intent() {
        let named = req(Value::map([("name", Value::string("Prod-DB"))]));
        assert_eq!(group_name(&named), "prod-db");
        let prefixed = req(Value::map([("name_prefix", Value::string("db-"))]));
        let n = group_name(&prefixed);
        assert!(n.starts_with("db-"), "{n}");
        assert_eq!(n, n.to_lowercase());
        assert_eq!(n, group_name(&prefixed), "the same intent, the same name");
        assert!(group_name(&req(Value::Map(BTreeMap::new()))).starts_with("terraform-"));
    }

    #[test]
    fn a_name_differing_only_in_case_keeps_the_configured_spelling() {
        let g = Group {
            name: "prod-db".into(),
            description: Some("d".into()),
            subnet_ids: vec!["subnet-b".into(), "subnet-a".into()],
            tags: Some(vec![
                ("env".into(), "prod".into()),
                ("infra:stack".into(), "s".into()),
            ]),
            ..Group::default()
        };
        let prior = Value::map([("name", Value::string("Prod-DB"))]);
        let v = to_value(Kind::ElastiCache, &g, Some(&prior));
        assert_eq!(v.get("id").as_str(), Some("prod-db"));
        assert_eq!(v.get("name").as_str(), Some("Prod-DB"));
        assert_eq!(
            v.get("subnet_ids"),
            &strings(["subnet-a", "subnet-b"]),
            "sorted"
        );
        assert!(v.get("tags_all").get("infra:stack").is_null());
        assert!(v.get("supported_network_types").is_null(), "RDS only");
        let v = to_value(Kind::Rds, &g, Some(&Value::Map(BTreeMap::new())));
        assert_eq!(v.get("name").as_str(), Some("prod-db"));
        assert!(!v.get("supported_network_types").is_null());
    }
}
