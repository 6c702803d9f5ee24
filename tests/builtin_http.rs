//! `data "http"` (built in, `infra-builtin/src/http.rs`) the way the provider's
//! eks-getting-started example uses it: the workstation's address from a web service,
//! `chomp`ed into a security group rule's CIDR, with a postcondition on the status. The
//! service is a local server; the rule is checked with an independent EC2 client.

use std::io::{Read, Write};

use aws_sdk_ec2::types::Filter;

use crate::common::{ec2, rt, Workspace};

/// A server answering every request with the body `203.0.113.7\n`; returns its URL.
fn address_service() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/ip", listener.local_addr().expect("addr"));
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let _ = s.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 12\r\nConnection: close\r\n\r\n203.0.113.7\n",
            );
        }
    });
    url
}

fn stack(url: &str) -> String {
    format!(
        r#"
terraform {{
  required_providers {{
    http = {{ source = "hashicorp/http", version = ">= 3.0" }}
  }}
}}

data "http" "workstation_ip" {{
  url = "{url}"
  request_headers = {{
    Accept = "text/plain"
  }}
  lifecycle {{
    postcondition {{
      condition     = self.status_code == 200
      error_message = "the address service answered ${{self.status_code}}"
    }}
  }}
}}

locals {{
  workstation_cidr = "${{chomp(data.http.workstation_ip.response_body)}}/32"
}}

resource "aws_vpc" "this" {{
  cidr_block = "10.76.0.0/16"
}}

resource "aws_security_group" "workstation" {{
  name   = "workstation-https"
  vpc_id = aws_vpc.this.id
  ingress {{
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = [local.workstation_cidr]
  }}
}}

output "cidr" {{
  value = local.workstation_cidr
}}
"#
    )
}

#[test]
fn data_http_feeds_a_security_group_rule_and_replans_clean() {
    let url = address_service();
    let ws = Workspace::from_files(&[("main.tf", &stack(&url))], true);
    let r = ws.apply();
    assert_eq!(r.code, 0, "{}", r.all());
    assert!(
        r.stdout.contains("cidr = \"203.0.113.7/32\""),
        "{}",
        r.all()
    );
    let cidrs = rt().block_on(async {
        let out = ec2()
            .await
            .describe_security_groups()
            .filters(
                Filter::builder()
                    .name("tag:infra:stack")
                    .values(&ws.stack_name)
                    .build(),
            )
            .send()
            .await
            .expect("describe security groups");
        out.security_groups()
            .iter()
            .filter(|g| g.group_name() == Some("workstation-https"))
            .flat_map(|g| g.ip_permissions().to_vec())
            .flat_map(|p| p.ip_ranges().to_vec())
            .filter_map(|r| r.cidr_ip().map(str::to_string))
            .collect::<Vec<_>>()
    });
    assert_eq!(cidrs, ["203.0.113.7/32"]);
    let r = ws.run(&["plan", "--detailed-exitcode"]);
    assert_eq!(r.code, 0, "{}", r.all());
    let r = ws.run(&["destroy", "--auto-approve"]);
    assert_eq!(r.code, 0, "{}", r.all());
}
