resource "aws_vpc" "v" {
  for_each   = ["a", "b"]
  cidr_block = "10.0.0.0/16"
}
