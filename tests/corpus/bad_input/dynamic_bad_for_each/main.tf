resource "aws_security_group" "sg" {
  vpc_id = "vpc-1"
  dynamic "ingress" {
    for_each = 42
    content {
      from_port   = 1
      to_port     = 1
      protocol    = "tcp"
      cidr_blocks = ["0.0.0.0/0"]
    }
  }
}
