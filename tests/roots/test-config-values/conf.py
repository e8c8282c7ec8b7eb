"""Configuration values as users write them: enumerated values in any case,
one bad entry in a list, one bad value, a catalogue pattern that matches nothing."""

project = "config-values"
extensions = ["sphinx_threats"]
exclude_patterns = ["_build"]
threats_today = "2026-06-01"

# case-insensitive: "High" is the configured "high", "Invalid" the kind "invalid"
threats_fail_min_severity = "High"
threats_fail_on = ["Unmitigated", "servce-gap", "Invalid"]
threats_risk_matrix = {"High": {"LOW": "Medium"}}

# wrong type: the default (30) is used
threats_expiry_notice_days = "soon"
threats_catalogs = ["catalogues/*.yaml"]
