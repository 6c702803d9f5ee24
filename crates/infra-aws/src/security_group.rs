//! `aws_security_group`: create with tags, revoke AWS's default allow-all egress (as
//! Terraform does), authorize the configured rules; updates authorize and revoke only the
//! difference; batched DescribeSecurityGroups reads.

use std::collections::{BTreeMap, BTreeSet};

use aws_sdk_ec2::types::{Filter, IpPermission, IpRange, ResourceType, SecurityGroup};
use infra_model::Value;
use infra_provider::{CreateRequest, ErrorKind, ProviderError, ReadRequest};

use crate::errors::is_not_found;
use crate::sg_rules::{blocks_atoms, permission_atoms, to_blocks, to_permission, Atom};
use crate::util::{
    ec2_arn, filter, get_bool, get_str, infra_filters, opt, put_tags, tag_spec, update_tags,
};
use crate::AwsProvider;

const TYPE: &str = "aws_security_group";

pub(crate) async fn describe(
    p: &AwsProvider,
    filters: Vec<Filter>,
) -> Result<Vec<SecurityGroup>, ProviderError> {
    p.paginate(
        "ec2:DescribeSecurityGroups",
        |token| {
            p.ec2()
                .describe_security_groups()
                .set_filters(Some(filters.clone()))
                .max_results(1000)
                .set_next_token(token)
                .send()
        },
        |page| page.security_groups(),
        |page| page.next_token(),
    )
    .await
}

pub(crate) fn to_value(
    p: &AwsProvider,
    g: &SecurityGroup,
    prior: Option<&Value>,
) -> Option<(String, Value)> {
    let id = g.group_id()?.to_string();
    let mut m = BTreeMap::new();
    m.insert("id".into(), Value::string(&id));
    m.insert("name".into(), opt(g.group_name()));
    crate::util::carry_name_prefix(&mut m, prior);
    m.insert("description".into(), opt(g.description()));
    m.insert("vpc_id".into(), opt(g.vpc_id()));
    m.insert("owner_id".into(), opt(g.owner_id()));
    m.insert(
        "arn".into(),
        g.security_group_arn()
            .map(Value::string)
            .unwrap_or_else(|| ec2_arn(p, g.owner_id(), "security-group", &id)),
    );
    m.insert(
        "revoke_rules_on_delete".into(),
        Value::Bool(
            prior
                .and_then(|p| get_bool(p, "revoke_rules_on_delete"))
                .unwrap_or(false),
        ),
    );
    m.insert(
        "ingress".into(),
        to_blocks(
            &permission_atoms(g.ip_permissions(), &id),
            prior.map(|p| p.get("ingress")),
        ),
    );
    m.insert(
        "egress".into(),
        to_blocks(
            &permission_atoms(g.ip_permissions_egress(), &id),
            prior.map(|p| p.get("egress")),
        ),
    );
    put_tags(&mut m, g.tags(), prior);
    Some((id, Value::Map(m)))
}

pub(crate) async fn read(
    p: &AwsProvider,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    crate::util::read_by_id(
        items,
        "group-id",
        |filters| describe(p, filters),
        SecurityGroup::group_id,
        |x, prior| to_value(p, x, prior),
    )
    .await
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    Ingress,
    Egress,
}

pub(crate) async fn authorize(
    p: &AwsProvider,
    id: &str,
    dir: Direction,
    atoms: &BTreeSet<Atom>,
) -> Result<(), ProviderError> {
    if atoms.is_empty() {
        return Ok(());
    }
    let perms: Vec<IpPermission> = atoms.iter().map(|a| to_permission(a, id, true)).collect();
    match dir {
        Direction::Ingress => {
            crate::errors::unless_done(
                p.call("ec2:AuthorizeSecurityGroupIngress", || {
                    p.ec2()
                        .authorize_security_group_ingress()
                        .group_id(id)
                        .set_ip_permissions(Some(perms.clone()))
                        .send()
                })
                .await,
            )?;
        }
        Direction::Egress => {
            crate::errors::unless_done(
                p.call("ec2:AuthorizeSecurityGroupEgress", || {
                    p.ec2()
                        .authorize_security_group_egress()
                        .group_id(id)
                        .set_ip_permissions(Some(perms.clone()))
                        .send()
                })
                .await,
            )?;
        }
    }
    Ok(())
}

pub(crate) async fn revoke(
    p: &AwsProvider,
    id: &str,
    dir: Direction,
    perms: Vec<IpPermission>,
) -> Result<(), ProviderError> {
    if perms.is_empty() {
        return Ok(());
    }
    let r = match dir {
        Direction::Ingress => p
            .call("ec2:RevokeSecurityGroupIngress", || {
                p.ec2()
                    .revoke_security_group_ingress()
                    .group_id(id)
                    .set_ip_permissions(Some(perms.clone()))
                    .send()
            })
            .await
            .map(|_| ()),
        Direction::Egress => p
            .call("ec2:RevokeSecurityGroupEgress", || {
                p.ec2()
                    .revoke_security_group_egress()
                    .group_id(id)
                    .set_ip_permissions(Some(perms.clone()))
                    .send()
            })
            .await
            .map(|_| ()),
    };
    match r {
        Err(e) if is_not_found(&e) => Ok(()),
        r => r,
    }
}

