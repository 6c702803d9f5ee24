//! The RDS, ElastiCache and Redshift calls behind `subnet_groups`: describe, create,
//! modify, delete and tag a subnet group, each answer turned into a [`Group`].
//! Every call goes through the provider's `call` / `paginate`.

use std::collections::BTreeMap;

use infra_provider::ProviderError;

use crate::errors::has_code;
use crate::subnet_groups::{Group, Kind};
use crate::AwsProvider;

/// The "no such group" code of each service.
fn not_found(kind: Kind) -> &'static [&'static str] {
    match kind {
        Kind::Rds => &["DBSubnetGroupNotFoundFault"],
        Kind::ElastiCache => &["CacheSubnetGroupNotFoundFault"],
        Kind::Redshift => &["ClusterSubnetGroupNotFoundFault"],
    }
}

fn rds_group(g: &aws_sdk_rds::types::DbSubnetGroup) -> Option<Group> {
    Some(Group {
        name: g.db_subnet_group_name()?.to_string(),
        description: g.db_subnet_group_description().map(str::to_string),
        subnet_ids: g
            .subnets()
            .iter()
            .filter_map(|s| s.subnet_identifier().map(str::to_string))
            .collect(),
        vpc_id: g.vpc_id().map(str::to_string),
        arn: g.db_subnet_group_arn().map(str::to_string),
        network_types: g.supported_network_types().to_vec(),
        tags: None,
    })
}

fn cache_group(g: &aws_sdk_elasticache::types::CacheSubnetGroup) -> Option<Group> {
    Some(Group {
        name: g.cache_subnet_group_name()?.to_string(),
        description: g.cache_subnet_group_description().map(str::to_string),
        subnet_ids: g
            .subnets()
            .iter()
            .filter_map(|s| s.subnet_identifier().map(str::to_string))
            .collect(),
        vpc_id: g.vpc_id().map(str::to_string),
        arn: g.arn().map(str::to_string),
        network_types: g
            .supported_network_types()
            .iter()
            .map(|t| t.as_str().to_string())
            .collect(),
        tags: None,
    })
}

fn redshift_group(g: &aws_sdk_redshift::types::ClusterSubnetGroup) -> Option<Group> {
    Some(Group {
        name: g.cluster_subnet_group_name()?.to_string(),
        description: g.description().map(str::to_string),
        subnet_ids: g
            .subnets()
            .iter()
            .filter_map(|s| s.subnet_identifier().map(str::to_string))
            .collect(),
        vpc_id: g.vpc_id().map(str::to_string),
        arn: None,
        network_types: vec![],
        tags: Some(
            g.tags()
                .iter()
                .filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or("").to_string())))
                .collect(),
        ),
    })
}

/// The group called `name`, or every group of the kind (one call per page).
pub(crate) async fn describe(
    p: &AwsProvider,
    kind: Kind,
    name: Option<&str>,
) -> Result<Vec<Group>, ProviderError> {
    let name = name.map(str::to_string);
    let found: Result<Vec<Group>, ProviderError> = match kind {
        Kind::Rds => p
            .paginate(
                "rds:DescribeDBSubnetGroups",
                |marker| {
                    p.rds()
                        .describe_db_subnet_groups()
                        .set_db_subnet_group_name(name.clone())
                        .set_marker(marker)
                        .send()
                },
                |page| page.db_subnet_groups(),
                |page| page.marker(),
            )
            .await
            .map(|v| v.iter().filter_map(rds_group).collect()),
        Kind::ElastiCache => p
            .paginate(
                "elasticache:DescribeCacheSubnetGroups",
                |marker| {
                    p.elasticache()
                        .describe_cache_subnet_groups()
                        .set_cache_subnet_group_name(name.clone())
                        .set_marker(marker)
                        .send()
                },
                |page| page.cache_subnet_groups(),
                |page| page.marker(),
            )
            .await
            .map(|v| v.iter().filter_map(cache_group).collect()),
        Kind::Redshift => p
            .paginate(
                "redshift:DescribeClusterSubnetGroups",
                |marker| {
                    p.redshift()
                        .describe_cluster_subnet_groups()
                        .set_cluster_subnet_group_name(name.clone())
                        .set_marker(marker)
                        .send()
                },
                |page| page.cluster_subnet_groups(),
                |page| page.marker(),
            )
            .await
            .map(|v| v.iter().filter_map(redshift_group).collect()),
    };
    match found {
        Err(e) if has_code(&e, not_found(kind)) => Ok(vec![]),
        r => r,
    }
}

