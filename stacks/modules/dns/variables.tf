variable "domain" {
  type        = string
  description = "The application domain; its public zone lives in the prod stack"
}

variable "primary_address" {
  type        = string
  description = "Production's ingress address: the apex points here while it passes its health check"
}

variable "secondary_address" {
  type        = string
  description = "The disaster-recovery region's ingress address, served when the primary fails"
}

variable "environment_name_servers" {
  type        = map(list(string))
  description = "Sub-domains of other environments (dev, qa) and the name servers of their zones, to delegate to"
  default     = {}
}

variable "active" {
  type        = string
  description = "primary: the apex serves primary_address while it is healthy, secondary_address otherwise; secondary: the roles are swapped (a disaster-recovery failover)"
  default     = "primary"
}
