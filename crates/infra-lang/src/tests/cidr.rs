use super::check_all;

#[test]
fn cidrsubnet_matches_terraform() {
    check_all(&[
        ("cidrsubnet(\"10.0.0.0/16\", 8, 2)", "\"10.0.2.0/24\""),
        ("cidrsubnet(\"172.16.0.0/12\", 4, 2)", "\"172.18.0.0/16\""),
        ("cidrsubnet(\"10.1.2.0/24\", 4, 15)", "\"10.1.2.240/28\""),
        ("cidrsubnet(\"10.0.0.0/8\", 8, 255)", "\"10.255.0.0/16\""),
        ("cidrsubnet(\"10.0.5.7/16\", 8, 1)", "\"10.0.1.0/24\""),
        ("cidrsubnet(\"0.0.0.0/0\", 1, 1)", "\"128.0.0.0/1\""),
        ("cidrsubnet(\"10.0.0.0/16\", 0, 0)", "\"10.0.0.0/16\""),
        ("cidrsubnet(\"fd00:fd12:3456:7890::/56\", 16, 162)", "\"fd00:fd12:3456:7800:a200::/72\""),
        ("cidrsubnet(\"2001:db8::/32\", 8, 1)", "\"2001:db8:100::/40\""),
        ("cidrsubnet(var.cidr, 4, count.index)", "\"10.0.16.0/20\""),
        ("cidrsubnet(\"10.0.0.0/16\", \"8\", \"3\")", "\"10.0.3.0/24\""),
        ("cidrsubnet(\"10.0.0.0/16\", 20, 0)", "error: cidrsubnet: invalid value for \"newbits\": insufficient address space to extend prefix of 16 by 20"),
        ("cidrsubnet(\"10.0.0.0/16\", 8, 256)", "error: cidrsubnet: invalid value for \"netnum\": prefix extension of 8 does not accommodate a subnet numbered 256"),
        ("cidrsubnet(\"10.0.0.0/16\", 8, -1)", "error: cidrsubnet: invalid value for \"netnum\": prefix extension of 8 does not accommodate a subnet numbered -1"),
        ("cidrsubnet(\"2001:db8::/32\", 33, 0)", "error: cidrsubnet: invalid value for \"newbits\": may not extend prefix by more than 32 bits"),
        ("cidrsubnet(\"10.0.0.0\", 8, 1)", "error: cidrsubnet: invalid value for \"prefix\": invalid CIDR expression: invalid CIDR address: 10.0.0.0"),
        ("cidrsubnet(\"10.0.0.0/33\", 1, 1)", "error: cidrsubnet: invalid value for \"prefix\": invalid CIDR expression: invalid CIDR address: 10.0.0.0/33"),
        ("cidrsubnet(\"10.0.0.256/16\", 1, 1)", "error: cidrsubnet: invalid value for \"prefix\": invalid CIDR expression: invalid CIDR address: 10.0.0.256/16"),
        ("cidrsubnet(\"10.0.0.0/16\", 1.5, 1)", "error: cidrsubnet: invalid value for \"newbits\": expected a whole number, got 1.5"),
        ("cidrsubnet(null, 1, 1)", "error: cidrsubnet: invalid value for \"prefix\": must not be null"),
    ]);
}

#[test]
fn cidrhost_matches_terraform() {
    check_all(&[
        ("cidrhost(\"10.12.112.0/20\", 16)", "\"10.12.112.16\""),
        ("cidrhost(\"10.12.112.0/20\", 268)", "\"10.12.113.12\""),
        ("cidrhost(\"fd00:fd12:3456:7890:00a2::/72\", 34)", "\"fd00:fd12:3456:7890::22\""),
        ("cidrhost(\"10.0.0.0/24\", -1)", "\"10.0.0.255\""),
        ("cidrhost(\"10.0.0.0/24\", -256)", "\"10.0.0.0\""),
        ("cidrhost(\"10.0.0.0/24\", 255)", "\"10.0.0.255\""),
        ("cidrhost(\"10.0.0.0/24\", 256)", "error: cidrhost: invalid value for \"hostnum\": prefix of 24 does not accommodate a host numbered 256"),
        ("cidrhost(\"10.0.0.0/24\", -257)", "error: cidrhost: invalid value for \"hostnum\": prefix of 24 does not accommodate a host numbered -257"),
        ("cidrhost(\"10.0.0.0/32\", 0)", "\"10.0.0.0\""),
        ("cidrhost(\"::/0\", -1)", "\"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff\""),
        ("cidrhost(\"2001:db8::/64\", 1)", "\"2001:db8::1\""),
    ]);
}

