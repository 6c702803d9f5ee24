locals {
  zero = 0
  x    = 10 / local.zero
}
