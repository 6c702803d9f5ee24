resource "aws_vpc" "v" {
  for_each   = toset([1, 2])
  cidr_block = "10.0.0.0/16"
}
