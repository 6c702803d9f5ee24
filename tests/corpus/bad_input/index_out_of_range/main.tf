locals {
  l = ["a", "b"]
  x = local.l[5]
}
