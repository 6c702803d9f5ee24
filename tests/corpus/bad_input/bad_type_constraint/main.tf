variable "l" {
  type = lisst(string)
}
