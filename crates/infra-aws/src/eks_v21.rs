//! The provider v6 arguments and blocks of `aws_eks_cluster` (terraform-aws-eks v21):
//! what CreateCluster takes, how DescribeCluster's answer reads back into them, and the
//! UpdateClusterConfig calls that change them in place (one kind of change per call, as
//! EKS requires, each waited for). `eks.rs` calls in here.
//!
//! In place: `access_config.authentication_mode`, `upgrade_policy`, `zonal_shift_config`,
//! `compute_config` / `kubernetes_network_config.elastic_load_balancing` /
//! `storage_config` (one call, as EKS Auto Mode wants them together),
//! `deletion_protection`, `control_plane_scaling_config`. Force-new (the schema says so):
//! `bootstrap_self_managed_addons`, `access_config.bootstrap_cluster_creator_admin_permissions`,
//! `encryption_config`, `kubernetes_network_config.service_ipv4_cidr` / `ip_family`,
//! `remote_network_config`, `outpost_config`. Not stored by EKS (kept from the
//! configuration): `bootstrap_self_managed_addons`, `force_update_version`.

use std::collections::BTreeMap;

use aws_sdk_eks::operation::create_cluster::builders::CreateClusterFluentBuilder;
use aws_sdk_eks::operation::update_cluster_config::builders::UpdateClusterConfigFluentBuilder;
use aws_sdk_eks::types::{
    AuthenticationMode, BlockStorage, Cluster, ComputeConfigRequest, ControlPlanePlacementRequest,
    ControlPlaneScalingConfig, CreateAccessConfigRequest, ElasticLoadBalancing, EncryptionConfig,
    IpFamily, KubernetesNetworkConfigRequest, OutpostConfigRequest, Provider,
    ProvisionedControlPlaneTier, RemoteNetworkConfigRequest, RemoteNodeNetwork, RemotePodNetwork,
    StorageConfigRequest, SupportType, UpdateAccessConfigRequest, UpgradePolicyRequest,
    ZonalShiftConfigRequest,
};
use infra_model::Value;
use infra_provider::{ErrorKind, ProviderError};

use crate::util::{first_block, get_bool, get_str, get_strings, opt, strings};
use crate::AwsProvider;

fn block(v: &Value, key: &str) -> Option<Value> {
    let b = first_block(v, key);
    (!b.is_null()).then(|| b.clone())
}

fn owned(v: &Value, key: &str) -> Option<String> {
    get_str(v, key).map(str::to_string)
}

fn nonempty(v: Vec<String>) -> Option<Vec<String>> {
    (!v.is_empty()).then_some(v)
}

fn list(v: Option<Value>) -> Value {
    Value::List(v.into_iter().collect())
}

fn access_create(c: &Value) -> Option<CreateAccessConfigRequest> {
    block(c, "access_config").map(|a| {
        CreateAccessConfigRequest::builder()
            .set_authentication_mode(
                get_str(&a, "authentication_mode").map(AuthenticationMode::from),
            )
            .bootstrap_cluster_creator_admin_permissions(
                get_bool(&a, "bootstrap_cluster_creator_admin_permissions").unwrap_or(true),
            )
            .build()
    })
}

// `resources` is deprecated in the API (EKS encrypts everything), not in the provider
#[allow(deprecated)]
fn encryption(c: &Value) -> Option<Vec<EncryptionConfig>> {
    block(c, "encryption_config").map(|e| {
        vec![EncryptionConfig::builder()
            .set_resources(nonempty(get_strings(&e, "resources")))
            .provider(
                Provider::builder()
                    .set_key_arn(owned(first_block(&e, "provider"), "key_arn"))
                    .build(),
            )
            .build()]
    })
}

fn elb(k: &Value) -> Option<ElasticLoadBalancing> {
    block(k, "elastic_load_balancing").map(|e| {
        ElasticLoadBalancing::builder()
            .set_enabled(get_bool(&e, "enabled"))
            .build()
    })
}

