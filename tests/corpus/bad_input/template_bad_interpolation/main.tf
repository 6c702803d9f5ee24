locals {
  x = "name-${var.}"
}
