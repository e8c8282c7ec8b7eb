"""Sphinx configuration of the media service: a project of its own,
aggregated by the messenger's product model (see ../messenger/conf.py)."""

project = "Messenger media service"
author = "Media team"
copyright = "2026, Media team"

extensions = ["sphinx_threats"]

exclude_patterns = ["_build", "README.md"]
html_theme = "alabaster"

threats_today = "2026-11-28"

# The product model this service answers, as the messenger example publishes
# it (build ../messenger first to answer its current model; see README.md).
# A service in its own repository names the product site's URL here.
threats_external = {"messenger": "../messenger/_build/html/threats.json"}

# Like the product example, this one builds whatever it finds (the product's
# model may not be built yet); a real service keeps the default so that its
# CI fails on the service's gaps.
threats_fail_on = []
