extensions = ["myst_parser", "sphinx_threats"]
project = "Relay"
threats_today = "2026-06-01"
threats_fail_on = []
# the tests set threats_external: by path, by URL, by (base_url, path)
