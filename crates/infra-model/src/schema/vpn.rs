//! Site-to-site VPN building blocks a VPC module makes: customer gateways, virtual private
//! gateways and their attachment to a VPC (`aws_customer_gateway`, `aws_vpn_gateway`,
//! `aws_vpn_gateway_attachment`), with the Terraform AWS provider's (v6) names.

use super::*;

pub(crate) fn schemas() -> Vec<ResourceSchema> {
    use Mode::Managed;
    let mut out = Vec::new();

    // every argument forces a new gateway (there is no ModifyCustomerGateway)
    let mut a = vec![
        attr("type", s()).required().force_new(),
        attr("bgp_asn", s()).optional().force_new(),
        attr("bgp_asn_extended", s()).optional().force_new(),
        attr("certificate_arn", s()).optional().force_new(),
        attr("device_name", s()).optional().force_new(),
        attr("ip_address", s()).optional().force_new(),
    ];
    a.extend(tags());
    a.extend(computed(&["arn"]));
    out.push(resource("aws_customer_gateway", Managed, a, vec![]));

    // `vpc_id` attaches and detaches in place
    let mut a = vec![
        attr("amazon_side_asn", s())
            .optional()
            .computed()
            .force_new(),
        attr("availability_zone", s()).optional().force_new(),
        attr("vpc_id", s()).optional().computed(),
    ];
    a.extend(tags());
    a.extend(computed(&["arn"]));
    out.push(resource("aws_vpn_gateway", Managed, a, vec![]));

    let a = vec![
        attr("vpc_id", s()).required().force_new(),
        attr("vpn_gateway_id", s()).required().force_new(),
        attr("id", s()).computed(),
    ];
    out.push(resource("aws_vpn_gateway_attachment", Managed, a, vec![]));
    out
}
