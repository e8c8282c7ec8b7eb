extensions = ["sphinx_threats"]
project = "Product"
threats_today = "2026-06-01"
threats_fail_on = []
