"""Bad-input catalogue: static pages here, generated ``cases-*.rst`` pages added by the test."""

project = "rel-badinput"
extensions = ["myst_parser", "sphinx_threats"]
exclude_patterns = ["_build"]
threats_today = "2026-06-01"
# this root checks warnings only; failing the build is tested elsewhere
threats_fail_on = []
# an unresolved item reference must be one threats.unknown-ref, never also a ref.* warning
nitpicky = True


def setup(app):
    # The catalogue holds 100,000-character words; Sphinx's search indexer stems
    # every word and would spend seconds on them, which this root does not test.
    def no_search_index(app):
        if app.builder.format == "html":
            app.builder.search = False

    app.connect("builder-inited", no_search_index)
