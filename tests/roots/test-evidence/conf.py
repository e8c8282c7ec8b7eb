extensions = ["sphinx_threats"]
threats_today = "2026-06-01"
threats_evidence = ["results/*.xml"]
exclude_patterns = ["_build", "results"]
