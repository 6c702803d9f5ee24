resource "aws_vpc" "v" {
  count      = "three"
  cidr_block = "10.0.0.0/16"
}
