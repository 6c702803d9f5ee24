locals {
  x = nosuch.value
}
