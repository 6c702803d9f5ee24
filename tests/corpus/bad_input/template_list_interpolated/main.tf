locals {
  l = ["a"]
  x = "name-${local.l}"
}
