resource "aws_route53_zone" "this" {
  name    = var.domain
  comment = "application domain, managed by infra"
}

resource "aws_route53_health_check" "primary" {
  type              = "HTTPS"
  ip_address        = var.primary_address
  port              = 443
  resource_path     = "/healthz"
  failure_threshold = 3
  request_interval  = 30
  tags              = { Name = "${var.domain}-primary" }
}

resource "aws_route53_record" "apex_primary" {
  zone_id         = aws_route53_zone.this.zone_id
  name            = var.domain
  type            = "A"
  ttl             = 60
  records         = [var.primary_address]
  set_identifier  = "primary"
  health_check_id = aws_route53_health_check.primary.id

  failover_routing_policy {
    type = var.active == "primary" ? "PRIMARY" : "SECONDARY"
  }
}

resource "aws_route53_record" "apex_secondary" {
  zone_id        = aws_route53_zone.this.zone_id
  name           = var.domain
  type           = "A"
  ttl            = 60
  records        = [var.secondary_address]
  set_identifier = "secondary"

  failover_routing_policy {
    type = var.active == "primary" ? "SECONDARY" : "PRIMARY"
  }
}

# <sub>.<domain> delegated to the environment's own zone; an environment without name
# servers (not applied yet) is skipped.
resource "aws_route53_record" "environment" {
  for_each = { for sub, ns in var.environment_name_servers : sub => ns if length(ns) > 0 }

  zone_id = aws_route53_zone.this.zone_id
  name    = "${each.key}.${var.domain}"
  type    = "NS"
  ttl     = 300
  records = each.value
}
