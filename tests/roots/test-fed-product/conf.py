extensions = ["sphinx_threats"]
project = "Product"
threats_today = "2026-06-01"
# the tests set threats_aggregate (and threats_aggregate_fail_on)