#[test]
fn cidrsubnets_matches_terraform() {
    check_all(&[
        ("cidrsubnets(\"10.1.0.0/16\", 4, 4, 8, 4)", "[\"10.1.0.0/20\", \"10.1.16.0/20\", \"10.1.32.0/24\", \"10.1.48.0/20\"]"),
        ("cidrsubnets(\"10.0.0.0/8\", 8, 8)", "[\"10.0.0.0/16\", \"10.1.0.0/16\"]"),
        ("cidrsubnets(\"fd00:fd12:3456:7890::/56\", 16, 16, 16, 32)", "[\"fd00:fd12:3456:7800::/72\", \"fd00:fd12:3456:7800:100::/72\", \"fd00:fd12:3456:7800:200::/72\", \"fd00:fd12:3456:7800:300::/88\"]"),
        ("cidrsubnets(\"10.0.0.0/16\")", "[]"),
        // go-cidr's PreviousSubnet wraps below 0.0.0.0, so Terraform rejects bases at address zero.
        ("cidrsubnets(\"0.0.0.0/0\", 1, 1)", "error: cidrsubnets: invalid value for \"newbits\": argument 2: not enough remaining address space for a subnet with a prefix of 1 bits after 0.0.0.0/0"),
        ("cidrsubnets(\"10.0.0.0/24\", 1, 1, 1)", "error: cidrsubnets: invalid value for \"newbits\": argument 4: not enough remaining address space for a subnet with a prefix of 25 bits after 10.0.0.128/25"),
        ("cidrsubnets(\"10.0.0.0/24\", 0)", "error: cidrsubnets: invalid value for \"newbits\": argument 2: must extend prefix by at least one bit"),
        ("cidrsubnets(\"10.0.0.0/24\", 9)", "error: cidrsubnets: invalid value for \"newbits\": argument 2: would extend prefix to 33 bits, which is too long for an IPv4 address"),
    ]);
}

#[test]
fn cidrnetmask_matches_terraform() {
    check_all(&[
        ("cidrnetmask(\"172.16.0.0/12\")", "\"255.240.0.0\""),
        ("cidrnetmask(\"10.0.0.0/32\")", "\"255.255.255.255\""),
        ("cidrnetmask(\"0.0.0.0/0\")", "\"0.0.0.0\""),
        ("cidrnetmask(\"2001:db8::/32\")", "error: cidrnetmask: invalid value for \"prefix\": only IPv4 networks have a netmask; IPv6 networks use prefix lengths"),
    ]);
}

/// A prefix known only after apply still gives one subnet per newbits argument, so a
/// `count` built on the list's length is known at plan time (terraform-aws-vpc's ipam
/// example: subnets cut from an IPAM preview's CIDR).
#[test]
fn cidrsubnets_of_an_unknown_prefix_has_one_unknown_per_newbits() {
    check_all(&[
        ("length(cidrsubnets(var.unknown, 2, 2, 2))", "3"),
        ("cidrsubnets(var.unknown, 2, 2)[1]", "(known after apply)"),
        (
            "length(cidrsubnets(cidrsubnets(var.unknown, 2, 2)[0], 2, 2, 2, 2))",
            "4",
        ),
        (
            "cidrsubnets(var.unknown, var.unknown)",
            "(known after apply)",
        ),
        (
            "cidrsubnets(\"10.0.0.0/16\", var.unknown)",
            "(known after apply)",
        ),
    ]);
}
