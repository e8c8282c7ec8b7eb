project = "one cause"
extensions = ["myst_parser", "sphinx_threats"]
threats_today = "2026-06-01"
# a source that cannot be read: one invalid here, and ``ext:ID`` references
# into it are not reported again
threats_external = {"ext": "missing-threats.json"}
