variable "name" {
  type        = string
  description = "Prefix of resource names; also the DNS label of the environment"
  default     = "dev"
}
