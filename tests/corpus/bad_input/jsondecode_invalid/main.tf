locals {
  x = jsondecode("{\"a\": ")
}
