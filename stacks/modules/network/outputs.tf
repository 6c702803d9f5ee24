output "vpc_id" {
  value = aws_vpc.this.id
}

output "public_subnet_ids" {
  value = [for az in var.azs : aws_subnet.public[az].id]
}

output "private_subnet_ids" {
  value = [for az in var.azs : aws_subnet.private[az].id]
}

output "nat_public_ips" {
  value = { for az, eip in aws_eip.nat : az => eip.public_ip }
}

output "internal_zone_id" {
  value = aws_route53_zone.internal.zone_id
}
