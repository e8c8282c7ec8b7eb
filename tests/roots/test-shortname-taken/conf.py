import sys, os
sys.path.insert(0, os.path.dirname(__file__))
extensions = ["other_ext", "sphinx_threats"]
threats_today = "2026-06-01"
threats_fail_on = []
