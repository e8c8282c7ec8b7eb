extensions = ["myst_parser", "sphinx_threats"]
project = "Key directory"
threats_today = "2026-06-01"
# the tests set threats_external
