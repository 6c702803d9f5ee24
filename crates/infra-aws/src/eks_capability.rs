//! `aws_eks_capability`: an EKS capability (managed Argo CD, ACK or kro running for the
//! cluster; CreateCapability and its siblings, Nov 2025).
//!
//! The id is `<cluster_name>,<capability_name>` (Terraform's import ID; `:` is accepted on
//! import too). Create waits for ACTIVE (CREATE_FAILED fails with the health issues EKS
//! reports); the role, the delete propagation policy and the Argo CD role mappings and
//! network access change in place through UpdateCapability, whose update is waited for;
//! the name, cluster, type, Argo CD namespace and Identity Center instance force a new
//! capability; tags change through TagResource. Delete waits until the capability is gone.
//! A refresh lists each cluster's capabilities once (ListCapabilities) and describes those
//! that exist. A capability carries the create's clientRequestToken and `infra:*` tags; its
//! name is unique in its cluster, so adoption finds it by name and checks the tags.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use aws_sdk_eks::types::{
    ArgoCdAwsIdcConfigRequest, ArgoCdConfigRequest, ArgoCdConfigResponse,
    ArgoCdNetworkAccessConfigRequest, ArgoCdRole, ArgoCdRoleMapping, Capability,
    CapabilityConfigurationRequest, CapabilityDeletePropagationPolicy, CapabilityStatus,
    CapabilityType, SsoIdentity, SsoIdentityType, UpdateArgoCdConfig,
    UpdateCapabilityConfiguration, UpdateRoleMappings,
};
use infra_model::Value;
use infra_provider::{CreateRequest, ErrorKind, ProviderError, ReadRequest};

use crate::errors::{found, is_not_found, missing};
use crate::util::{
    create_tag_pairs, eks_tags, first_block, get_str, get_strings, opt, pairs_have_infra_tags,
    put_tag_pairs,
};
use crate::AwsProvider;

pub(crate) const TYPE: &str = "aws_eks_capability";

pub(crate) fn split_id(id: &str) -> Result<(&str, &str), ProviderError> {
    id.split_once(',')
        .filter(|(c, n)| !c.is_empty() && !n.is_empty())
        .ok_or_else(|| {
            ProviderError::new(
                ErrorKind::Rejected,
                format!(
                    "`{id}` is not a capability id; expected `<cluster_name>,<capability_name>`"
                ),
            )
        })
}

/// Terraform's import ID (`CLUSTER,NAME`, or `CLUSTER:NAME` as its documentation writes it)
/// as the id.
pub(crate) fn import_id(import_id: &str) -> Result<String, ProviderError> {
    let (c, n) = import_id
        .split_once(',')
        .or_else(|| import_id.split_once(':'))
        .filter(|(c, n)| !c.is_empty() && !n.is_empty())
        .ok_or_else(|| {
            ProviderError::new(
                ErrorKind::Rejected,
                format!("`{import_id}` is not an import ID of {TYPE}; write CLUSTER,CAPABILITYNAME, e.g. prod,argocd"),
            )
        })?;
    Ok(format!("{c},{n}"))
}

fn rejected(message: String) -> ProviderError {
    ProviderError::new(ErrorKind::Rejected, message)
}

// ---- the configuration block, both ways ----

fn identity(v: &Value) -> Result<SsoIdentity, ProviderError> {
    SsoIdentity::builder()
        .set_id(get_str(v, "id").map(str::to_string))
        .set_type(get_str(v, "type").map(SsoIdentityType::from))
        .build()
        .map_err(|e| {
            rejected(format!(
                "{TYPE}: rbac_role_mapping.identity needs id and type ({e})"
            ))
        })
}

fn mappings(argo: &Value) -> Result<Vec<ArgoCdRoleMapping>, ProviderError> {
    argo.get("rbac_role_mapping")
        .as_list()
        .unwrap_or_default()
        .iter()
        .map(|m| {
            let ids = m
                .get("identity")
                .as_list()
                .unwrap_or_default()
                .iter()
                .map(identity)
                .collect::<Result<Vec<_>, _>>()?;
            ArgoCdRoleMapping::builder()
                .set_role(get_str(m, "role").map(ArgoCdRole::from))
                .set_identities(Some(ids))
                .build()
                .map_err(|e| {
                    rejected(format!(
                        "{TYPE}: rbac_role_mapping needs role and identity blocks ({e})"
                    ))
                })
        })
        .collect()
}

