locals {
  x = 1e400
}