fn network_create(c: &Value) -> Option<KubernetesNetworkConfigRequest> {
    block(c, "kubernetes_network_config").map(|k| {
        KubernetesNetworkConfigRequest::builder()
            .set_service_ipv4_cidr(owned(&k, "service_ipv4_cidr"))
            .set_ip_family(get_str(&k, "ip_family").map(IpFamily::from))
            .set_elastic_load_balancing(elb(&k))
            .build()
    })
}

fn upgrade(c: &Value) -> Option<UpgradePolicyRequest> {
    block(c, "upgrade_policy").map(|u| {
        UpgradePolicyRequest::builder()
            .set_support_type(get_str(&u, "support_type").map(SupportType::from))
            .build()
    })
}

fn zonal(c: &Value) -> Option<ZonalShiftConfigRequest> {
    block(c, "zonal_shift_config").map(|z| {
        ZonalShiftConfigRequest::builder()
            .set_enabled(get_bool(&z, "enabled"))
            .build()
    })
}

fn compute(c: &Value) -> Option<ComputeConfigRequest> {
    block(c, "compute_config").map(|x| {
        ComputeConfigRequest::builder()
            .set_enabled(get_bool(&x, "enabled"))
            .set_node_pools(nonempty(get_strings(&x, "node_pools")))
            .set_node_role_arn(owned(&x, "node_role_arn"))
            .build()
    })
}

fn storage(c: &Value) -> Option<StorageConfigRequest> {
    block(c, "storage_config").map(|s| {
        StorageConfigRequest::builder()
            .set_block_storage(block(&s, "block_storage").map(|b| {
                BlockStorage::builder()
                    .set_enabled(get_bool(&b, "enabled"))
                    .build()
            }))
            .build()
    })
}

fn remote_network(c: &Value) -> Option<RemoteNetworkConfigRequest> {
    block(c, "remote_network_config").map(|r| {
        let nodes = block(&r, "remote_node_networks").map(|n| {
            vec![RemoteNodeNetwork::builder()
                .set_cidrs(nonempty(get_strings(&n, "cidrs")))
                .build()]
        });
        let pods = block(&r, "remote_pod_networks").map(|n| {
            vec![RemotePodNetwork::builder()
                .set_cidrs(nonempty(get_strings(&n, "cidrs")))
                .build()]
        });
        RemoteNetworkConfigRequest::builder()
            .set_remote_node_networks(nodes)
            .set_remote_pod_networks(pods)
            .build()
    })
}

/// `outpost_config` as CreateCluster takes it; an error names what it lacks.
pub(crate) fn outpost(c: &Value) -> Result<Option<OutpostConfigRequest>, ProviderError> {
    let Some(o) = block(c, "outpost_config") else {
        return Ok(None);
    };
    let placement = block(&o, "control_plane_placement").map(|p| {
        ControlPlanePlacementRequest::builder()
            .set_group_name(owned(&p, "group_name"))
            .build()
    });
    OutpostConfigRequest::builder()
        .set_outpost_arns(Some(get_strings(&o, "outpost_arns")))
        .set_control_plane_instance_type(owned(&o, "control_plane_instance_type"))
        .set_control_plane_placement(placement)
        .build()
        .map(Some)
        .map_err(|e| {
            ProviderError::new(
                ErrorKind::Rejected,
                format!("aws_eks_cluster: outpost_config: {e}; set outpost_arns and control_plane_instance_type"),
            )
        })
}

fn scaling(c: &Value) -> Option<ControlPlaneScalingConfig> {
    block(c, "control_plane_scaling_config").map(|s| {
        ControlPlaneScalingConfig::builder()
            .set_tier(get_str(&s, "tier").map(ProvisionedControlPlaneTier::from))
            .build()
    })
}