fn network(argo: &Value) -> Option<ArgoCdNetworkAccessConfigRequest> {
    let n = first_block(argo, "network_access");
    (!n.is_null()).then(|| {
        ArgoCdNetworkAccessConfigRequest::builder()
            .set_vpce_ids(Some(get_strings(n, "vpce_ids")))
            .build()
    })
}

fn argo(c: &Value) -> &Value {
    first_block(first_block(c, "configuration"), "argo_cd")
}

fn configuration(c: &Value) -> Result<Option<CapabilityConfigurationRequest>, ProviderError> {
    let a = argo(c);
    if a.is_null() {
        return Ok(None);
    }
    let idc = first_block(a, "aws_idc");
    let aws_idc = ArgoCdAwsIdcConfigRequest::builder()
        .set_idc_instance_arn(get_str(idc, "idc_instance_arn").map(str::to_string))
        .set_idc_region(get_str(idc, "idc_region").map(str::to_string))
        .build()
        .map_err(|e| {
            rejected(format!(
                "{TYPE}: configuration.argo_cd needs an aws_idc block with idc_instance_arn ({e})"
            ))
        })?;
    let argo = ArgoCdConfigRequest::builder()
        .aws_idc(aws_idc)
        .set_namespace(get_str(a, "namespace").map(str::to_string))
        .set_network_access(network(a))
        .set_rbac_role_mappings(Some(mappings(a)?).filter(|m| !m.is_empty()))
        .build();
    Ok(Some(
        CapabilityConfigurationRequest::builder()
            .argo_cd(argo)
            .build(),
    ))
}

