"""Sphinx configuration for the messenger example threat model."""

project = "Messenger threat model"
author = "Messenger security team"
copyright = "2026, Messenger security team"

extensions = ["myst_parser", "sphinx_threats"]

# The README describes the example; it is not a page of the site.
exclude_patterns = ["_build", "README.md"]

html_theme = "alabaster"

# threat-graph pictures as SVG: sharp at any zoom, and every node a link
graphviz_output_format = "svg"

# Every date check (overdue mitigations, expired and expiring acceptances) uses
# this date instead of the day of the build, so the example always shows the
# same gaps.
threats_today = "2026-11-28"

# Every element of the data-flow diagram (services, data stores, external
# entities, and flows that cross a trust boundary) must have been considered
# for the STRIDE categories its kind requires: an element left out is an
# "unanalysed" gap (a warning; add "unanalysed" to threats_fail_on to fail CI).
threats_element_categories = "stride-per-element"

# This example contains deliberate gaps (see README.md) so that its reports
# show every status. An empty list lets it build (exit status 0) while the gaps
# still appear as warnings and on the reports page.
#
# A real project keeps the default, or lists the kinds it wants to fail on,
# so that CI fails when a gap appears:
#
#     threats_fail_on = ["unmitigated", "service-gap", "overdue-mitigation"]
#
# The setting can also be overridden per build on the command line:
#
#     sphinx-build -b dummy -D threats_fail_on=unmitigated,service-gap . _build/check
#     sphinx-build -b html -D threats_fail_on= . _build/html    # fail on nothing
threats_fail_on = []

# The media service is documented in a project of its own (../messenger-media),
# as a service team would in its own repository: this build collects its
# answers to the product threats, and the reports page shows it in
# threat-projects. Build it first (its threats.json is read from there).
threats_aggregate = {"media": "../messenger-media/_build/html/threats.json"}
