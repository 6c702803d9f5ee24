//! What still holds a resource whose delete AWS refuses (`DependencyViolation`), named
//! by cloud id and, for objects of a stack, by their `infra:address`: the text of the
//! progress lines and of the error when the dependency never clears.

use aws_sdk_ec2::types::Tag;

use crate::util::filter;
use crate::AwsProvider;

fn address_of(tags: &[Tag]) -> Option<&str> {
    tags.iter()
        .find(|t| t.key() == Some(infra_model::tags::ADDRESS))
        .and_then(Tag::value)
}

/// `subnet-1 (aws_subnet.private[0])`, or `subnet-1 (not managed by infra)`.
async fn subnets_named(p: &AwsProvider, ids: Vec<String>) -> Vec<String> {
    if ids.is_empty() {
        return Vec::new();
    }
    let found = crate::subnet::describe(p, vec![filter("subnet-id", ids.clone())])
        .await
        .unwrap_or_default();
    ids.iter()
        .map(|id| {
            let addr = found
                .iter()
                .find(|s| s.subnet_id() == Some(id.as_str()))
                .and_then(|s| address_of(s.tags()));
            match addr {
                Some(a) => format!("{id} ({a})"),
                None => format!("{id} (not managed by infra)"),
            }
        })
        .collect()
}

/// What keeps route table `id` from being deleted: its associations.
pub(crate) async fn route_table(p: &AwsProvider, id: &str) -> Option<String> {
    let tables = crate::route_table::describe(p, vec![filter("route-table-id", [id])])
        .await
        .ok()?;
    let t = tables.iter().find(|t| t.route_table_id() == Some(id))?;
    let mut by_subnet = Vec::new();
    let mut others = Vec::new();
    for a in t
        .associations()
        .iter()
        .filter(|a| !a.main().unwrap_or(false))
    {
        let assoc = a.route_table_association_id().unwrap_or("?").to_string();
        match (a.subnet_id(), a.gateway_id()) {
            (Some(s), _) => by_subnet.push((s.to_string(), assoc)),
            (None, Some(g)) => others.push(format!("gateway {g} ({assoc})")),
            (None, None) => others.push(assoc),
        }
    }
    let named = subnets_named(p, by_subnet.iter().map(|(s, _)| s.clone()).collect()).await;
    let mut held: Vec<String> = named
        .into_iter()
        .zip(&by_subnet)
        .map(|(subnet, (_, assoc))| format!("subnet {subnet} through association {assoc}"))
        .collect();
    held.extend(others);
    (!held.is_empty()).then(|| format!("it is still associated with {}", held.join(", ")))
}
