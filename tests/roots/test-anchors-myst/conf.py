project = "hard-anchors-myst"
extensions = ["sphinx_threats", "myst_parser"]
threats_today = "2026-06-01"
threats_fail_on = []
exclude_patterns = ["_build"]
