variable "name" {
  type        = string
  description = "The environment's sub-domain of the application domain, e.g. dev.app.example.com"
}
