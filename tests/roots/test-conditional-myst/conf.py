project = "hard-only-myst"
extensions = ["sphinx_threats", "sphinx.ext.ifconfig", "myst_parser"]
threats_today = "2026-06-01"
threats_fail_on = []
exclude_patterns = ["_build"]


def setup(app):
    # read by the ifconfig blocks: False, so their items are in no output
    app.add_config_value("show_internal", False, "env")
