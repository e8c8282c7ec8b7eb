project = "dfd"
extensions = ["sphinx_threats"]
threats_today = "2026-06-01"
threats_fail_on = []
graphviz_output_format = "svg"