fn mapping_value(m: &ArgoCdRoleMapping) -> Value {
    Value::map([
        ("role", Value::string(m.role().as_str())),
        (
            "identity",
            Value::List(
                m.identities()
                    .iter()
                    .map(|i| {
                        Value::map([
                            ("id", Value::string(i.id())),
                            ("type", Value::string(i.r#type().as_str())),
                        ])
                    })
                    .collect(),
            ),
        ),
    ])
}

/// What EKS answers as the block; `namespace` and `idc_region`, which EKS fills in when
/// they are not written, are the prior's when it has the block without them, and a
/// network access without VPC endpoints (what EKS answers for none) is no block unless the
/// prior writes one.
fn argo_value(a: &ArgoCdConfigResponse, prior: Option<&Value>) -> Value {
    let prior_argo = prior.map(argo);
    let kept = |v: Option<&str>, prior: Option<&Value>, key: &str| match prior {
        Some(p) if !p.is_null() && p.get(key).is_null() => Value::Null,
        _ => opt(v),
    };
    let idc = a.aws_idc().map(|i| {
        let prior_idc = prior_argo.map(|p| first_block(p, "aws_idc"));
        Value::map([
            ("idc_instance_arn", opt(i.idc_instance_arn())),
            ("idc_region", kept(i.idc_region(), prior_idc, "idc_region")),
        ])
    });
    let prior_network = prior_argo.is_some_and(|p| !first_block(p, "network_access").is_null());
    let network = a
        .network_access()
        .filter(|n| !n.vpce_ids().is_empty() || prior_network)
        .map(|n| {
            Value::map([(
                "vpce_ids",
                crate::util::strings(n.vpce_ids().iter().map(String::as_str)),
            )])
        });
    Value::map([
        ("namespace", kept(a.namespace(), prior_argo, "namespace")),
        ("aws_idc", Value::List(idc.into_iter().collect())),
        ("network_access", Value::List(network.into_iter().collect())),
        (
            "rbac_role_mapping",
            Value::List(a.rbac_role_mappings().iter().map(mapping_value).collect()),
        ),
    ])
}

fn value(c: &Capability, prior: Option<&Value>) -> Value {
    let cluster = c.cluster_name().unwrap_or_default();
    let name = c.capability_name().unwrap_or_default();
    let mut m = BTreeMap::new();
    m.insert("id".into(), Value::string(format!("{cluster},{name}")));
    m.insert("cluster_name".into(), Value::string(cluster));
    m.insert("capability_name".into(), Value::string(name));
    m.insert("arn".into(), opt(c.arn()));
    m.insert("type".into(), opt(c.r#type().map(CapabilityType::as_str)));
    m.insert("role_arn".into(), opt(c.role_arn()));
    m.insert("version".into(), opt(c.version()));
    m.insert(
        "status".into(),
        opt(c.status().map(CapabilityStatus::as_str)),
    );
    m.insert(
        "delete_propagation_policy".into(),
        opt(c
            .delete_propagation_policy()
            .map(CapabilityDeletePropagationPolicy::as_str)),
    );
    let argo = c
        .configuration()
        .and_then(|c| c.argo_cd())
        .map(|a| Value::map([("argo_cd", Value::List(vec![argo_value(a, prior)]))]));
    m.insert(
        "configuration".into(),
        Value::List(argo.into_iter().collect()),
    );
    put_tag_pairs(&mut m, eks_tags(c.tags()), prior);
    Value::Map(m)
}

// ---- calls ----

async fn describe(
    p: &AwsProvider,
    cluster: &str,
    name: &str,
) -> Result<Option<Capability>, ProviderError> {
    let out = found(
        p.call("eks:DescribeCapability", || {
            p.eks()
                .describe_capability()
                .cluster_name(cluster)
                .capability_name(name)
                .send()
        })
        .await,
    )?;
    Ok(out.and_then(|o| o.capability().cloned()))
}

async fn list(p: &AwsProvider, cluster: &str) -> Result<Option<HashSet<String>>, ProviderError> {
    let listed = found(
        p.paginate(
            "eks:ListCapabilities",
            |token| {
                p.eks()
                    .list_capabilities()
                    .cluster_name(cluster)
                    .set_next_token(token)
                    .send()
            },
            |page| page.capabilities(),
            |page| page.next_token(),
        )
        .await,
    )?;
    Ok(listed.map(|v| {
        v.iter()
            .filter_map(|c| c.capability_name().map(str::to_string))
            .collect()
    }))
}

pub(crate) async fn read(
    p: &AwsProvider,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    crate::util::read_cluster_children(
        items,
        split_id,
        |cluster| list(p, cluster),
        |cluster, name| describe(p, cluster, name),
        |c, prior| value(c, Some(prior)),
    )
    .await
}

pub(crate) async fn create(p: &AwsProvider, req: &CreateRequest) -> Result<Value, ProviderError> {
    let c = &req.config;
    let need = |k: &'static str| get_str(c, k).ok_or_else(|| missing(TYPE, k));
    let (cluster, name, kind, role, policy) = (
        need("cluster_name")?,
        need("capability_name")?,
        need("type")?,
        need("role_arn")?,
        need("delete_propagation_policy")?,
    );
    let config = configuration(c)?;
    let tags: HashMap<String, String> = create_tag_pairs(req).into_iter().collect();
    p.call("eks:CreateCapability", || {
        p.eks()
            .create_capability()
            .cluster_name(cluster)
            .capability_name(name)
            .r#type(CapabilityType::from(kind))
            .role_arn(role)
            .delete_propagation_policy(CapabilityDeletePropagationPolicy::from(policy))
            .set_configuration(config.clone())
            .set_tags(Some(tags.clone()))
            .client_request_token(&req.token)
            .send()
    })
    .await?;
    p.read_back(TYPE, &format!("{cluster},{name}"), c).await
}

fn issues(c: &Capability) -> String {
    let found: Vec<String> = c
        .health()
        .map(|h| h.issues())
        .unwrap_or_default()
        .iter()
        .map(|i| {
            format!(
                "{}: {}",
                i.code().map(|c| c.as_str()).unwrap_or("issue"),
                i.message().unwrap_or_default()
            )
        })
        .collect();
    if found.is_empty() {
        "EKS reports no health issue".into()
    } else {
        found.join("; ")
    }
}

pub(crate) async fn wait_active(
    p: &AwsProvider,
    id: &str,
    current: &Value,
) -> Result<Value, ProviderError> {
    let (cluster, name) = split_id(id)?;
    let what = format!("EKS capability {name} of {cluster} to become ACTIVE");
    p.poll_eks(&what, || async {
        let Some(c) = describe(p, cluster, name).await? else {
            return Err(ProviderError::not_found(format!(
                "EKS capability {name} of {cluster} disappeared while being created; run again to create it"
            )));
        };
        match c.status() {
            Some(CapabilityStatus::Active | CapabilityStatus::Degraded) | None => {
                Ok(Some(value(&c, Some(current))))
            }
            Some(CapabilityStatus::CreateFailed) => Err(ProviderError::new(
                ErrorKind::Rejected,
                format!(
                    "EKS capability {name} of {cluster} failed to create ({}); check its IAM role's trust policy (capabilities.eks.amazonaws.com), delete it (infra destroy) and run again",
                    issues(&c)
                ),
            )),
            Some(_) => Ok(None),
        }
    })
    .await
}

/// The role mappings to add or change and to remove, going from `prior` to `desired`.
fn mapping_changes(
    prior: &Value,
    desired: &Value,
) -> Result<(Vec<ArgoCdRoleMapping>, Vec<ArgoCdRoleMapping>), ProviderError> {
    let (old, new) = (mappings(argo(prior))?, mappings(argo(desired))?);
    let roles = |l: &[ArgoCdRoleMapping]| -> BTreeSet<String> {
        l.iter().map(|m| m.role().as_str().to_string()).collect()
    };
    let kept = roles(&new);
    let removed = old
        .iter()
        .filter(|m| !kept.contains(m.role().as_str()))
        .cloned()
        .collect();
    let added = new.into_iter().filter(|m| !old.contains(m)).collect();
    Ok((added, removed))
}

pub(crate) async fn update(
    p: &AwsProvider,
    id: &str,
    prior: &Value,
    desired: &Value,
) -> Result<Value, ProviderError> {
    let (cluster, name) = split_id(id)?;
    let changed = |k: &str| prior.get(k) != desired.get(k);
    let (added, removed) = mapping_changes(prior, desired)?;
    let network_changed =
        first_block(argo(prior), "network_access") != first_block(argo(desired), "network_access");
    let config = (!added.is_empty() || !removed.is_empty() || network_changed).then(|| {
        let mut mappings = UpdateRoleMappings::builder();
        for m in added {
            mappings = mappings.add_or_update_role_mappings(m);
        }
        for m in removed {
            mappings = mappings.remove_role_mappings(m);
        }
        // no block now: no VPC endpoints (public access), as EKS reads an empty list
        let network = network(argo(desired)).unwrap_or_else(|| {
            ArgoCdNetworkAccessConfigRequest::builder()
                .set_vpce_ids(Some(vec![]))
                .build()
        });
        UpdateCapabilityConfiguration::builder()
            .argo_cd(
                UpdateArgoCdConfig::builder()
                    .rbac_role_mappings(mappings.build())
                    .network_access(network)
                    .build(),
            )
            .build()
    });
    if config.is_some() || changed("role_arn") || changed("delete_propagation_policy") {
        // EKS takes no update while the capability is still being created (an adopted one)
        wait_active(p, id, prior).await?;
        let out = p
            .call("eks:UpdateCapability", || {
                p.eks()
                    .update_capability()
                    .cluster_name(cluster)
                    .capability_name(name)
                    .set_role_arn(
                        get_str(desired, "role_arn")
                            .filter(|_| changed("role_arn"))
                            .map(str::to_string),
                    )
                    .set_delete_propagation_policy(
                        get_str(desired, "delete_propagation_policy")
                            .filter(|_| changed("delete_propagation_policy"))
                            .map(CapabilityDeletePropagationPolicy::from),
                    )
                    .set_configuration(config.clone())
                    .send()
            })
            .await?;
        crate::eks::wait_update_of(p, cluster, [None, None, Some(name)], out.update()).await?;
    }
    if let Some(arn) = get_str(prior, "arn") {
        crate::eks::update_tags(p, arn, prior, desired).await?;
    }
    p.read_back(TYPE, id, desired).await
}

pub(crate) async fn delete(p: &AwsProvider, id: &str) -> Result<(), ProviderError> {
    let (cluster, name) = split_id(id)?;
    match p
        .call("eks:DeleteCapability", || {
            p.eks()
                .delete_capability()
                .cluster_name(cluster)
                .capability_name(name)
                .send()
        })
        .await
    {
        Ok(_) => {}
        Err(e) if is_not_found(&e) => return Ok(()),
        Err(e) => return Err(e),
    }
    let what = format!("EKS capability {name} of {cluster} to be deleted");
    p.poll_eks(&what, || async {
        match describe(p, cluster, name).await? {
            None => Ok(Some(())),
            Some(c) if c.status() == Some(&CapabilityStatus::DeleteFailed) => {
                Err(ProviderError::new(
                    ErrorKind::Other,
                    format!(
                        "EKS capability {name} of {cluster} failed to delete ({}); fix the cause and run again",
                        issues(&c)
                    ),
                ))
            }
            Some(_) => Ok(None),
        }
    })
    .await
}

pub(crate) async fn adopt(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    let (Some(cluster), Some(name)) = (
        get_str(&req.config, "cluster_name"),
        get_str(&req.config, "capability_name"),
    ) else {
        return Ok(None);
    };
    if req.known_ids.contains(&format!("{cluster},{name}")) {
        return Ok(None);
    }
    let Some(c) = describe(p, cluster, name).await? else {
        return Ok(None);
    };
    if !pairs_have_infra_tags(eks_tags(c.tags()), req) {
        return Ok(None);
    }
    Ok(Some(value(&c, Some(&req.config))))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(mappings: Vec<(&str, &str)>, namespace: Option<&str>) -> Value {
        let mapping = |(role, id): (&str, &str)| {
            Value::map([
                ("role", Value::string(role)),
                (
                    "identity",
                    Value::List(vec![Value::map([
                        ("id", Value::string(id)),
                        ("type", Value::string("SSO_GROUP")),
                    ])]),
                ),
            ])
        };
        let mut argo = BTreeMap::new();
        argo.insert(
            "aws_idc".to_string(),
            Value::List(vec![Value::map([(
                "idc_instance_arn",
                Value::string("arn:aws:sso:::instance/ssoins-1"),
            )])]),
        );
        argo.insert(
            "rbac_role_mapping".to_string(),
            Value::List(mappings.into_iter().map(mapping).collect()),
        );
        if let Some(n) = namespace {
            argo.insert("namespace".to_string(), Value::string(n));
        }
        Value::map([(
            "configuration",
            Value::List(vec![Value::map([(
                "argo_cd",
                Value::List(vec![Value::Map(argo)]),
            )])]),
        )])
    }

    #[test]
    fn ids_are_terraforms() {
        assert_eq!(split_id("prod,argocd").unwrap(), ("prod", "argocd"));
        assert_eq!(import_id("prod:argocd").unwrap(), "prod,argocd");
        assert_eq!(import_id("prod,argocd").unwrap(), "prod,argocd");
        assert!(import_id("prod")
            .unwrap_err()
            .message
            .contains("CLUSTER,CAPABILITYNAME"));
        assert!(split_id("prod").is_err());
    }

    #[test]
    fn the_argo_cd_block_is_sent_and_read_back() {
        let c = config(vec![("ADMIN", "g-1")], Some("argocd"));
        let req = configuration(&c).unwrap().unwrap();
        let a = req.argo_cd().unwrap();
        assert_eq!(a.namespace(), Some("argocd"));
        assert_eq!(
            a.aws_idc().unwrap().idc_instance_arn(),
            "arn:aws:sso:::instance/ssoins-1"
        );
        assert_eq!(a.rbac_role_mappings()[0].role(), &ArgoCdRole::Admin);
        assert!(configuration(&Value::map([("type", Value::string("ACK"))]))
            .unwrap()
            .is_none());
        // a mapping without identity is refused before any call
        let bad = config(vec![], None);
        let mut m = bad.clone();
        if let Value::Map(ref mut top) = m {
            top.insert(
                "configuration".into(),
                Value::List(vec![Value::map([(
                    "argo_cd",
                    Value::List(vec![Value::map([(
                        "rbac_role_mapping",
                        Value::List(vec![Value::map([("role", Value::string("ADMIN"))])]),
                    )])]),
                )])]),
            );
        }
        assert!(configuration(&m).unwrap_err().message.contains("aws_idc"));
    }

    #[test]
    fn role_mapping_changes_add_change_and_remove_by_role() {
        let before = config(vec![("ADMIN", "g-1"), ("VIEWER", "g-2")], None);
        let after = config(vec![("ADMIN", "g-3")], None);
        let (added, removed) = mapping_changes(&before, &after).unwrap();
        assert_eq!(added.len(), 1);
        assert_eq!(added[0].identities()[0].id(), "g-3");
        assert_eq!(removed.len(), 1);
        assert_eq!(removed[0].role(), &ArgoCdRole::Viewer);
        let (added, removed) = mapping_changes(&after, &after).unwrap();
        assert!(added.is_empty() && removed.is_empty());
    }
}
