locals {
  m = { for s in ["a", "a"] : s => 1 }
}
