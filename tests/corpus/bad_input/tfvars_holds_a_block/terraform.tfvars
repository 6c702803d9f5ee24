n = 1
resource "aws_vpc" "x" {
}
