locals {
  n = 1
  x = local.n.foo
}
