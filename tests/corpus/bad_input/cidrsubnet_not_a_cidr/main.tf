output "o" {
  value = cidrsubnet("10.0.0.0/33", 8, 1)
}
