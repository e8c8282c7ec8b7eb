"""Sphinx configuration for the sphinx-threats documentation."""

project = "sphinx-threats"
author = "sphinx-threats contributors"
copyright = "2026, sphinx-threats contributors"

extensions = ["myst_parser", "sphinx_threats"]

# _includes holds snippets that pages include; they are not pages themselves.
exclude_patterns = ["_build", "_includes"]

# The "docs" extra installs furo.
html_theme = "furo"
html_title = "sphinx-threats"
