//! `aws_route_table` (with inline `route` blocks), `aws_route` and
//! `aws_route_table_association`: all read through one batched DescribeRouteTables call.

use std::collections::{BTreeMap, HashMap, HashSet};

use aws_sdk_ec2::types::{Filter, ResourceType, Route, RouteTable, RouteTableAssociationStateCode};
use infra_model::Value;
use infra_provider::{CreateRequest, ErrorKind, ProviderError, ReadRequest};

use crate::errors::{is_not_found, missing};
use crate::routes::{self, routes_of, Dest};
use crate::util::{
    describe_chunks, ec2_arn, filter, get_str, id_chunks, infra_filters, opt, put_tags, tag_spec,
    update_tags,
};
use crate::AwsProvider;

pub(crate) async fn describe(
    p: &AwsProvider,
    filters: Vec<Filter>,
) -> Result<Vec<RouteTable>, ProviderError> {
    p.paginate(
        "ec2:DescribeRouteTables",
        |token| {
            p.ec2()
                .describe_route_tables()
                .set_filters(Some(filters.clone()))
                .max_results(100)
                .set_next_token(token)
                .send()
        },
        |page| page.route_tables(),
        |page| page.next_token(),
    )
    .await
}

fn sort_blocks(items: &mut [Value]) {
    items.sort_by_key(|v| v.to_json().to_string());
}

// ---- aws_route_table ----

pub(crate) fn table_value(
    p: &AwsProvider,
    t: &RouteTable,
    prior: Option<&Value>,
) -> Option<(String, Value)> {
    table_value_with(p, t, prior, false)
}

/// `with_instance`: the `route` blocks take `instance_id` (`aws_default_route_table`).
pub(crate) fn table_value_with(
    p: &AwsProvider,
    t: &RouteTable,
    prior: Option<&Value>,
    with_instance: bool,
) -> Option<(String, Value)> {
    let id = t.route_table_id()?.to_string();
    let mut routes: Vec<Value> = t
        .routes()
        .iter()
        .filter(|r| routes::is_user_route(r))
        .map(|r| routes::block_value(r, with_instance))
        .collect();
    sort_blocks(&mut routes);
    let mut m = BTreeMap::new();
    m.insert("id".into(), Value::string(&id));
    m.insert("vpc_id".into(), opt(t.vpc_id()));
    m.insert("owner_id".into(), opt(t.owner_id()));
    m.insert("arn".into(), ec2_arn(p, t.owner_id(), "route-table", &id));
    m.insert("route".into(), Value::List(routes));
    put_tags(&mut m, t.tags(), prior);
    Some((id, Value::Map(m)))
}

pub(crate) async fn read_tables(
    p: &AwsProvider,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    read_tables_with(p, items, false).await
}

pub(crate) async fn read_tables_with(
    p: &AwsProvider,
    items: &[ReadRequest],
    with_instance: bool,
) -> Result<BTreeMap<String, Value>, ProviderError> {
    crate::util::read_by_id(
        items,
        "route-table-id",
        |filters| describe(p, filters),
        RouteTable::route_table_id,
        |x, prior| table_value_with(p, x, prior, with_instance),
    )
    .await
}

