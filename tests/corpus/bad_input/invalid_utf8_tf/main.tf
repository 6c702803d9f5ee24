locals {
  name = "café"
}
