variable "name" {
  type        = string
  description = "Prefix of every resource's Name tag"
}

variable "vpc_cidr" {
  type = string
}

variable "cidr_overlaps" {
  type        = list(string)
  description = "Pairs of environments whose VPC ranges overlap (from modules/environments); must be empty"
  default     = []

  validation {
    condition     = length(var.cidr_overlaps) == 0
    error_message = "VPC CIDRs of two environments overlap: ${join("; ", var.cidr_overlaps)}. Give each environment its own range in stacks/modules/environments."
  }
}

variable "azs" {
  type        = list(string)
  description = "Availability zones: one public and one private subnet in each"
}

variable "nat_gateway_per_az" {
  type        = bool
  description = "One NAT gateway (and EIP) per AZ; false shares a single NAT gateway to save cost"
  default     = true
}
