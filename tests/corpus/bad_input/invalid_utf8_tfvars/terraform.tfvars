name = "ok"
other = "ÿþ"
