extensions = ["sphinx_threats"]
project = "Relay service"
threats_today = "2026-06-01"
threats_fail_on = []
threats_lock = "threats.lock"
# the tests set threats_external: the product's threats.json by path
