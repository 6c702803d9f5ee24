locals {
  x = "name-${nosuch.x}"
}
