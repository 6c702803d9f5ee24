module "m" {
  source = "./m"
  x      = module.m.y
}