/// Everything of the v6 arguments CreateCluster takes (`outpost` from [`outpost`]).
pub(crate) fn create_request(
    b: CreateClusterFluentBuilder,
    c: &Value,
    outpost: Option<OutpostConfigRequest>,
) -> CreateClusterFluentBuilder {
    b.set_access_config(access_create(c))
        .bootstrap_self_managed_addons(get_bool(c, "bootstrap_self_managed_addons").unwrap_or(true))
        .set_encryption_config(encryption(c))
        .set_kubernetes_network_config(network_create(c))
        .set_upgrade_policy(upgrade(c))
        .set_zonal_shift_config(zonal(c))
        .set_compute_config(compute(c))
        .set_storage_config(storage(c))
        .set_remote_network_config(remote_network(c))
        .set_outpost_config(outpost)
        .set_deletion_protection(get_bool(c, "deletion_protection"))
        .set_control_plane_scaling_config(scaling(c))
}

fn bool_v(b: Option<bool>) -> Value {
    b.map(Value::Bool).unwrap_or(Value::Null)
}

/// A block the configuration does not write and the cloud reports with nothing set (an
/// `enabled = false` EKS answers for every cluster): left out, so a configuration without
/// it plans clean. With a prior that has the block, or on import (no prior), it is kept.
fn unless_unset(v: Option<Value>, prior: Option<&Value>, key: &str) -> Value {
    let unset = |x: &Value| match x {
        Value::Map(m) => m.values().all(|v| match v {
            Value::Null | Value::Bool(false) => true,
            Value::List(l) => l.iter().all(unset_inner),
            _ => false,
        }),
        _ => true,
    };
    match (v, prior) {
        (Some(v), Some(p)) if unset(&v) && first_block(p, key).is_null() => Value::List(vec![]),
        (v, _) => list(v),
    }
}

fn unset_inner(x: &Value) -> bool {
    match x {
        Value::Map(m) => m
            .values()
            .all(|v| matches!(v, Value::Null | Value::Bool(false))),
        _ => true,
    }
}

