//! Elastic IP associations: `aws_eip`'s own `instance` / `network_interface` arguments
//! (associated after the allocation and moved in place, as the provider does) and
//! `aws_eip_association` (id = the association id, every argument forces a new one,
//! read in one DescribeAddresses per chunk of association ids).

use std::collections::BTreeMap;

use aws_sdk_ec2::types::Address;
use infra_model::Value;
use infra_provider::{CreateRequest, ErrorKind, ProviderError, ReadRequest};

use crate::util::{filter, get_str, opt};
use crate::AwsProvider;

pub(crate) const TYPE: &str = "aws_eip_association";

/// What an address is to be associated with: an instance, a network interface (and
/// which of its private addresses).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Target {
    pub instance: Option<String>,
    pub network_interface: Option<String>,
    pub private_ip: Option<String>,
}

impl Target {
    /// `aws_eip`'s `instance`, `network_interface` and `associate_with_private_ip`.
    pub(crate) fn of_eip(v: &Value) -> Target {
        Target {
            instance: nonempty(v, "instance"),
            network_interface: nonempty(v, "network_interface"),
            private_ip: nonempty(v, "associate_with_private_ip"),
        }
    }

    /// `aws_eip_association`'s `instance_id`, `network_interface_id` and
    /// `private_ip_address`.
    fn of_association(v: &Value) -> Target {
        Target {
            instance: nonempty(v, "instance_id"),
            network_interface: nonempty(v, "network_interface_id"),
            private_ip: nonempty(v, "private_ip_address"),
        }
    }

    pub(crate) fn is_none(&self) -> bool {
        self.instance.is_none() && self.network_interface.is_none()
    }

    /// Whether `a` is associated with this target (the private address only when asked
    /// for one).
    pub(crate) fn holds(&self, a: &Address) -> bool {
        let same = |want: &Option<String>, have: Option<&str>| {
            want.as_deref().is_none_or(|w| Some(w) == have)
        };
        !self.is_none()
            && a.association_id().is_some()
            && same(&self.instance, a.instance_id())
            && same(&self.network_interface, a.network_interface_id())
            && same(&self.private_ip, a.private_ip_address())
    }
}

