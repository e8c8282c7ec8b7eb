extensions = ["sphinx_threats"]
threats_today = "2026-06-01"
threats_element_categories = "stride-per-element"
exclude_patterns = ["_build"]
