output "o" {
  value = cidrsubnet("10.0.0.0/16", 30, 1)
}