/// The v6 attributes of a cluster as DescribeCluster reports them.
#[allow(deprecated)] // `resources` of the encryption config, as above
pub(crate) fn put_cluster(m: &mut BTreeMap<String, Value>, c: &Cluster, prior: Option<&Value>) {
    let carried = |k: &str, default: Value| match prior.map(|p| p.get(k)) {
        Some(v) if !v.is_null() => v.clone(),
        _ => default,
    };
    m.insert(
        "deletion_protection".into(),
        bool_v(c.deletion_protection()),
    );
    m.insert(
        "bootstrap_self_managed_addons".into(),
        carried("bootstrap_self_managed_addons", Value::Bool(true)),
    );
    m.insert(
        "force_update_version".into(),
        carried("force_update_version", Value::Bool(false)),
    );
    let prior_access = prior.map(|p| first_block(p, "access_config").clone());
    let access = c.access_config().map(|a| {
        let bootstrap = a.bootstrap_cluster_creator_admin_permissions().or_else(|| {
            prior_access
                .as_ref()
                .and_then(|p| get_bool(p, "bootstrap_cluster_creator_admin_permissions"))
        });
        Value::map([
            (
                "authentication_mode",
                opt(a.authentication_mode().map(AuthenticationMode::as_str)),
            ),
            (
                "bootstrap_cluster_creator_admin_permissions",
                Value::Bool(bootstrap.unwrap_or(true)),
            ),
        ])
    });
    m.insert("access_config".into(), list(access));
    let enc = c.encryption_config().iter().map(|e| {
        Value::map([
            (
                "resources",
                strings(e.resources().iter().map(String::as_str)),
            ),
            (
                "provider",
                Value::List(vec![Value::map([(
                    "key_arn",
                    opt(e.provider().and_then(|p| p.key_arn())),
                )])]),
            ),
        ])
    });
    m.insert("encryption_config".into(), Value::List(enc.collect()));
    let net = c.kubernetes_network_config().map(|k| {
        let elb = k
            .elastic_load_balancing()
            .map(|e| Value::map([("enabled", bool_v(e.enabled()))]));
        Value::map([
            ("service_ipv4_cidr", opt(k.service_ipv4_cidr())),
            ("service_ipv6_cidr", opt(k.service_ipv6_cidr())),
            ("ip_family", opt(k.ip_family().map(IpFamily::as_str))),
            ("elastic_load_balancing", list(elb)),
        ])
    });
    m.insert("kubernetes_network_config".into(), list(net));
    let up = c.upgrade_policy().map(|u| {
        Value::map([(
            "support_type",
            opt(u.support_type().map(SupportType::as_str)),
        )])
    });
    m.insert("upgrade_policy".into(), list(up));
    let zs = c
        .zonal_shift_config()
        .map(|z| Value::map([("enabled", bool_v(z.enabled()))]));
    m.insert(
        "zonal_shift_config".into(),
        unless_unset(zs, prior, "zonal_shift_config"),
    );
    let cc = c.compute_config().map(|x| {
        Value::map([
            ("enabled", bool_v(x.enabled())),
            (
                "node_pools",
                strings(x.node_pools().iter().map(String::as_str)),
            ),
            ("node_role_arn", opt(x.node_role_arn())),
        ])
    });
    m.insert(
        "compute_config".into(),
        unless_unset(cc, prior, "compute_config"),
    );
    let sc = c.storage_config().map(|s| {
        let bs = s
            .block_storage()
            .map(|b| Value::map([("enabled", bool_v(b.enabled()))]));
        Value::map([("block_storage", list(bs))])
    });
    m.insert(
        "storage_config".into(),
        unless_unset(sc, prior, "storage_config"),
    );
    let rn = c.remote_network_config().map(|r| {
        let nets = |cidrs: Vec<&[String]>| {
            Value::List(
                cidrs
                    .into_iter()
                    .map(|c| Value::map([("cidrs", strings(c.iter().map(String::as_str)))]))
                    .collect(),
            )
        };
        Value::map([
            (
                "remote_node_networks",
                nets(r.remote_node_networks().iter().map(|n| n.cidrs()).collect()),
            ),
            (
                "remote_pod_networks",
                nets(r.remote_pod_networks().iter().map(|n| n.cidrs()).collect()),
            ),
        ])
    });
    m.insert("remote_network_config".into(), list(rn));
    let op = c.outpost_config().map(|o| {
        let placement = o
            .control_plane_placement()
            .map(|p| Value::map([("group_name", opt(p.group_name()))]));
        Value::map([
            (
                "outpost_arns",
                strings(o.outpost_arns().iter().map(String::as_str)),
            ),
            (
                "control_plane_instance_type",
                Value::string(o.control_plane_instance_type()),
            ),
            ("control_plane_placement", list(placement)),
        ])
    });
    m.insert("outpost_config".into(), list(op));
    let tier = c.control_plane_scaling_config().map(|s| {
        Value::map([(
            "tier",
            opt(s.tier().map(ProvisionedControlPlaneTier::as_str)),
        )])
    });
    m.insert("control_plane_scaling_config".into(), list(tier));
}

fn same(prior: &Value, desired: &Value, key: &str) -> bool {
    let norm = |v: &Value| match v {
        Value::Null => Value::List(vec![]),
        v => v.clone(),
    };
    norm(prior.get(key)) == norm(desired.get(key))
}

