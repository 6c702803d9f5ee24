variable "n" {
  type    = string
  default = "x"
  validation {
    condition     = var.n / 0 > 1
    error_message = "bad."
  }
}
