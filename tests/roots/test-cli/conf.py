project = "shop"
extensions = ["sphinx_threats"]
threats_today = "2026-06-01"
# a known, accepted weakness: listed, never warned about
suppress_warnings = ["threats.partial-only"]