pub(crate) async fn create_table(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Value, ProviderError> {
    let vpc = get_str(&req.config, "vpc_id").ok_or_else(|| missing("aws_route_table", "vpc_id"))?;
    let spec = tag_spec(ResourceType::RouteTable, req);
    let out = p
        .call("ec2:CreateRouteTable", || {
            p.ec2()
                .create_route_table()
                .vpc_id(vpc)
                .tag_specifications(spec.clone())
                .send()
        })
        .await?;
    let id = out
        .route_table()
        .and_then(RouteTable::route_table_id)
        .ok_or_else(|| ProviderError::new(ErrorKind::Other, "CreateRouteTable returned no id"))?
        .to_string();
    routes::sync(p, &id, &BTreeMap::new(), &routes_of(&req.config)).await?;
    p.read_back("aws_route_table", &id, &req.config).await
}

pub(crate) async fn update_table(
    p: &AwsProvider,
    id: &str,
    prior: &Value,
    desired: &Value,
) -> Result<Value, ProviderError> {
    routes::sync(p, id, &routes_of(prior), &routes_of(desired)).await?;
    update_tags(p, id, prior, desired).await?;
    p.read_back("aws_route_table", id, desired).await
}

async fn delete_table_call(p: &AwsProvider, id: &str) -> Result<(), ProviderError> {
    p.call("ec2:DeleteRouteTable", || {
        p.ec2().delete_route_table().route_table_id(id).send()
    })
    .await
    .map(|_| ())
}

pub(crate) async fn delete_table(p: &AwsProvider, id: &str) -> Result<(), ProviderError> {
    p.settle_explained(
        id,
        || async {
            match delete_table_call(p, id).await {
                // Destroy removes a table's associations before the table, so one still
                // there with a subnet of the same stack is a disassociation that failed or
                // was answered without being carried out: check again and redo it, rather
                // than wait for what nothing else will remove.
                Err(e) if crate::errors::has_code(&e, &["DependencyViolation"]) => {
                    if crate::holders::release_own_associations(p, id).await > 0 {
                        delete_table_call(p, id).await
                    } else {
                        Err(e)
                    }
                }
                r => r,
            }
        },
        || crate::holders::route_table(p, id),
    )
    .await
}

pub(crate) async fn adopt_table(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    let found = crate::util::ours(
        describe(p, infra_filters(req)).await?,
        req,
        RouteTable::tags,
        RouteTable::route_table_id,
    );
    let Some((id, v)) = found
        .first()
        .and_then(|t| table_value(p, t, Some(&req.config)))
    else {
        return Ok(None);
    };
    // the create may have stopped before every route was made
    let want = routes_of(&req.config);
    if routes_of(&v) != want {
        routes::sync(p, &id, &routes_of(&v), &want).await?;
        return p
            .read_back("aws_route_table", &id, &req.config)
            .await
            .map(Some);
    }
    Ok(Some(v))
}

// ---- aws_route ----

/// `<route_table_id>_<destination>`, the Terraform provider's import id (the destination
/// is the IPv4 CIDR, the IPv6 CIDR or the prefix list id).
pub fn route_id(table: &str, dest: &str) -> String {
    format!("{table}_{dest}")
}

/// The table and destination of a route, from its prior attributes or its id.
fn route_key(id: &str, prior: &Value) -> Option<(String, Dest)> {
    match (get_str(prior, "route_table_id"), Dest::of_resource(prior)) {
        (Some(t), Some(d)) => Some((t.to_string(), d)),
        _ => id
            .split_once('_')
            .map(|(t, d)| (t.to_string(), Dest::parse(d))),
    }
}

fn route_value(table: &str, dest: &Dest, r: &Route) -> Value {
    let mut m = BTreeMap::new();
    m.insert("id".into(), Value::string(route_id(table, dest.as_str())));
    m.insert("route_table_id".into(), Value::string(table));
    for (k, v) in routes::resource_fields(r) {
        m.insert(k.into(), v);
    }
    Value::Map(m)
}

fn find_route<'a>(t: &'a RouteTable, dest: &Dest) -> Option<&'a Route> {
    t.routes()
        .iter()
        .find(|r| Dest::of_route(r).as_ref() == Some(dest))
}

pub(crate) async fn read_routes(
    p: &AwsProvider,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    let keys: Vec<(String, String, Dest)> = items
        .iter()
        .filter_map(|i| route_key(&i.id, &i.prior).map(|(t, d)| (i.id.clone(), t, d)))
        .collect();
    let mut tables = HashMap::new();
    let chunks = id_chunks(keys.iter().map(|(_, t, _)| t.as_str()));
    for t in describe_chunks(chunks, |c| describe(p, vec![filter("route-table-id", c)])).await? {
        if let Some(id) = t.route_table_id() {
            tables.insert(id.to_string(), t);
        }
    }
    let mut out = BTreeMap::new();
    for (id, table, dest) in keys {
        if let Some(r) = tables.get(&table).and_then(|t| find_route(t, &dest)) {
            out.insert(id, route_value(&table, &dest, r));
        }
    }
    Ok(out)
}

