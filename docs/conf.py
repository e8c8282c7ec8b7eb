"""Sphinx configuration for the sphinx-threats documentation."""

import sys
from pathlib import Path

project = "sphinx-threats"
author = "sphinx-threats contributors"
copyright = "2026, sphinx-threats contributors"

# the reference tables are generated from the code (docs/_ext)
sys.path.insert(0, str(Path(__file__).parent / "_ext"))

extensions = [
    "myst_parser",
    "sphinx_threats",
    "threats_reference",
    "threats_import_mapping",
    # the sphinx-needs how-to builds a needtable and a needflow (Graphviz)
    "sphinx_needs",
    "sphinx.ext.graphviz",
]
# accept every ID sphinx-threats accepts (see howto/sphinx-needs)
needs_id_regex = r"^[A-Za-z][A-Za-z0-9_.-]*"

# _includes holds snippets that pages include; they are not pages themselves.
exclude_patterns = ["_build", "_includes"]

# The "docs" extra installs furo.
html_theme = "furo"
html_title = "sphinx-threats"
