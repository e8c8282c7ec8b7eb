project = "hard-myst"
extensions = ["sphinx_threats", "myst_parser"]
threats_today = "2026-06-01"
exclude_patterns = ["_build", "part.md"]