/// Read the group's tags when the listing did not carry them (RDS, ElastiCache), and its
/// ARN when the service does not answer one (Redshift).
pub(crate) async fn fill_tags(
    p: &AwsProvider,
    kind: Kind,
    g: &mut Group,
) -> Result<(), ProviderError> {
    if g.arn.is_none() {
        g.arn = Some(arn(p, kind, &g.name).await?);
    }
    if g.tags.is_some() {
        return Ok(());
    }
    let arn = g.arn.clone().unwrap_or_default();
    let tags: Vec<(String, String)> = match kind {
        Kind::Rds => p
            .call("rds:ListTagsForResource", || {
                p.rds().list_tags_for_resource().resource_name(&arn).send()
            })
            .await?
            .tag_list()
            .iter()
            .filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or("").to_string())))
            .collect(),
        Kind::ElastiCache => p
            .call("elasticache:ListTagsForResource", || {
                p.elasticache()
                    .list_tags_for_resource()
                    .resource_name(&arn)
                    .send()
            })
            .await?
            .tag_list()
            .iter()
            .filter_map(|t| Some((t.key()?.to_string(), t.value().unwrap_or("").to_string())))
            .collect(),
        Kind::Redshift => vec![],
    };
    g.tags = Some(tags);
    Ok(())
}

/// The ARN of a group whose service does not answer one: Redshift's, built as the
/// Terraform provider builds it (`arn:<partition>:redshift:<region>:<account>:subnetgroup:<name>`).
pub(crate) async fn arn(p: &AwsProvider, kind: Kind, name: &str) -> Result<String, ProviderError> {
    let service = match kind {
        Kind::Rds => "rds",
        Kind::ElastiCache => "elasticache",
        Kind::Redshift => "redshift",
    };
    let who = p
        .call("sts:GetCallerIdentity", || {
            p.sts().get_caller_identity().send()
        })
        .await?;
    let partition = if p.region().starts_with("cn-") {
        "aws-cn"
    } else if p.region().starts_with("us-gov-") {
        "aws-us-gov"
    } else {
        "aws"
    };
    let kind_name = if kind == Kind::Rds {
        "subgrp"
    } else {
        "subnetgroup"
    };
    Ok(format!(
        "arn:{partition}:{service}:{}:{}:{kind_name}:{name}",
        p.region(),
        who.account().unwrap_or_default()
    ))
}

pub(crate) async fn create(
    p: &AwsProvider,
    kind: Kind,
    name: &str,
    description: &str,
    subnets: &[String],
    tags: &BTreeMap<String, String>,
) -> Result<(), ProviderError> {
    let subnets = Some(subnets.to_vec());
    match kind {
        Kind::Rds => {
            let tags: Vec<_> = tags
                .iter()
                .map(|(k, v)| aws_sdk_rds::types::Tag::builder().key(k).value(v).build())
                .collect();
            p.call("rds:CreateDBSubnetGroup", || {
                p.rds()
                    .create_db_subnet_group()
                    .db_subnet_group_name(name)
                    .db_subnet_group_description(description)
                    .set_subnet_ids(subnets.clone())
                    .set_tags(Some(tags.clone()))
                    .send()
            })
            .await?;
        }
        Kind::ElastiCache => {
            let tags: Vec<_> = tags
                .iter()
                .map(|(k, v)| {
                    aws_sdk_elasticache::types::Tag::builder()
                        .key(k)
                        .value(v)
                        .build()
                })
                .collect();
            p.call("elasticache:CreateCacheSubnetGroup", || {
                p.elasticache()
                    .create_cache_subnet_group()
                    .cache_subnet_group_name(name)
                    .cache_subnet_group_description(description)
                    .set_subnet_ids(subnets.clone())
                    .set_tags(Some(tags.clone()))
                    .send()
            })
            .await?;
        }
        Kind::Redshift => {
            let tags: Vec<_> = tags
                .iter()
                .map(|(k, v)| {
                    aws_sdk_redshift::types::Tag::builder()
                        .key(k)
                        .value(v)
                        .build()
                })
                .collect();
            p.call("redshift:CreateClusterSubnetGroup", || {
                p.redshift()
                    .create_cluster_subnet_group()
                    .cluster_subnet_group_name(name)
                    .description(description)
                    .set_subnet_ids(subnets.clone())
                    .set_tags(Some(tags.clone()))
                    .send()
            })
            .await?;
        }
    }
    Ok(())
}

