import os
import sys

sys.path.insert(0, os.path.dirname(__file__))
extensions = ["sphinx_threats", "late_ext"]
threats_today = "2026-06-01"
threats_fail_on = []
