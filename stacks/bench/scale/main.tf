# The benchmark's synthetic stack (scripts/bench): `resources` resources (100, 1,000 or
# 10,000) spread over several VPCs and hosted zones: per VPC, subnets (30%), route tables
# (10%), route table associations (20%), security groups with three inline rules each (5%),
# and, in the VPC's zone, A records (the rest).
#
#   infra plan --stack stacks/bench/scale --var resources=1000

variable "resources" {
  type        = number
  description = "How many resources the stack holds in total (at least 100)"
  default     = 100

  validation {
    condition     = var.resources >= 100
    error_message = "resources must be at least 100."
  }
}

variable "name" {
  type    = string
  default = "scale"
}

locals {
  # one VPC and one zone per 100 resources up to 1,000, then 2, then 4
  groups = var.resources >= 10000 ? 4 : (var.resources >= 1000 ? 2 : 1)
  share  = floor((var.resources - 2 * local.groups) / local.groups)

  subnets      = floor(local.share * 30 / 100)
  route_tables = floor(local.share * 10 / 100)
  associations = floor(local.share * 20 / 100)
  groups_sg    = floor(local.share * 5 / 100)
  # the rest are records, so that the total is exact
  records = var.resources - 2 * local.groups - local.groups * (local.subnets + local.route_tables + local.associations + local.groups_sg)
}

resource "aws_vpc" "v" {
  count      = local.groups
  cidr_block = "10.${100 + count.index}.0.0/16"
  tags       = { Name = "${var.name}-${count.index}" }
}

resource "aws_subnet" "s" {
  count = local.groups * local.subnets

  vpc_id     = aws_vpc.v[count.index % local.groups].id
  cidr_block = cidrsubnet(aws_vpc.v[count.index % local.groups].cidr_block, 10, floor(count.index / local.groups))
  tags       = { Name = "${var.name}-s${count.index}" }
}

resource "aws_route_table" "r" {
  count = local.groups * local.route_tables

  vpc_id = aws_vpc.v[count.index % local.groups].id
  tags   = { Name = "${var.name}-r${count.index}" }
}

# subnet i joins route table i (mod the number of tables) of the same VPC
resource "aws_route_table_association" "a" {
  count = local.groups * local.associations

  subnet_id      = aws_subnet.s[count.index].id
  route_table_id = aws_route_table.r[count.index % (local.groups * local.route_tables)].id
}

resource "aws_security_group" "g" {
  count = local.groups * local.groups_sg

  name        = "${var.name}-g${count.index}"
  description = "scale benchmark"
  vpc_id      = aws_vpc.v[count.index % local.groups].id

  ingress {
    from_port   = 443
    to_port     = 443
    protocol    = "tcp"
    cidr_blocks = [aws_vpc.v[count.index % local.groups].cidr_block]
  }

  ingress {
    from_port   = 5432
    to_port     = 5432
    protocol    = "tcp"
    cidr_blocks = ["10.0.${count.index % 256}.0/24"]
  }

  egress {
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_route53_zone" "z" {
  count = local.groups
  name  = "z${count.index}.${var.name}.example.com"
}

resource "aws_route53_record" "rec" {
  count = local.records

  zone_id = aws_route53_zone.z[count.index % local.groups].zone_id
  name    = "r${count.index}.z${count.index % local.groups}.${var.name}.example.com"
  type    = "A"
  ttl     = 300
  records = ["198.51.100.${count.index % 250 + 1}"]
}