/// Set the group's description and subnets (Modify*SubnetGroup takes both).
pub(crate) async fn modify(
    p: &AwsProvider,
    kind: Kind,
    name: &str,
    description: &str,
    subnets: &[String],
) -> Result<(), ProviderError> {
    let subnets = Some(subnets.to_vec());
    match kind {
        Kind::Rds => {
            p.call("rds:ModifyDBSubnetGroup", || {
                p.rds()
                    .modify_db_subnet_group()
                    .db_subnet_group_name(name)
                    .db_subnet_group_description(description)
                    .set_subnet_ids(subnets.clone())
                    .send()
            })
            .await?;
        }
        Kind::ElastiCache => {
            p.call("elasticache:ModifyCacheSubnetGroup", || {
                p.elasticache()
                    .modify_cache_subnet_group()
                    .cache_subnet_group_name(name)
                    .cache_subnet_group_description(description)
                    .set_subnet_ids(subnets.clone())
                    .send()
            })
            .await?;
        }
        Kind::Redshift => {
            p.call("redshift:ModifyClusterSubnetGroup", || {
                p.redshift()
                    .modify_cluster_subnet_group()
                    .cluster_subnet_group_name(name)
                    .description(description)
                    .set_subnet_ids(subnets.clone())
                    .send()
            })
            .await?;
        }
    }
    Ok(())
}

/// Remove the `removed` tag keys and set the `changed` tags of the group `arn`.
pub(crate) async fn retag(
    p: &AwsProvider,
    kind: Kind,
    arn: &str,
    removed: &[String],
    changed: &BTreeMap<String, String>,
) -> Result<(), ProviderError> {
    let keys = Some(removed.to_vec());
    if !removed.is_empty() {
        match kind {
            Kind::Rds => {
                p.call("rds:RemoveTagsFromResource", || {
                    p.rds()
                        .remove_tags_from_resource()
                        .resource_name(arn)
                        .set_tag_keys(keys.clone())
                        .send()
                })
                .await?;
            }
            Kind::ElastiCache => {
                p.call("elasticache:RemoveTagsFromResource", || {
                    p.elasticache()
                        .remove_tags_from_resource()
                        .resource_name(arn)
                        .set_tag_keys(keys.clone())
                        .send()
                })
                .await?;
            }
            Kind::Redshift => {
                p.call("redshift:DeleteTags", || {
                    p.redshift()
                        .delete_tags()
                        .resource_name(arn)
                        .set_tag_keys(keys.clone())
                        .send()
                })
                .await?;
            }
        }
    }
    if changed.is_empty() {
        return Ok(());
    }
    match kind {
        Kind::Rds => {
            let tags: Vec<_> = changed
                .iter()
                .map(|(k, v)| aws_sdk_rds::types::Tag::builder().key(k).value(v).build())
                .collect();
            p.call("rds:AddTagsToResource", || {
                p.rds()
                    .add_tags_to_resource()
                    .resource_name(arn)
                    .set_tags(Some(tags.clone()))
                    .send()
            })
            .await?;
        }
        Kind::ElastiCache => {
            let tags: Vec<_> = changed
                .iter()
                .map(|(k, v)| {
                    aws_sdk_elasticache::types::Tag::builder()
                        .key(k)
                        .value(v)
                        .build()
                })
                .collect();
            p.call("elasticache:AddTagsToResource", || {
                p.elasticache()
                    .add_tags_to_resource()
                    .resource_name(arn)
                    .set_tags(Some(tags.clone()))
                    .send()
            })
            .await?;
        }
        Kind::Redshift => {
            let tags: Vec<_> = changed
                .iter()
                .map(|(k, v)| {
                    aws_sdk_redshift::types::Tag::builder()
                        .key(k)
                        .value(v)
                        .build()
                })
                .collect();
            p.call("redshift:CreateTags", || {
                p.redshift()
                    .create_tags()
                    .resource_name(arn)
                    .set_tags(Some(tags.clone()))
                    .send()
            })
            .await?;
        }
    }
    Ok(())
}

/// Delete the group; one already gone is deleted.
pub(crate) async fn delete(p: &AwsProvider, kind: Kind, name: &str) -> Result<(), ProviderError> {
    let r = match kind {
        Kind::Rds => p
            .call("rds:DeleteDBSubnetGroup", || {
                p.rds()
                    .delete_db_subnet_group()
                    .db_subnet_group_name(name)
                    .send()
            })
            .await
            .map(|_| ()),
        Kind::ElastiCache => p
            .call("elasticache:DeleteCacheSubnetGroup", || {
                p.elasticache()
                    .delete_cache_subnet_group()
                    .cache_subnet_group_name(name)
                    .send()
            })
            .await
            .map(|_| ()),
        Kind::Redshift => p
            .call("redshift:DeleteClusterSubnetGroup", || {
                p.redshift()
                    .delete_cluster_subnet_group()
                    .cluster_subnet_group_name(name)
                    .send()
            })
            .await
            .map(|_| ()),
    };
    match r {
        Err(e) if has_code(&e, not_found(kind)) || crate::errors::is_not_found(&e) => Ok(()),
        r => crate::errors::unless_done(r).map(|_| ()),
    }
}
