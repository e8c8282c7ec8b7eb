project = "duplicates"
extensions = ["sphinx_threats"]
threats_today = "2026-06-01"
