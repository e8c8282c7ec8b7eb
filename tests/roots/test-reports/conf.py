project = "reports"
extensions = ["sphinx_threats"]
threats_today = "2026-06-01"
threats_fail_on = []
threats_risk_matrix = {
    "high": {"high": "critical", "medium": "high", "low": "medium"},
    "medium": {"high": "high", "medium": "medium", "low": "low"},
    "low": {"high": "medium", "medium": "low", "low": "info"},
}
