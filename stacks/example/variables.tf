variable "name" {
  type        = string
  description = "Name prefix for every resource in this network"
  default     = "example"
}

variable "environment" {
  type    = string
  default = "dev"

  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "environment must be one of dev, staging or prod."
  }
}

variable "vpc_cidr" {
  type        = string
  description = "The VPC's address range; subnets are carved out of it with cidrsubnet"
  default     = "10.40.0.0/16"
}

variable "az_count" {
  type    = number
  default = 3
}

variable "db_port" {
  type    = number
  default = 5432
}
