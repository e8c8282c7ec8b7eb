"""The smallest useful sphinx-threats project: builds with no gaps."""

project = "Minimal threat model"

extensions = ["myst_parser", "sphinx_threats"]

exclude_patterns = ["_build", "README.md"]
