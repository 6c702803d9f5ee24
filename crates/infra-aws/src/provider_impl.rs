//! The `Provider` trait for [`AwsProvider`]: each call dispatched by type name to the
//! module of its family (moved out of lib.rs, which keeps the client set-up, the shared
//! call and wait helpers, and the module list).

use super::*;

#[async_trait]
impl Provider for AwsProvider {
    async fn read(
        &self,
        type_name: &str,
        items: &[ReadRequest],
    ) -> Result<BTreeMap<String, Value>, ProviderError> {
        if items.is_empty() {
            return Ok(BTreeMap::new());
        }
        let mut found = match type_name {
            "aws_vpc" => vpc::read(self, items).await,
            "aws_subnet" => subnet::read(self, items).await,
            "aws_internet_gateway" => gateways::read(self, items).await,
            "aws_eip" => eip_nat::read_eips(self, items).await,
            "aws_nat_gateway" => eip_nat::read_nats(self, items).await,
            "aws_route_table" => route_table::read_tables(self, items).await,
            "aws_route" => route_table::read_routes(self, items).await,
            "aws_route_table_association" => route_table::read_associations(self, items).await,
            "aws_security_group" => security_group::read(self, items).await,
            "aws_security_group_rule" => sg_rule::read(self, items).await,
            defaults::SECURITY_GROUP => defaults::read_group(self, items).await,
            defaults::ROUTE_TABLE => defaults::read_table(self, items).await,
            egress_gateway::TYPE => egress_gateway::read(self, items).await,
            t @ (vpc_sg_rule::INGRESS | vpc_sg_rule::EGRESS) => {
                vpc_sg_rule::read(self, t, items).await
            }
            "aws_eks_cluster" => eks::read(self, items).await,
            "aws_eks_node_group" => eks_nodegroup::read(self, items).await,
            "aws_eks_access_entry" => eks_access::read_entries(self, items).await,
            "aws_eks_access_policy_association" => eks_access::read_associations(self, items).await,
            "aws_eks_addon" => eks_addon::read(self, items).await,
            "aws_route53_zone" => route53::read_zones(self, items).await,
            "aws_route53_record" => route53_records::read(self, items).await,
            "aws_route53_health_check" => route53_health::read_checks(self, items).await,
            "aws_route53_zone_association" => route53_assoc::read_associations(self, items).await,
            "aws_route53_delegation_set" => route53_assoc::read_sets(self, items).await,
            "aws_iam_role" => iam::read_roles(self, items).await,
            "aws_iam_role_policy_attachment" => iam::read_attachments(self, items).await,
            "aws_iam_policy" => iam_policy::read_policies(self, items).await,
            "aws_iam_role_policy" => iam_policy::read_role_policies(self, items).await,
            "aws_iam_instance_profile" => iam_profile::read_profiles(self, items).await,
            "aws_iam_openid_connect_provider" => iam_profile::read_oidc(self, items).await,
            t if ec2_net::handles(t) => Box::pin(ec2_net::read(self, t, items)).await,
            t if extra_types::handles(t) => Box::pin(extra_types::read(self, t, items)).await,
            t if subnet_groups::handles(t) => Box::pin(subnet_groups::read(self, t, items)).await,
            t if log_types::handles(t) => Box::pin(log_types::read(self, t, items)).await,
            t if vpn_types::handles(t) => Box::pin(vpn_types::read(self, t, items)).await,
            t if kms_types::handles(t) => Box::pin(kms_types::read(self, t, items)).await,
            t if autoscaling_types::handles(t) => {
                Box::pin(autoscaling_types::read(self, t, items)).await
            }
            t if s3_types::handles(t) => Box::pin(s3_types::read(self, t, items)).await,
            t if sqs_events_types::handles(t) => {
                Box::pin(sqs_events_types::read(self, t, items)).await
            }
            t if node_types::handles(t) => Box::pin(node_types::read(self, t, items)).await,
            t if eks_types::handles(t) => Box::pin(eks_types::read(self, t, items)).await,
            other => Err(errors::unsupported(other, "resource type")),
        }?;
        // only what was asked for, whatever a filter the server ignored returned
        let asked: std::collections::HashSet<&str> = items.iter().map(|i| i.id.as_str()).collect();
        found.retain(|id, _| asked.contains(id.as_str()));
        Ok(found)
    }

    async fn create(&self, req: &CreateRequest) -> Result<Value, ProviderError> {
        tracing::info!(address = %req.address, "creating");
        recover::create(self, req).await
    }

