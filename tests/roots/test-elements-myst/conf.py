extensions = ["myst_parser", "sphinx_threats"]
threats_today = "2026-06-01"
exclude_patterns = ["_build"]
