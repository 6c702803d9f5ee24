locals {
  path = "C:\data"
}
