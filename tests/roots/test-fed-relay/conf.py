extensions = ["sphinx_threats"]
project = "Relay"
threats_today = "2026-06-01"
# the tests set threats_external