    async fn wait_ready(
        &self,
        type_name: &str,
        id: &str,
        current: &Value,
    ) -> Result<Value, ProviderError> {
        match type_name {
            "aws_nat_gateway" => eip_nat::wait_nat_available(self, id, current).await,
            "aws_eks_cluster" => eks::wait_cluster_active(self, id, current).await,
            "aws_eks_node_group" => eks_nodegroup::wait_active(self, id, current).await,
            "aws_eks_addon" => eks_addon::wait_active(self, id, current).await,
            t if extra_types::handles(t) => {
                Box::pin(extra_types::wait_ready(self, t, id, current)).await
            }
            t if autoscaling_types::handles(t) => {
                Box::pin(autoscaling_types::wait_ready(self, t, id, current)).await
            }
            peering::CONNECTION => {
                Box::pin(peering::wait_ready(self, type_name, id, current)).await
            }
            t if eks_types::handles(t) => {
                Box::pin(eks_types::wait_ready(self, t, id, current)).await
            }
            _ => Ok(current.clone()),
        }
    }

    async fn update(
        &self,
        type_name: &str,
        id: &str,
        prior: &Value,
        desired: &Value,
    ) -> Result<Value, ProviderError> {
        match type_name {
            "aws_vpc" => vpc::update(self, id, prior, desired).await,
            "aws_subnet" => subnet::update(self, id, prior, desired).await,
            "aws_internet_gateway" => gateways::update(self, id, prior, desired).await,
            "aws_eip" => eip_nat::update_eip(self, id, prior, desired).await,
            "aws_nat_gateway" => {
                util::update_tags(self, id, prior, desired).await?;
                self.read_back(type_name, id, desired).await
            }
            "aws_route_table" => route_table::update_table(self, id, prior, desired).await,
            "aws_route" => route_table::update_route(self, id, prior, desired).await,
            "aws_route_table_association" => {
                route_table::update_association(self, id, prior, desired).await
            }
            "aws_security_group" => security_group::update(self, id, prior, desired).await,
            "aws_security_group_rule" => sg_rule::update(self, id, prior, desired).await,
            defaults::SECURITY_GROUP => defaults::update_group(self, id, prior, desired).await,
            defaults::ROUTE_TABLE => defaults::update_table(self, id, prior, desired).await,
            egress_gateway::TYPE => egress_gateway::update(self, id, prior, desired).await,
            t @ (vpc_sg_rule::INGRESS | vpc_sg_rule::EGRESS) => {
                vpc_sg_rule::update(self, t, id, prior, desired).await
            }
            "aws_eks_cluster" => eks::update(self, id, prior, desired).await,
            "aws_eks_node_group" => eks_nodegroup::update(self, id, prior, desired).await,
            "aws_eks_access_entry" => eks_access::update_entry(self, id, prior, desired).await,
            // every argument forces a replacement
            "aws_eks_access_policy_association" => Ok(desired.clone()),
            "aws_eks_addon" => eks_addon::update(self, id, prior, desired).await,
            "aws_route53_zone" => route53::update_zone(self, id, prior, desired).await,
            "aws_route53_record" => route53_records::update(self, id, prior, desired).await,
            "aws_route53_health_check" => {
                route53_health::update_check(self, id, prior, desired).await
            }
            // every argument forces a replacement
            "aws_route53_zone_association" | "aws_route53_delegation_set" => Ok(desired.clone()),
            "aws_iam_role" => iam::update_role(self, id, prior, desired).await,
            // every argument forces a replacement
            "aws_iam_role_policy_attachment" => Ok(desired.clone()),
            "aws_iam_policy" => iam_policy::update_policy(self, id, prior, desired).await,
            "aws_iam_role_policy" => iam_policy::update_role_policy(self, id, prior, desired).await,
            "aws_iam_instance_profile" => {
                iam_profile::update_profile(self, id, prior, desired).await
            }
            "aws_iam_openid_connect_provider" => {
                iam_profile::update_oidc(self, id, prior, desired).await
            }
            t if ec2_net::handles(t) => {
                Box::pin(ec2_net::update(self, t, id, prior, desired)).await
            }
            t if extra_types::handles(t) => {
                Box::pin(extra_types::update(self, t, id, prior, desired)).await
            }
            t if subnet_groups::handles(t) => {
                Box::pin(subnet_groups::update(self, t, id, prior, desired)).await
            }
            t if log_types::handles(t) => {
                Box::pin(log_types::update(self, t, id, prior, desired)).await
            }
            t if vpn_types::handles(t) => {
                Box::pin(vpn_types::update(self, t, id, prior, desired)).await
            }
            t if kms_types::handles(t) => {
                Box::pin(kms_types::update(self, t, id, prior, desired)).await
            }
            t if autoscaling_types::handles(t) => {
                Box::pin(autoscaling_types::update(self, t, id, prior, desired)).await
            }
            t if s3_types::handles(t) => {
                Box::pin(s3_types::update(self, t, id, prior, desired)).await
            }
            t if sqs_events_types::handles(t) => {
                Box::pin(sqs_events_types::update(self, t, id, prior, desired)).await
            }
            t if node_types::handles(t) => {
                Box::pin(node_types::update(self, t, id, prior, desired)).await
            }
            t if eks_types::handles(t) => {
                Box::pin(eks_types::update(self, t, id, prior, desired)).await
            }
            other => Err(errors::unsupported(other, "resource type")),
        }
    }

