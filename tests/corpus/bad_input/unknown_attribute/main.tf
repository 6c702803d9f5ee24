resource "aws_vpc" "main" {
  cidr_blok = "10.0.0.0/16"
}
