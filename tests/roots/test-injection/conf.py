"""Content that tries to inject markup: it must come out as text everywhere."""

project = "rel-inject"
extensions = ["myst_parser", "sphinx_threats"]
exclude_patterns = ["_build"]
threats_today = "2026-06-01"
threats_fail_on = []
latex_documents = [("index", "inject.tex", "Injection", "Tests", "manual")]
