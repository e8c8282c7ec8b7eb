extensions = ["myst_parser", "sphinx_threats"]
project = "Review"
threats_today = "2026-06-01"
threats_fail_on = []
threats_lock = "threats.lock"
