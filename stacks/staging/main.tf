# The staging environment: its own VPC across 3 AZs, a NAT gateway and EIP per AZ.

provider "aws" {
  region = "us-east-1"

  default_tags {
    tags = {
      Environment = "staging"
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
  vpc_cidr           = module.environments.vpc_cidrs["staging"]
  cidr_overlaps      = module.environments.overlaps
  azs                = slice(sort(data.aws_availability_zones.available.names), 0, 3)
  nat_gateway_per_az = true
}

module "eks" {
  source = "../modules/eks"

  name               = var.name
  kubernetes_version = "1.30"
  subnet_ids         = module.network.private_subnet_ids

  node_groups = {
    stateless = {
      instance_types = ["m5.large"]
      min_size       = 2
      max_size       = 6
      desired_size   = 2
      labels         = { workload = "stateless" }
    }
  }
}

# The environment's public sub-zone, qa.<domain>: prod's zone for the application domain
# delegates it here (prod reads `name_servers` with data "terraform_remote_state").
module "public_dns" {
  source = "../modules/dns_env"

  name = "qa.${var.domain}"
}
