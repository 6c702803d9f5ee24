# The one place that assigns address space to environments. Every environment's stack
# reads it, so an overlap is caught whichever environment is planned.

locals {
  vpc_cidrs = {
    dev     = "10.10.0.0/16"
    staging = "10.20.0.0/16"
    prod    = "10.30.0.0/16"
  }

  envs = keys(local.vpc_cidrs)
  nets = { for env, cidr in local.vpc_cidrs : env => { ip = split("/", cidr)[0], bits = tonumber(split("/", cidr)[1]) } }

  # Two ranges overlap exactly when their network addresses agree at the shorter of the
  # two prefix lengths (cidrhost(x, 0) is x's network address).
  overlaps = flatten([
    for i, a in local.envs : [
      for j, b in local.envs : "${a} (${local.vpc_cidrs[a]}) and ${b} (${local.vpc_cidrs[b]})"
      if i < j && cidrhost("${local.nets[a].ip}/${min(local.nets[a].bits, local.nets[b].bits)}", 0) == cidrhost("${local.nets[b].ip}/${min(local.nets[a].bits, local.nets[b].bits)}", 0)
    ]
  ])
}

output "vpc_cidrs" {
  value = local.vpc_cidrs
}

output "overlaps" {
  value = local.overlaps
}