async fn read_route(
    p: &AwsProvider,
    table: &str,
    dest: &Dest,
) -> Result<Option<Value>, ProviderError> {
    let found = describe(p, vec![filter("route-table-id", [table])]).await?;
    Ok(found
        .iter()
        .find(|t| t.route_table_id() == Some(table))
        .and_then(|t| find_route(t, dest))
        .map(|r| route_value(table, dest, r)))
}

fn route_parts(type_name: &str, v: &Value) -> Result<(String, Dest), ProviderError> {
    let table = get_str(v, "route_table_id").ok_or_else(|| missing(type_name, "route_table_id"))?;
    let dest = Dest::of_resource(v).ok_or_else(|| {
        ProviderError::new(
            ErrorKind::Rejected,
            format!("{type_name}: set one of destination_cidr_block, destination_ipv6_cidr_block and destination_prefix_list_id"),
        )
    })?;
    Ok((table.to_string(), dest))
}

pub(crate) async fn create_route(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Value, ProviderError> {
    let (table, dest) = route_parts("aws_route", &req.config)?;
    routes::create_call(p, &table, &dest, &routes::targets_of(&req.config)).await?;
    let id = route_id(&table, dest.as_str());
    p.read_back("aws_route", &id, &req.config).await
}

pub(crate) async fn update_route(
    p: &AwsProvider,
    id: &str,
    prior: &Value,
    desired: &Value,
) -> Result<Value, ProviderError> {
    let (table, dest) = route_parts("aws_route", desired)?;
    let mut want = routes::targets_of(desired);
    // computed with an instance target: not the user's choice unless configured so
    if want.contains_key("instance_id") || get_str(prior, "instance_id").is_some() {
        want.remove("network_interface_id");
    }
    routes::replace_call(p, &table, &dest, &want).await?;
    p.read_back("aws_route", id, desired).await
}

pub(crate) async fn delete_route(
    p: &AwsProvider,
    id: &str,
    prior: &Value,
) -> Result<(), ProviderError> {
    let Some((table, dest)) = route_key(id, prior) else {
        return Err(ProviderError::new(ErrorKind::Rejected, format!("cannot tell the route table and destination of route `{id}`; remove it from the state")));
    };
    routes::delete_call(p, &table, &dest).await
}

pub(crate) async fn adopt_route(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    let (table, dest) = route_parts("aws_route", &req.config)?;
    match read_route(p, &table, &dest).await {
        Ok(Some(v)) if v.get("origin").as_str() != Some("CreateRouteTable") => Ok(Some(v)),
        Ok(_) => Ok(None),
        Err(e) if is_not_found(&e) => Ok(None),
        Err(e) => Err(e),
    }
}

// ---- aws_route_table_association ----

fn association_values(t: &RouteTable, wanted: impl Fn(&str) -> bool) -> Vec<(String, Value)> {
    t.associations()
        .iter()
        .filter(|a| !a.main().unwrap_or(false))
        .filter(|a| {
            !matches!(
                a.association_state().and_then(|s| s.state()),
                Some(RouteTableAssociationStateCode::Disassociated)
                    | Some(RouteTableAssociationStateCode::Disassociating)
                    | Some(RouteTableAssociationStateCode::Failed)
            )
        })
        .filter_map(|a| {
            let id = a.route_table_association_id()?;
            wanted(id).then(|| {
                (
                    id.to_string(),
                    Value::map([
                        ("id", Value::string(id)),
                        (
                            "route_table_id",
                            opt(a.route_table_id().or(t.route_table_id())),
                        ),
                        ("subnet_id", opt(a.subnet_id())),
                        ("gateway_id", opt(a.gateway_id())),
                    ]),
                )
            })
        })
        .collect()
}

pub(crate) async fn read_associations(
    p: &AwsProvider,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    // By the tables the associations belong to (a plain id filter), then by association id
    // for what moved or went: the emulator answers a multi-valued
    // `association.route-table-association-id` filter only with tables whose associations
    // are all (or none but) the ones asked for, so a table holding one more association
    // (made outside infra) would hide the stack's own.
    let mut out = BTreeMap::new();
    let tables: Vec<String> = items
        .iter()
        .filter_map(|i| get_str(&i.prior, "route_table_id").map(str::to_string))
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    let asked: HashSet<&str> = items.iter().map(|i| i.id.as_str()).collect();
    let wanted = |id: &str| asked.contains(id);
    let chunks = id_chunks(tables.iter().map(String::as_str));
    for t in &describe_chunks(chunks, |c| describe(p, vec![filter("route-table-id", c)])).await? {
        out.extend(association_values(t, wanted));
    }
    let missing: Vec<&str> = items
        .iter()
        .map(|i| i.id.as_str())
        .filter(|id| !out.contains_key(*id))
        .collect();
    for chunk in id_chunks(missing.into_iter()) {
        let tables = describe(
            p,
            vec![filter(
                "association.route-table-association-id",
                chunk.clone(),
            )],
        )
        .await?;
        for t in &tables {
            out.extend(association_values(t, |id| chunk.iter().any(|c| c == id)));
        }
    }
    Ok(out)
}

pub(crate) async fn create_association(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Value, ProviderError> {
    let c = &req.config;
    let table = get_str(c, "route_table_id")
        .ok_or_else(|| missing("aws_route_table_association", "route_table_id"))?;
    let subnet = get_str(c, "subnet_id").map(str::to_string);
    let gateway = get_str(c, "gateway_id").map(str::to_string);
    if subnet.is_none() == gateway.is_none() {
        return Err(ProviderError::new(
            ErrorKind::Rejected,
            "aws_route_table_association: set exactly one of subnet_id and gateway_id",
        ));
    }
    let out = p
        .call("ec2:AssociateRouteTable", || {
            p.ec2()
                .associate_route_table()
                .route_table_id(table)
                .set_subnet_id(subnet.clone())
                .set_gateway_id(gateway.clone())
                .send()
        })
        .await?;
    let id = out.association_id().ok_or_else(|| {
        ProviderError::new(
            ErrorKind::Other,
            "AssociateRouteTable returned no association id",
        )
    })?;
    Ok(Value::map([
        ("id", Value::string(id)),
        ("route_table_id", Value::string(table)),
        ("subnet_id", opt(subnet.as_deref())),
        ("gateway_id", opt(gateway.as_deref())),
    ]))
}

pub(crate) async fn update_association(
    p: &AwsProvider,
    id: &str,
    prior: &Value,
    desired: &Value,
) -> Result<Value, ProviderError> {
    let table = get_str(desired, "route_table_id")
        .ok_or_else(|| missing("aws_route_table_association", "route_table_id"))?;
    if get_str(prior, "route_table_id") == Some(table) {
        return Ok(prior.clone());
    }
    let out = p
        .call("ec2:ReplaceRouteTableAssociation", || {
            p.ec2()
                .replace_route_table_association()
                .association_id(id)
                .route_table_id(table)
                .send()
        })
        .await?;
    // AWS gives the association a new id
    let new_id = out.new_association_id().unwrap_or(id);
    let mut next = desired.as_map().cloned().unwrap_or_default();
    next.insert("id".into(), Value::string(new_id));
    next.insert("route_table_id".into(), Value::string(table));
    Ok(Value::Map(next))
}

pub(crate) async fn delete_association(p: &AwsProvider, id: &str) -> Result<(), ProviderError> {
    match p
        .call("ec2:DisassociateRouteTable", || {
            p.ec2().disassociate_route_table().association_id(id).send()
        })
        .await
    {
        Err(e) if is_not_found(&e) => Ok(()),
        r => r.map(|_| ()),
    }
}

pub(crate) async fn adopt_association(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    let c = &req.config;
    let Some(table) = get_str(c, "route_table_id") else {
        return Ok(None);
    };
    let (key, filter_name, value) = match (get_str(c, "subnet_id"), get_str(c, "gateway_id")) {
        (Some(s), _) => ("subnet_id", "association.subnet-id", s),
        (None, Some(g)) => ("gateway_id", "association.gateway-id", g),
        (None, None) => return Ok(None),
    };
    let tables = describe(p, vec![filter(filter_name, [value])]).await?;
    Ok(tables
        .iter()
        .flat_map(|t| association_values(t, |_| true))
        .map(|(_, v)| v)
        .find(|v| get_str(v, key) == Some(value) && get_str(v, "route_table_id") == Some(table)))
}
