import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
project = "hard"
extensions = ["sphinx_threats", "sphinx.ext.autodoc"]
threats_today = "2026-06-01"
exclude_patterns = ["_build"]
# three lines before every page: locations must not move
rst_prolog = """
.. |team| replace:: the relay team
"""