    async fn delete(&self, type_name: &str, id: &str, prior: &Value) -> Result<(), ProviderError> {
        tracing::info!(type_name, id, "deleting");
        match type_name {
            "aws_vpc" => vpc::delete(self, id).await,
            "aws_subnet" => subnet::delete(self, id).await,
            "aws_internet_gateway" => gateways::delete(self, id).await,
            "aws_eip" => eip_nat::delete_eip(self, id, prior).await,
            "aws_nat_gateway" => eip_nat::delete_nat(self, id).await,
            "aws_route_table" => route_table::delete_table(self, id).await,
            "aws_route" => route_table::delete_route(self, id, prior).await,
            "aws_route_table_association" => route_table::delete_association(self, id).await,
            "aws_security_group" => security_group::delete(self, id, prior).await,
            "aws_security_group_rule" => sg_rule::delete(self, id).await,
            defaults::SECURITY_GROUP | defaults::ROUTE_TABLE => defaults::delete(self, id).await,
            egress_gateway::TYPE => egress_gateway::delete(self, id).await,
            t @ (vpc_sg_rule::INGRESS | vpc_sg_rule::EGRESS) => {
                vpc_sg_rule::delete(self, t, id, prior).await
            }
            "aws_eks_cluster" => eks::delete(self, id).await,
            "aws_eks_node_group" => eks_nodegroup::delete(self, id).await,
            "aws_eks_access_entry" => eks_access::delete_entry(self, id).await,
            "aws_eks_access_policy_association" => eks_access::delete_association(self, id).await,
            "aws_eks_addon" => eks_addon::delete(self, id, prior).await,
            "aws_route53_zone" => route53::delete_zone(self, id, prior).await,
            "aws_route53_record" => route53_records::delete(self, id, prior).await,
            "aws_route53_health_check" => route53_health::delete_check(self, id).await,
            "aws_route53_zone_association" => {
                route53_assoc::delete_association(self, id, prior).await
            }
            "aws_route53_delegation_set" => route53_assoc::delete_set(self, id).await,
            "aws_iam_role" => iam::delete_role(self, id).await,
            "aws_iam_role_policy_attachment" => iam::delete_attachment(self, id).await,
            "aws_iam_policy" => iam_policy::delete_policy(self, id).await,
            "aws_iam_role_policy" => iam_policy::delete_role_policy(self, id).await,
            "aws_iam_instance_profile" => iam_profile::delete_profile(self, id).await,
            "aws_iam_openid_connect_provider" => iam_profile::delete_oidc(self, id).await,
            t if ec2_net::handles(t) => Box::pin(ec2_net::delete(self, t, id, prior)).await,
            t if extra_types::handles(t) => Box::pin(extra_types::delete(self, t, id, prior)).await,
            t if subnet_groups::handles(t) => Box::pin(subnet_groups::delete(self, t, id)).await,
            t if log_types::handles(t) => Box::pin(log_types::delete(self, t, id, prior)).await,
            t if vpn_types::handles(t) => Box::pin(vpn_types::delete(self, t, id, prior)).await,
            t if kms_types::handles(t) => Box::pin(kms_types::delete(self, t, id, prior)).await,
            t if autoscaling_types::handles(t) => {
                Box::pin(autoscaling_types::delete(self, t, id, prior)).await
            }
            t if s3_types::handles(t) => Box::pin(s3_types::delete(self, t, id, prior)).await,
            t if sqs_events_types::handles(t) => {
                Box::pin(sqs_events_types::delete(self, t, id, prior)).await
            }
            t if node_types::handles(t) => Box::pin(node_types::delete(self, t, id)).await,
            t if eks_types::handles(t) => Box::pin(eks_types::delete(self, t, id, prior)).await,
            other => Err(errors::unsupported(other, "resource type")),
        }
    }

