project = "needs"
extensions = ["myst_parser", "sphinx_needs", "sphinx_threats", "sphinx.ext.graphviz"]
threats_today = "2026-06-01"
needs_id_regex = r"^[A-Za-z][A-Za-z0-9_.-]*"
