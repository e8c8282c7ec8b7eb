project = "needs"
extensions = ["sphinx_needs", "sphinx_threats"]
threats_today = "2026-06-01"
needs_id_regex = r"^[A-Za-z][A-Za-z0-9_.-]*"
extensions.append("sphinx.ext.graphviz")