/// The in-place changes of the v6 arguments, one UpdateClusterConfig per kind of change.
pub(crate) async fn update(
    p: &AwsProvider,
    id: &str,
    prior: &Value,
    desired: &Value,
) -> Result<(), ProviderError> {
    type Build = Box<
        dyn Fn(UpdateClusterConfigFluentBuilder) -> UpdateClusterConfigFluentBuilder + Send + Sync,
    >;
    let mut calls: Vec<(&str, Build)> = Vec::new();
    let mode = |v: &Value| {
        get_str(first_block(v, "access_config"), "authentication_mode").map(str::to_string)
    };
    if let Some(m) = mode(desired).filter(|m| mode(prior).as_ref() != Some(m)) {
        calls.push((
            "access_config",
            Box::new(move |b| {
                b.access_config(
                    UpdateAccessConfigRequest::builder()
                        .authentication_mode(AuthenticationMode::from(m.as_str()))
                        .build(),
                )
            }),
        ));
    }
    if !same(prior, desired, "upgrade_policy") {
        let u = upgrade(desired);
        calls.push((
            "upgrade_policy",
            Box::new(move |b| b.set_upgrade_policy(u.clone())),
        ));
    }
    if !same(prior, desired, "zonal_shift_config") {
        // removing the block turns zonal shift off, as the provider does
        let z = zonal(desired)
            .or_else(|| Some(ZonalShiftConfigRequest::builder().enabled(false).build()));
        calls.push((
            "zonal_shift_config",
            Box::new(move |b| b.set_zonal_shift_config(z.clone())),
        ));
    }
    let elb_of = |v: &Value| {
        first_block(v, "kubernetes_network_config")
            .get("elastic_load_balancing")
            .clone()
    };
    if !same(prior, desired, "compute_config")
        || !same(prior, desired, "storage_config")
        || elb_of(prior) != elb_of(desired)
    {
        let (cc, sc) = (compute(desired), storage(desired));
        let net = block(desired, "kubernetes_network_config")
            .and_then(|k| elb(&k))
            .map(|e| {
                KubernetesNetworkConfigRequest::builder()
                    .elastic_load_balancing(e)
                    .build()
            });
        calls.push((
            "compute_config",
            Box::new(move |b| {
                b.set_compute_config(cc.clone())
                    .set_storage_config(sc.clone())
                    .set_kubernetes_network_config(net.clone())
            }),
        ));
    }
    let dp = get_bool(desired, "deletion_protection");
    if dp.is_some() && dp != get_bool(prior, "deletion_protection") {
        calls.push((
            "deletion_protection",
            Box::new(move |b| b.set_deletion_protection(dp)),
        ));
    }
    if !same(prior, desired, "control_plane_scaling_config") {
        if let Some(s) = scaling(desired) {
            calls.push((
                "control_plane_scaling_config",
                Box::new(move |b| b.control_plane_scaling_config(s.clone())),
            ));
        }
    }
    for (what, build) in calls {
        let out = p
            .call("eks:UpdateClusterConfig", || {
                build(p.eks().update_cluster_config().name(id)).send()
            })
            .await
            .map_err(|mut e| {
                e.message = format!("aws_eks_cluster {id}: changing {what}: {}", e.message);
                e
            })?;
        crate::eks::wait_update(p, id, None, out.update()).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unset_block_the_configuration_lacks_reads_as_none() {
        let off = Some(Value::map([("enabled", Value::Bool(false))]));
        let on = Some(Value::map([("enabled", Value::Bool(true))]));
        let without = Value::map([("zonal_shift_config", Value::List(vec![]))]);
        let with = Value::map([(
            "zonal_shift_config",
            Value::List(vec![Value::map([("enabled", Value::Bool(false))])]),
        )]);
        let key = "zonal_shift_config";
        assert_eq!(
            unless_unset(off.clone(), Some(&without), key),
            Value::List(vec![])
        );
        assert_eq!(
            unless_unset(off.clone(), Some(&with), key),
            list(off.clone())
        );
        assert_eq!(unless_unset(off.clone(), None, key), list(off));
        assert_eq!(unless_unset(on.clone(), Some(&without), key), list(on));
        assert_eq!(unless_unset(None, Some(&with), key), Value::List(vec![]));
    }

    #[test]
    fn an_outpost_block_without_its_required_arguments_is_an_error_before_any_call() {
        let c = Value::map([(
            "outpost_config",
            Value::List(vec![Value::map([(
                "outpost_arns",
                Value::List(vec![Value::string(
                    "arn:aws:outposts:us-east-1:1:outpost/op-1",
                )]),
            )])]),
        )]);
        let e = outpost(&c).unwrap_err();
        assert!(e.message.contains("control_plane_instance_type"), "{e}");
        assert!(outpost(&Value::map([("x", Value::Null)]))
            .unwrap()
            .is_none());
    }
}