pub(crate) fn revoke_perms(atoms: &BTreeSet<Atom>, id: &str) -> Vec<IpPermission> {
    atoms.iter().map(|a| to_permission(a, id, false)).collect()
}

/// Bring the rules of group `id` from `old` to `new` (each: the `ingress` / `egress` blocks).
pub(crate) async fn sync_rules(
    p: &AwsProvider,
    id: &str,
    old: &Value,
    new: &Value,
) -> Result<(), ProviderError> {
    for (key, dir) in [
        ("ingress", Direction::Ingress),
        ("egress", Direction::Egress),
    ] {
        let (before, after) = (blocks_atoms(old.get(key)), blocks_atoms(new.get(key)));
        let gone: BTreeSet<Atom> = before.difference(&after).cloned().collect();
        // revoke ignores descriptions: do not revoke a source whose description alone changes
        // and is re-authorized below, unless it really goes
        revoke(p, id, dir, revoke_perms(&gone, id)).await?;
        let added: BTreeSet<Atom> = after.difference(&before).cloned().collect();
        authorize(p, id, dir, &added).await?;
    }
    Ok(())
}

pub(crate) async fn create(p: &AwsProvider, req: &CreateRequest) -> Result<Value, ProviderError> {
    let c = &req.config;
    let name = match (get_str(c, "name"), get_str(c, "name_prefix")) {
        (Some(n), _) => n.to_string(),
        (None, Some(prefix)) => crate::util::prefixed_name(prefix, &req.token, 255),
        (None, None) => format!("infra-{:016x}", rand::random::<u64>()),
    };
    let description = get_str(c, "description")
        .unwrap_or("Managed by Terraform")
        .to_string();
    let vpc = get_str(c, "vpc_id").map(str::to_string);
    let spec = tag_spec(ResourceType::SecurityGroup, req);
    let out = p
        .call("ec2:CreateSecurityGroup", || {
            p.ec2()
                .create_security_group()
                .group_name(&name)
                .description(&description)
                .set_vpc_id(vpc.clone())
                .tag_specifications(spec.clone())
                .send()
        })
        .await?;
    let id = out
        .group_id()
        .ok_or_else(|| {
            ProviderError::new(ErrorKind::Other, "CreateSecurityGroup returned no group id")
        })?
        .to_string();
    if vpc.is_some() {
        revoke_default_egress(p, &id).await?;
    }
    sync_rules(p, &id, &Value::Null, c).await?;
    let mut prior = c.as_map().cloned().unwrap_or_default();
    prior.insert("name".into(), Value::string(&name));
    p.read_back(TYPE, &id, &Value::Map(prior)).await
}

/// AWS gives every new VPC security group an allow-all egress rule; Terraform removes it
/// so that only configured rules exist.
async fn revoke_default_egress(p: &AwsProvider, id: &str) -> Result<(), ProviderError> {
    let all = IpPermission::builder()
        .ip_protocol("-1")
        .ip_ranges(IpRange::builder().cidr_ip("0.0.0.0/0").build())
        .build();
    revoke(p, id, Direction::Egress, vec![all]).await
}

pub(crate) async fn update(
    p: &AwsProvider,
    id: &str,
    prior: &Value,
    desired: &Value,
) -> Result<Value, ProviderError> {
    sync_rules(p, id, prior, desired).await?;
    update_tags(p, id, prior, desired).await?;
    p.read_back(TYPE, id, desired).await
}

pub(crate) async fn delete(p: &AwsProvider, id: &str, prior: &Value) -> Result<(), ProviderError> {
    if get_bool(prior, "revoke_rules_on_delete") == Some(true) {
        let found = describe(p, vec![filter("group-id", [id])]).await?;
        let Some(g) = found.iter().find(|g| g.group_id() == Some(id)) else {
            return Ok(());
        };
        revoke(
            p,
            id,
            Direction::Ingress,
            revoke_perms(&permission_atoms(g.ip_permissions(), id), id),
        )
        .await?;
        revoke(
            p,
            id,
            Direction::Egress,
            revoke_perms(&permission_atoms(g.ip_permissions_egress(), id), id),
        )
        .await?;
    }
    p.settle_explained(
        id,
        || async {
            p.call("ec2:DeleteSecurityGroup", || {
                p.ec2().delete_security_group().group_id(id).send()
            })
            .await
            .map(|_| ())
        },
        || crate::holders::security_group(p, id),
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
        SecurityGroup::tags,
        SecurityGroup::group_id,
    );
    let Some(g) = found.first() else {
        return Ok(None);
    };
    let Some((id, current)) = to_value(p, g, Some(&req.config)) else {
        return Ok(None);
    };
    // the create may have stopped before the default egress was revoked or the rules were
    // authorized: finish it
    let mut cloud = current.clone();
    if let Value::Map(m) = &mut cloud {
        for key in ["ingress", "egress"] {
            m.insert(key.into(), to_blocks(&blocks_atoms(current.get(key)), None));
        }
    }
    if blocks_atoms(cloud.get("ingress")) != blocks_atoms(req.config.get("ingress"))
        || blocks_atoms(cloud.get("egress")) != blocks_atoms(req.config.get("egress"))
    {
        sync_rules(p, &id, &cloud, &req.config).await?;
        return p.read_back(TYPE, &id, &req.config).await.map(Some);
    }
    Ok(Some(current))
}
