project = "hard-anchors"
extensions = ["sphinx_threats"]
threats_today = "2026-06-01"
threats_fail_on = []
exclude_patterns = ["_build"]