fn nonempty(v: &Value, key: &str) -> Option<String> {
    get_str(v, key)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

pub(crate) use crate::eip_nat::describe_addresses as describe;

/// AssociateAddress: the association id.
pub(crate) async fn associate(
    p: &AwsProvider,
    allocation_id: &str,
    target: &Target,
    allow_reassociation: Option<bool>,
) -> Result<String, ProviderError> {
    // the instance is running by then: a dependency's create waits for it
    let out = p
        .call("ec2:AssociateAddress", || {
            p.ec2()
                .associate_address()
                .allocation_id(allocation_id)
                .set_instance_id(target.instance.clone())
                .set_network_interface_id(target.network_interface.clone())
                .set_private_ip_address(target.private_ip.clone())
                .set_allow_reassociation(allow_reassociation)
                .send()
        })
        .await?;
    out.association_id().map(str::to_string).ok_or_else(|| {
        ProviderError::new(
            ErrorKind::Other,
            "AssociateAddress returned no association id",
        )
    })
}

/// DisassociateAddress; an association already gone is not an error.
pub(crate) async fn disassociate(
    p: &AwsProvider,
    association_id: &str,
) -> Result<(), ProviderError> {
    match p
        .call("ec2:DisassociateAddress", || {
            p.ec2()
                .disassociate_address()
                .association_id(association_id)
                .send()
        })
        .await
    {
        Ok(_) => Ok(()),
        Err(e) if crate::errors::is_not_found(&e) || gone(&e) => Ok(()),
        Err(e) => Err(e),
    }
}

fn gone(e: &ProviderError) -> bool {
    crate::errors::has_code(e, &["InvalidAssociationID.NotFound"])
}

/// `aws_eip`'s update of its association: moved when `instance`, `network_interface` or
/// `associate_with_private_ip` changed (the old one removed first).
pub(crate) async fn update_eip(
    p: &AwsProvider,
    id: &str,
    prior: &Value,
    desired: &Value,
) -> Result<(), ProviderError> {
    let (before, after) = (Target::of_eip(prior), Target::of_eip(desired));
    if before == after {
        return Ok(());
    }
    if let Some(association) = nonempty(prior, "association_id") {
        disassociate(p, &association).await?;
    }
    if !after.is_none() {
        associate(p, id, &after, None).await?;
    }
    Ok(())
}

/// Before an address is released: take it off the instance or interface the state
/// says holds it (ReleaseAddress refuses an associated address), as the provider does,
/// without a read for the many addresses that have none. A NAT gateway's address cannot
/// be taken off it (its gateway is deleted first, so the association is gone by then):
/// a refusal is left to the release, which waits for what still holds the address.
pub(crate) async fn release_association(
    p: &AwsProvider,
    id: &str,
    prior: &Value,
) -> Result<(), ProviderError> {
    let Some(association) = nonempty(prior, "association_id") else {
        return Ok(());
    };
    if let Err(e) = disassociate(p, &association).await {
        tracing::info!(id, association, error = %e, "the address could not be disassociated; releasing it anyway");
    }
    Ok(())
}

fn association_value(a: &Address, prior: Option<&Value>) -> Option<(String, Value)> {
    let id = a.association_id()?.to_string();
    let mut m = BTreeMap::new();
    m.insert("id".into(), Value::string(&id));
    m.insert("allocation_id".into(), opt(a.allocation_id()));
    m.insert("public_ip".into(), opt(a.public_ip()));
    m.insert(
        "instance_id".into(),
        opt(a.instance_id().filter(|i| !i.is_empty())),
    );
    m.insert("network_interface_id".into(), opt(a.network_interface_id()));
    m.insert("private_ip_address".into(), opt(a.private_ip_address()));
    // not readable: what the configuration said
    m.insert(
        "allow_reassociation".into(),
        prior
            .map(|p| p.get("allow_reassociation").clone())
            .unwrap_or(Value::Null),
    );
    Some((id, Value::Map(m)))
}

pub(crate) async fn read(
    p: &AwsProvider,
    items: &[ReadRequest],
) -> Result<BTreeMap<String, Value>, ProviderError> {
    crate::util::read_by_id(
        items,
        "association-id",
        |filters| describe(p, filters),
        Address::association_id,
        association_value,
    )
    .await
}

/// The address an association names: its allocation id, or the one of its public IP.
async fn allocation_of(p: &AwsProvider, config: &Value) -> Result<String, ProviderError> {
    if let Some(id) = nonempty(config, "allocation_id") {
        return Ok(id);
    }
    let Some(ip) = nonempty(config, "public_ip") else {
        return Err(ProviderError::new(
            ErrorKind::Rejected,
            "aws_eip_association: set `allocation_id` (or `public_ip`) to say which address to associate",
        ));
    };
    describe(p, vec![filter("public-ip", [ip.as_str()])])
        .await?
        .iter()
        .find(|a| a.public_ip() == Some(ip.as_str()))
        .and_then(|a| a.allocation_id().map(str::to_string))
        .ok_or_else(|| {
            ProviderError::new(
                ErrorKind::NotFound,
                format!("aws_eip_association: no Elastic IP {ip} in this region"),
            )
        })
}

pub(crate) async fn create(p: &AwsProvider, req: &CreateRequest) -> Result<Value, ProviderError> {
    let target = Target::of_association(&req.config);
    if target.is_none() {
        return Err(ProviderError::new(
            ErrorKind::Rejected,
            "aws_eip_association: set `instance_id` or `network_interface_id`",
        ));
    }
    let allocation = allocation_of(p, &req.config).await?;
    let allow = req.config.get("allow_reassociation").as_bool();
    let id = associate(p, &allocation, &target, allow).await?;
    p.read_back(TYPE, &id, &req.config).await
}

pub(crate) async fn delete(p: &AwsProvider, id: &str) -> Result<(), ProviderError> {
    disassociate(p, id).await
}

/// After a lost AssociateAddress answer: the address already associated with the target
/// is the association that attempt made.
pub(crate) async fn adopt(
    p: &AwsProvider,
    req: &CreateRequest,
) -> Result<Option<Value>, ProviderError> {
    let target = Target::of_association(&req.config);
    let Ok(allocation) = allocation_of(p, &req.config).await else {
        return Ok(None);
    };
    let found = describe(p, vec![filter("allocation-id", [allocation.as_str()])]).await?;
    Ok(found
        .iter()
        .find(|a| target.holds(a))
        .and_then(|a| association_value(a, Some(&req.config)))
        .map(|(_, v)| v))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address(instance: Option<&str>, eni: Option<&str>, private: Option<&str>) -> Address {
        Address::builder()
            .allocation_id("eipalloc-1")
            .association_id("eipassoc-1")
            .public_ip("54.0.0.1")
            .set_instance_id(instance.map(str::to_string))
            .set_network_interface_id(eni.map(str::to_string))
            .set_private_ip_address(private.map(str::to_string))
            .build()
    }

    #[test]
    fn a_target_holds_an_address_associated_with_it() {
        let a = address(Some("i-1"), Some("eni-1"), Some("10.0.0.5"));
        let t = |i: Option<&str>, e: Option<&str>, p: Option<&str>| Target {
            instance: i.map(str::to_string),
            network_interface: e.map(str::to_string),
            private_ip: p.map(str::to_string),
        };
        assert!(t(Some("i-1"), None, None).holds(&a));
        assert!(t(None, Some("eni-1"), Some("10.0.0.5")).holds(&a));
        assert!(!t(Some("i-2"), None, None).holds(&a));
        assert!(!t(Some("i-1"), None, Some("10.0.0.6")).holds(&a));
        assert!(!t(None, None, None).holds(&a), "no target holds nothing");
        let free = Address::builder().allocation_id("eipalloc-1").build();
        assert!(!t(Some("i-1"), None, None).holds(&free));
    }

    #[test]
    fn targets_come_from_each_types_arguments_and_empty_is_unset() {
        let eip = Value::map([
            ("instance", Value::string("i-1")),
            ("network_interface", Value::string("")),
            ("associate_with_private_ip", Value::Null),
        ]);
        assert_eq!(
            Target::of_eip(&eip),
            Target {
                instance: Some("i-1".into()),
                ..Target::default()
            }
        );
        let assoc = Value::map([
            ("network_interface_id", Value::string("eni-1")),
            ("private_ip_address", Value::string("10.0.0.5")),
        ]);
        assert_eq!(
            Target::of_association(&assoc),
            Target {
                network_interface: Some("eni-1".into()),
                private_ip: Some("10.0.0.5".into()),
                ..Target::default()
            }
        );
        assert!(Target::of_eip(&Value::map([("domain", Value::string("vpc"))])).is_none());
    }

    #[test]
    fn an_association_reads_back_with_the_configured_reassociation() {
        let a = address(Some("i-1"), Some("eni-1"), Some("10.0.0.5"));
        let prior = Value::map([("allow_reassociation", Value::Bool(true))]);
        let (id, v) = association_value(&a, Some(&prior)).unwrap();
        assert_eq!(id, "eipassoc-1");
        assert_eq!(v.get("instance_id"), &Value::string("i-1"));
        assert_eq!(v.get("allocation_id"), &Value::string("eipalloc-1"));
        assert_eq!(v.get("allow_reassociation"), &Value::Bool(true));
        let free = Address::builder().allocation_id("eipalloc-1").build();
        assert!(association_value(&free, None).is_none());
    }
}
