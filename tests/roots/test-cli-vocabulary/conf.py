project = "vocabulary"
extensions = ["sphinx_threats"]
threats_today = "2026-06-01"
# most severe first; alphabetical order would be the reverse
threats_severities = ["severe", "moderate", "minor"]
threats_fail_on = []
