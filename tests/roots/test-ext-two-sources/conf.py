extensions = ["sphinx_threats"]
project = "Gateway"
threats_today = "2026-06-01"
threats_fail_on = []
# both sources declare X-1: the first holds the plain ID, second:X-1 is the second's
threats_external = {
    "first": ("https://first.example/docs/", "first.json"),
    "second": ("https://second.example/docs/", "second.json"),
}
