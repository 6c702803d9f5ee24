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
