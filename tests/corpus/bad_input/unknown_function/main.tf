locals {
  x = cidrsubnett("10.0.0.0/16", 8, 1)
}
