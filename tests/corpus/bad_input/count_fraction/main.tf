resource "aws_vpc" "v" {
  count      = 2.5
  cidr_block = "10.0.0.0/16"
}
