variable "azs" {
  type    = number
  default = 7
  validation {
    condition     = var.azs <= 3
    error_message = "At most 3 availability zones."
  }
}
