locals {
  x = regex("(", "abc")
}
