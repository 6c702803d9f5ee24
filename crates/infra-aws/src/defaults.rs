//! The objects AWS makes with every VPC, taken over rather than created, as Terraform's
//! `aws_default_security_group` and `aws_default_route_table` do: "create" finds the
//! VPC's default object, brings its rules or routes to the configuration (no block
//! written on the security group: no rules, which locks the default group down) and tags
//! it `infra:*`; "delete" only gives it back (the `infra:*` tags are removed; AWS deletes
//! it with its VPC). Reads are the batched reads of `aws_security_group` and
//! `aws_route_table`. Adoption after a kill finds the same object by its natural key.

use std::collections::BTreeMap;

use aws_sdk_ec2::types::{RouteTable, SecurityGroup, Tag};
use infra_model::{tags as infra_tags, Value};
use infra_provider::{CreateRequest, ErrorKind, ProviderError, ReadRequest};

use crate::errors::missing;
use crate::util::{create_tag_pairs, filter, get_str, get_strings, update_tags};
use crate::AwsProvider;

pub(crate) const SECURITY_GROUP: &str = "aws_default_security_group";
pub(crate) const ROUTE_TABLE: &str = "aws_default_route_table";

/// Put the create's tags (user and `infra:*`) on a taken-over object.
pub(crate) async fn tag(
    p: &AwsProvider,
    id: &str,
    req: &CreateRequest,
) -> Result<(), ProviderError> {
    let tags: Vec<Tag> = create_tag_pairs(req)
        .into_iter()
        .map(|(k, v)| Tag::builder().key(k).value(v).build())
        .collect();
    p.call("ec2:CreateTags", || {
        p.ec2()
            .create_tags()
            .resources(id)
            .set_tags(Some(tags.clone()))
            .send()
    })
    .await
    .map(|_| ())
}

/// Give a taken-over object back: remove the `infra:*` tags (user tags stay, as the
/// Terraform provider leaves everything it set).
pub(crate) async fn release(p: &AwsProvider, id: &str) -> Result<(), ProviderError> {
    let tags = [infra_tags::STACK, infra_tags::ADDRESS].map(|k| Tag::builder().key(k).build());
    match p
        .call("ec2:DeleteTags", || {
            p.ec2()
                .delete_tags()
                .resources(id)
                .set_tags(Some(tags.to_vec()))
                .send()
        })
        .await
    {
        Err(e) if crate::errors::is_not_found(&e) => Ok(()),
        r => r.map(|_| ()),
    }
}

// ---- aws_default_security_group ----

async fn find_group(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<SecurityGroup>, ProviderError> {
    let vpc = get_str(&req.config, "vpc_id").ok_or_else(|| {
        ProviderError::new(
            ErrorKind::Rejected,
            format!(
                "{}: set `vpc_id`: the default security group is found by its VPC",
                req.address
            ),
        )
    })?;
    let found = crate::security_group::describe(
        p,
        vec![filter("vpc-id", [vpc]), filter("group-name", ["default"])],
    )
    .await?;
    Ok(found
        .into_iter()
        .find(|g| g.vpc_id() == Some(vpc) && g.group_name() == Some("default")))
}

pub(crate) async fn read_group(
    p: &AwsProvider,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    crate::security_group::read(p, items).await
}

pub(crate) async fn create_group(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Value, ProviderError> {
    let Some(g) = find_group(p, req).await? else {
        return Err(ProviderError::not_found(format!(
            "{}: VPC {} has no default security group",
            req.address,
            get_str(&req.config, "vpc_id").unwrap_or_default()
        )));
    };
    let Some((id, cloud)) = crate::security_group::to_value(p, &g, None) else {
        return Err(ProviderError::new(
            ErrorKind::Other,
            "the default security group has no id",
        ));
    };
    crate::security_group::sync_rules(p, &id, &cloud, &req.config).await?;
    tag(p, &id, req).await?;
    p.read_back(SECURITY_GROUP, &id, &req.config).await
}

pub(crate) async fn adopt_group(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    Ok(find_group(p, req)
        .await?
        .and_then(|g| crate::security_group::to_value(p, &g, Some(&req.config)))
        .map(|(_, v)| v))
}

pub(crate) async fn update_group(
    p: &AwsProvider,
    id: &str,
    prior: &Value,
    desired: &Value,
) -> Result<Value, ProviderError> {
    crate::security_group::sync_rules(p, id, prior, desired).await?;
    update_tags(p, id, prior, desired).await?;
    p.read_back(SECURITY_GROUP, id, desired).await
}

pub(crate) async fn delete(p: &AwsProvider, id: &str) -> Result<(), ProviderError> {
    release(p, id).await
}

// ---- aws_default_route_table ----

fn with_table_id(mut v: Value) -> Value {
    if let Value::Map(m) = &mut v {
        let id = m.get("id").cloned().unwrap_or(Value::Null);
        m.insert("default_route_table_id".into(), id.clone());
        m.insert("route_table_id".into(), id);
        m.insert("propagating_vgws".into(), Value::List(vec![]));
    }
    v
}

pub(crate) async fn read_table(
    p: &AwsProvider,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    Ok(crate::route_table::read_tables_with(p, items, true)
        .await?
        .into_iter()
        .map(|(k, v)| (k, with_table_id(v)))
        .collect())
}

async fn find_table(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<RouteTable>, ProviderError> {
    let id = get_str(&req.config, "default_route_table_id")
        .ok_or_else(|| missing(ROUTE_TABLE, "default_route_table_id"))?;
    let found = crate::route_table::describe(p, vec![filter("route-table-id", [id])]).await?;
    Ok(found.into_iter().find(|t| t.route_table_id() == Some(id)))
}

pub(crate) async fn create_table(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Value, ProviderError> {
    if !get_strings(&req.config, "propagating_vgws").is_empty() {
        return Err(ProviderError::new(
            ErrorKind::Rejected,
            format!("{}: `propagating_vgws` is not supported yet (infra has no VPN gateways); remove it", req.address),
        ));
    }
    let Some(t) = find_table(p, req).await? else {
        return Err(ProviderError::not_found(format!(
            "{}: route table {} does not exist; use the VPC's `default_route_table_id`",
            req.address,
            get_str(&req.config, "default_route_table_id").unwrap_or_default()
        )));
    };
    let Some((id, cloud)) = crate::route_table::table_value_with(p, &t, None, true) else {
        return Err(ProviderError::new(
            ErrorKind::Other,
            "the route table has no id",
        ));
    };
    let routes = crate::routes::routes_of;
    crate::routes::sync(p, &id, &routes(&cloud), &routes(&req.config)).await?;
    tag(p, &id, req).await?;
    p.read_back(ROUTE_TABLE, &id, &req.config).await
}

pub(crate) async fn adopt_table(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    Ok(find_table(p, req)
        .await?
        .and_then(|t| crate::route_table::table_value_with(p, &t, Some(&req.config), true))
        .map(|(_, v)| with_table_id(v)))
}

pub(crate) async fn update_table(
    p: &AwsProvider,
    id: &str,
    prior: &Value,
    desired: &Value,
) -> Result<Value, ProviderError> {
    let routes = crate::routes::routes_of;
    crate::routes::sync(p, id, &routes(prior), &routes(desired)).await?;
    update_tags(p, id, prior, desired).await?;
    p.read_back(ROUTE_TABLE, id, desired).await
}
