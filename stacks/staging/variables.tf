variable "name" {
  type        = string
  description = "Prefix of resource names; also the DNS label of the environment"
  default     = "staging"
}

variable "domain" {
  type        = string
  description = "The application domain; its zone lives in the prod stack"
  default     = "app.example.com"
}
