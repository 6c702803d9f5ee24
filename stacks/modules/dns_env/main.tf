# An environment's own public zone (dev.<domain>, qa.<domain>). The application's zone in
# the prod stack delegates the name here with NS records, read through
# data "terraform_remote_state" from this stack's `name_servers` output.
resource "aws_route53_zone" "this" {
  name    = var.name
  comment = "${var.name}: delegated from the application domain's zone in prod, managed by infra"
}
