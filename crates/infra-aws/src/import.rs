//! Terraform's import IDs (`terraform import ADDR ID`, `import { to, id }`), as the
//! Terraform AWS provider documents them for each resource type.
//!
//! A type is importable when its `read` finds the object from the import ID with the
//! configuration as its prior: for most types the import ID *is* the id (`vpc-…`, a role
//! name, `cluster:nodegroup`, `ZONE_name_TYPE`, `table_cidr`, `role/policy-arn`). Where
//! Terraform's import ID is composite and differs from the id, [`resolve`] turns it into
//! the id first (one arm per such type); [`id_format`] says what to write.

use infra_model::Value;
use infra_provider::{ErrorKind, ProviderError, ReadRequest};

use crate::util::filter;
use crate::{route_table, AwsProvider};
use infra_provider::Provider;

/// What Terraform's import ID looks like for `type_name`, for error messages.
pub fn id_format(type_name: &str) -> &'static str {
    match type_name {
        "aws_vpc" => "the VPC id, e.g. vpc-0abc123",
        "aws_subnet" => "the subnet id, e.g. subnet-0abc123",
        "aws_internet_gateway" => "the gateway id, e.g. igw-0abc123",
        "aws_eip" => "the allocation id, e.g. eipalloc-0abc123",
        "aws_eip_association" => "the association id, e.g. eipassoc-0abc123",
        "aws_nat_gateway" => "the NAT gateway id, e.g. nat-0abc123",
        "aws_route_table" => "the route table id, e.g. rtb-0abc123",
        "aws_route" => "ROUTETABLEID_DESTINATION, e.g. rtb-0abc123_10.42.0.0/16",
        "aws_route_table_association" => {
            "SUBNETID/ROUTETABLEID or GATEWAYID/ROUTETABLEID, e.g. subnet-0abc/rtb-0def (or the association id)"
        }
        "aws_security_group" => "the security group id, e.g. sg-0abc123",
        "aws_eks_cluster" => "the cluster name",
        "aws_eks_node_group" => "CLUSTER:NODEGROUP, e.g. prod:stateless",
        "aws_route53_zone" => "the hosted zone id, e.g. Z0123456789ABC",
        "aws_route53_record" => {
            "ZONEID_NAME_TYPE or ZONEID_NAME_TYPE_SETIDENTIFIER, e.g. Z0123456789ABC_www.example.com_A"
        }
        "aws_route53_health_check" => "the health check id",
        "aws_iam_role" => "the role name",
        "aws_iam_role_policy_attachment" => "ROLENAME/POLICYARN, e.g. my-role/arn:aws:iam::aws:policy/AmazonEKSClusterPolicy",
        "aws_iam_policy" => "the policy ARN, e.g. arn:aws:iam::123456789012:policy/my-policy",
        "aws_iam_role_policy" => "ROLENAME:POLICYNAME, e.g. my-role:my-inline-policy",
        "aws_iam_instance_profile" => "the instance profile name",
        "aws_iam_openid_connect_provider" => {
            "the provider ARN, e.g. arn:aws:iam::123456789012:oidc-provider/oidc.eks.us-east-1.amazonaws.com/id/EXAMPLE"
        }
        "aws_eks_access_entry" => "CLUSTER:PRINCIPALARN, e.g. prod:arn:aws:iam::123456789012:role/admin",
        "aws_eks_access_policy_association" => "CLUSTER#PRINCIPALARN#POLICYARN",
        "aws_eks_addon" => "CLUSTER:ADDON, e.g. prod:vpc-cni",
        "aws_route53_zone_association" => "ZONEID:VPCID, e.g. Z0123456789ABC:vpc-0abc123",
        "aws_route53_delegation_set" => "the delegation set id",
        "aws_security_group_rule" => {
            "SECURITYGROUPID_TYPE_PROTOCOL_FROMPORT_TOPORT_SOURCE[_SOURCE...], e.g. sg-0abc123_ingress_tcp_443_443_10.0.0.0/8"
        }
        "aws_vpc_security_group_ingress_rule" | "aws_vpc_security_group_egress_rule" => {
            "the security group rule id, e.g. sgr-0abc123"
        }
        "aws_default_security_group" => "the default security group's id, e.g. sg-0abc123",
        "aws_default_route_table" => "the default route table's id, e.g. rtb-0abc123",
        "aws_egress_only_internet_gateway" => "the gateway id, e.g. eigw-0abc123",
        "aws_network_acl" => "the network ACL id, e.g. acl-0abc123",
        "aws_network_acl_rule" => {
            "NETWORK_ACL_ID:RULE_NUMBER:PROTOCOL:EGRESS, e.g. acl-0abc123:100:tcp:false"
        }
        "aws_network_acl_association" => "the association id, e.g. aclassoc-0abc123",
        "aws_default_network_acl" => "the default network ACL's id, e.g. acl-0abc123",
        "aws_default_vpc" => "the default VPC's id, e.g. vpc-0abc123",
        "aws_vpc_dhcp_options" => "the DHCP options id, e.g. dopt-0abc123",
        "aws_vpc_block_public_access_options" => "the region, e.g. us-east-1",
        "aws_vpc_block_public_access_exclusion" => {
            "the exclusion id, e.g. vpcbpa-exclude-0abc1234567890def"
        }
        "aws_vpc_dhcp_options_association" => "the VPC id, e.g. vpc-0abc123",
        "aws_vpc_ipam" => "the IPAM id, e.g. ipam-0abc1234567890def",
        "aws_vpc_ipam_pool" => "the pool id, e.g. ipam-pool-0abc1234567890def",
        "aws_vpc_ipam_pool_cidr" | "aws_vpc_ipam_preview_next_cidr" => {
            "CIDR_POOLID, e.g. 10.0.0.0/8_ipam-pool-0abc1234567890def"
        }
        "aws_vpc_ipv4_cidr_block_association" => {
            "the association id, e.g. vpc-cidr-assoc-0abc123"
        }
        t => crate::peering::id_format(t)
            .or_else(|| crate::extra_types::id_format(t))
            .or_else(|| crate::subnet_groups::id_format(t))
            .or_else(|| crate::log_types::id_format(t))
            .or_else(|| crate::vpn_types::id_format(t))
            .or_else(|| crate::kms_types::id_format(t))
            .or_else(|| crate::autoscaling_types::id_format(t))
            .or_else(|| crate::s3_types::id_format(t))
            .or_else(|| crate::sqs_events_types::id_format(t))
            .or_else(|| crate::node_types::id_format(t))
            .or_else(|| crate::eks_types::id_format(t))
            .unwrap_or("the resource's id"),
    }
}

