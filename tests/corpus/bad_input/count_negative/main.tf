resource "aws_vpc" "v" {
  count      = -1
  cidr_block = "10.0.0.0/16"
}
