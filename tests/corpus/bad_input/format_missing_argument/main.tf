locals {
  x = format("%s-%s", "a")
}