/// The id Terraform's import ID names, or `None` when no such object exists.
pub(crate) async fn resolve(
    p: &AwsProvider,
    type_name: &str,
    import_id: &str,
) -> Result<Option<String>, ProviderError> {
    match type_name {
        "aws_route_table_association" => association(p, import_id).await,
        // Terraform writes the protocol as a name or a number: the id uses the name
        "aws_security_group_rule" => Ok(Some(crate::sg_rule::RuleKey::parse(import_id)?.id())),
        "aws_network_acl_rule" => Ok(Some(crate::nacl_parts::RuleId::parse(import_id)?.id())),
        // the VPC id: the association with the set the VPC uses now
        "aws_vpc_dhcp_options_association" if import_id.starts_with("vpc-") => {
            crate::dhcp::resolve_import(p, import_id).await
        }
        t if crate::vpn_types::handles(t) => {
            crate::vpn_types::resolve_import(t, import_id).map(Some)
        }
        _ => Ok(Some(import_id.to_string())),
    }
}

pub(crate) async fn import(
    p: &AwsProvider,
    type_name: &str,
    import_id: &str,
    config: &Value,
) -> Result<Option<Value>, ProviderError> {
    // the pod identity association's id is not all of its import ID (the cluster is
    // given with it, and read from the prior)
    let (import_id, prior) = crate::eks_types::import_id(type_name, import_id, config)?;
    let Some(id) = resolve(p, type_name, &import_id).await? else {
        return Ok(None);
    };
    let item = [ReadRequest {
        id: id.clone(),
        prior,
    }];
    Ok(p.read(type_name, &item).await?.remove(&id))
}

/// `subnet-…/rtb-…` or `igw-…/rtb-…`: the association of that subnet or gateway with that
/// table. A bare `rtbassoc-…` is the id itself.
async fn association(p: &AwsProvider, import_id: &str) -> Result<Option<String>, ProviderError> {
    let Some((target, table)) = import_id.split_once('/') else {
        return Ok(Some(import_id.to_string()));
    };
    if target.is_empty() || !table.starts_with("rtb-") {
        return Err(ProviderError::new(
            ErrorKind::Rejected,
            format!(
                "`{import_id}` is not an import ID of aws_route_table_association; write {}",
                id_format("aws_route_table_association")
            ),
        ));
    }
    let tables = route_table::describe(p, vec![filter("route-table-id", [table])]).await?;
    Ok(tables
        .iter()
        .flat_map(|t| t.associations())
        .find(|a| {
            !a.main().unwrap_or(false)
                && (a.subnet_id() == Some(target) || a.gateway_id() == Some(target))
        })
        .and_then(|a| a.route_table_association_id())
        .map(str::to_string))
}
