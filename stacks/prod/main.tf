# The prod environment: its own VPC across 3 AZs, a NAT gateway and EIP per AZ.

provider "aws" {
  region = var.region

  default_tags {
    tags = {
      Environment = "prod"
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
  vpc_cidr           = coalesce(var.vpc_cidr, module.environments.vpc_cidrs["prod"])
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
    # databases only: the taint keeps everything else off these nodes
    stateful = {
      instance_types = ["r5.xlarge"]
      min_size       = 3
      max_size       = 6
      desired_size   = 3
      labels         = { workload = "stateful" }
      taints         = [{ key = "workload", value = "stateful", effect = "NO_SCHEDULE" }]
    }
    # front-end and APIs
    stateless = {
      instance_types = ["m5.large"]
      min_size       = 3
      max_size       = 12
      desired_size   = 3
      labels         = { workload = "stateless" }
    }
    # monitoring
    tools = {
      instance_types = ["m5.large"]
      min_size       = 2
      max_size       = 4
      desired_size   = 2
      labels         = { workload = "tools" }
    }
  }
}

# Each environment's public sub-zone, from its stack's outputs in the state. `defaults`
# keeps prod planning before an environment has been applied: it is simply not delegated.
data "terraform_remote_state" "environment" {
  for_each = var.environment_stacks

  backend = "infra"
  config = {
    stack = each.value
  }
  defaults = {
    name_servers = []
  }
}

# The application's public zone lives with production. The apex fails over to the DR
# region when production's health check fails; dev.<domain> and qa.<domain> are delegated
# to the environments' own zones.
module "dns" {
  source = "../modules/dns"

  domain            = var.domain
  primary_address   = var.ingress_address
  secondary_address = var.dr_ingress_address
  active            = var.dns_active
  environment_name_servers = {
    for sub, env in data.terraform_remote_state.environment : sub => env.outputs.name_servers
  }
}
