module "net" {
  source = "./modules/nett"
}
