variable "name" {
  type        = string
  description = "Prefix of resource names; also the DNS label of the environment"
  default     = "prod"
}

variable "domain" {
  type    = string
  default = "app.example.com"
}

variable "ingress_address" {
  type        = string
  description = "Production's ingress load balancer address"
  default     = "203.0.113.10"
}

variable "dr_ingress_address" {
  type        = string
  description = "The disaster-recovery region's ingress address"
  default     = "198.51.100.10"
}

variable "environment_stacks" {
  type        = map(string)
  description = "Sub-domain of the application domain -> the stack (in this state file) whose public zone serves it"
  default = {
    dev = "dev"
    qa  = "staging"
  }
}

variable "region" {
  type        = string
  description = "The AWS region; scripts/dr-rebuild builds a copy of prod in another one"
  default     = "us-east-1"
}

variable "vpc_cidr" {
  type        = string
  description = "The VPC's range; null takes prod's from modules/environments (a DR copy in another region sets its own)"
  default     = null
}

variable "dns_active" {
  type        = string
  description = "Which address the apex's PRIMARY failover record serves: primary (production) or secondary (the DR region, after scripts/dr-rebuild)"
  default     = "primary"

  validation {
    condition     = contains(["primary", "secondary"], var.dns_active)
    error_message = "dns_active must be \"primary\" or \"secondary\"."
  }
}
