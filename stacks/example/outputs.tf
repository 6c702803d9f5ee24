output "vpc_id" {
  description = "The VPC's id"
  value       = aws_vpc.main.id
}

output "public_subnet_ids" {
  value = [for az in local.azs : aws_subnet.public[az].id]
}

output "private_subnet_ids" {
  value = [for az in local.azs : aws_subnet.private[az].id]
}

output "nat_public_ips" {
  description = "Egress addresses, one per AZ"
  value       = { for az, eip in aws_eip.nat : az => eip.public_ip }
}

output "database_security_group_id" {
  value = aws_security_group.database.id
}
