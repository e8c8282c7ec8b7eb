extensions = ["sphinx_threats"]
threats_today = "2026-06-01"
language = "de"
locale_dirs = ["locales"]
