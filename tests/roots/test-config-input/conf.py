"""Bad configuration values: the test appends assignments below."""

project = "rel-config"
extensions = ["sphinx_threats"]
exclude_patterns = ["_build"]
