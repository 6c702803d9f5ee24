# The dev environment: its own VPC across 3 AZs, one shared NAT gateway to save cost.

provider "aws" {
  region = "us-east-1"

  default_tags {
    tags = {
      Environment = "dev"
      ManagedBy   = "infra"
    }
  }
}

data "aws_availability_zones" "available" {
  state = "available"
}

module "environments" {
  source = "../modules/environments"
}

module "network" {
  source = "../modules/network"

  name               = var.name
  vpc_cidr           = module.environments.vpc_cidrs["dev"]
  cidr_overlaps      = module.environments.overlaps
  azs                = slice(sort(data.aws_availability_zones.available.names), 0, 3)
  nat_gateway_per_az = false
}

module "eks" {
  source = "../modules/eks"

  name               = var.name
  kubernetes_version = "1.30"
  subnet_ids         = module.network.private_subnet_ids

  node_groups = {
    general = {
      instance_types = ["t3.medium"]
      capacity_type  = "SPOT"
      min_size       = 1
      max_size       = 3
      desired_size   = 1
      labels         = { workload = "general" }
    }
  }
}

# The environment's public sub-zone, dev.<domain>: prod's zone for the application domain
# delegates it here (prod reads `name_servers` with data "terraform_remote_state").
module "public_dns" {
  source = "../modules/dns_env"

  name = "dev.${var.domain}"
}