    async fn adopt(&self, req: &CreateRequest) -> Result<Option<Value>, ProviderError> {
        match req.type_name.as_str() {
            "aws_vpc" => vpc::adopt(self, req).await,
            "aws_subnet" => subnet::adopt(self, req).await,
            "aws_internet_gateway" => gateways::adopt(self, req).await,
            "aws_eip" => eip_nat::adopt_eip(self, req).await,
            "aws_nat_gateway" => eip_nat::adopt_nat(self, req).await,
            "aws_route_table" => route_table::adopt_table(self, req).await,
            "aws_route" => route_table::adopt_route(self, req).await,
            "aws_route_table_association" => route_table::adopt_association(self, req).await,
            "aws_security_group" => security_group::adopt(self, req).await,
            "aws_security_group_rule" => sg_rule::adopt(self, req).await,
            defaults::SECURITY_GROUP => defaults::adopt_group(self, req).await,
            defaults::ROUTE_TABLE => defaults::adopt_table(self, req).await,
            egress_gateway::TYPE => egress_gateway::adopt(self, req).await,
            vpc_sg_rule::INGRESS | vpc_sg_rule::EGRESS => vpc_sg_rule::adopt(self, req).await,
            "aws_eks_cluster" => eks::adopt(self, req).await,
            "aws_eks_node_group" => eks_nodegroup::adopt(self, req).await,
            "aws_eks_access_entry" => eks_access::adopt_entry(self, req).await,
            "aws_eks_access_policy_association" => eks_access::adopt_association(self, req).await,
            "aws_eks_addon" => eks_addon::adopt(self, req).await,
            "aws_route53_zone" => route53::adopt_zone(self, req).await,
            "aws_route53_record" => route53_records::adopt(self, req).await,
            "aws_route53_health_check" => route53_health::adopt_check(self, req).await,
            "aws_route53_zone_association" => route53_assoc::adopt_association(self, req).await,
            "aws_route53_delegation_set" => route53_assoc::adopt_set(self, req).await,
            "aws_iam_role" => iam::adopt_role(self, req).await,
            "aws_iam_role_policy_attachment" => iam::adopt_attachment(self, req).await,
            "aws_iam_policy" => iam_policy::adopt_policy(self, req).await,
            "aws_iam_role_policy" => iam_policy::adopt_role_policy(self, req).await,
            "aws_iam_instance_profile" => iam_profile::adopt_profile(self, req).await,
            "aws_iam_openid_connect_provider" => iam_profile::adopt_oidc(self, req).await,
            t if ec2_net::handles(t) => Box::pin(ec2_net::adopt(self, req)).await,
            t if extra_types::handles(t) => Box::pin(extra_types::adopt(self, req)).await,
            t if subnet_groups::handles(t) => Box::pin(subnet_groups::adopt(self, req)).await,
            t if log_types::handles(t) => Box::pin(log_types::adopt(self, req)).await,
            t if vpn_types::handles(t) => Box::pin(vpn_types::adopt(self, req)).await,
            t if kms_types::handles(t) => Box::pin(kms_types::adopt(self, req)).await,
            t if autoscaling_types::handles(t) => {
                Box::pin(autoscaling_types::adopt(self, req)).await
            }
            t if s3_types::handles(t) => Box::pin(s3_types::adopt(self, req)).await,
            t if sqs_events_types::handles(t) => Box::pin(sqs_events_types::adopt(self, req)).await,
            t if node_types::handles(t) => Box::pin(node_types::adopt(self, req)).await,
            t if eks_types::handles(t) => Box::pin(eks_types::adopt(self, req)).await,
            other => Err(errors::unsupported(other, "resource type")),
        }
    }

    async fn import(
        &self,
        type_name: &str,
        import_id: &str,
        config: &Value,
    ) -> Result<Option<Value>, ProviderError> {
        import::import(self, type_name, import_id, config).await
    }

    async fn read_data(&self, type_name: &str, args: &Value) -> Result<Value, ProviderError> {
        match type_name {
            "aws_availability_zones" => data::availability_zones(self, args).await,
            "aws_region" => data::region(self, args).await,
            "aws_caller_identity" => data::caller_identity(self).await,
            "aws_iam_policy_document" => policy_document::read(args),
            "aws_eks_cluster" => eks::read_data(self, args).await,
            "aws_partition" => Ok(lookups::partition(self)),
            "aws_vpc" => lookups::vpc(self, args).await,
            "aws_subnets" => lookups::subnets(self, args).await,
            "aws_route53_zone" => lookups::route53_zone(self, args).await,
            "aws_eks_cluster_auth" => node_data::cluster_auth(self, args).await,
            "aws_ami" => node_data::ami(self, args).await,
            "aws_vpc_endpoint_service" => node_data::vpc_endpoint_service(self, args).await,
            "aws_vpc_peering_connection" => peering_data::read(self, args).await,
            "aws_instance" => instance_data::read(self, args).await,
            t if catalog_data::handles(t) => catalog_data::read(self, t, args).await,
            t if node_types::handles_data(t) => node_types::read_data(self, t, args).await,
            t if eks_types::handles_data(t) => eks_types::read_data(self, t, args).await,
            other => Err(errors::unsupported(other, "data source")),
        }
    }

    fn api_calls(&self) -> ApiCalls {
        self.caller.api_calls()
    }

    fn waiting_for(&self, _type_name: &str, id: &str) -> Option<String> {
        self.waiting_for_id(id)
    }
}
