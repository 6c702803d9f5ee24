variable "tags" {
  type    = map(string)
  default = ["a", "b"]
}
