output "vpc_id" {
  value = module.network.vpc_id
}

output "public_subnet_ids" {
  value = module.network.public_subnet_ids
}

output "private_subnet_ids" {
  value = module.network.private_subnet_ids
}

output "nat_public_ips" {
  value = module.network.nat_public_ips
}

output "cluster_name" {
  value = module.eks.cluster_name
}

output "cluster_endpoint" {
  value = module.eks.endpoint
}

output "zone_id" {
  description = "The environment's private zone (the public zone lives in the prod stack)"
  value       = module.network.internal_zone_id
}

output "public_zone_id" {
  description = "The environment's public sub-zone, qa.<domain>"
  value       = module.public_dns.zone_id
}

output "name_servers" {
  description = "Name servers of the public sub-zone; prod delegates qa.<domain> to them"
  value       = module.public_dns.name_servers
}
