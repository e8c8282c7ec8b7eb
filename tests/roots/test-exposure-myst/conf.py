extensions = ["myst_parser", "sphinx_threats"]
project = "exposure"
threats_today = "2026-06-01"
threats_expiry_notice_days = 30
# a vocabulary of our own: threats.json records it as configured
threats_severities = ["critical", "high", "medium", "low"]
threats_categories = ["spoofing", "tampering", "privacy"]
exclude_patterns = ["_build"]
