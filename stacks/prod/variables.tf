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

variable "dev_ingress" {
  type    = string
  default = "dev-ingress.internal.example.com"
}

variable "qa_ingress" {
  type    = string
  default = "staging-ingress.internal.example.com"
}
