# A project whose own extension (here, in conf.py) reads the analysis
# through the threats-analysed event.
import json
from pathlib import Path

extensions = ["sphinx_threats"]
threats_today = "2026-06-01"
threats_fail_on = []
exclude_patterns = ["_build"]


def _record(app, report):
    out = Path(app.outdir)
    seen = {
        "pages_written_before": sorted(p.name for p in out.glob("*.html")),
        "threats": {t: s.value for t, s in sorted(report.threat_status.items())},
        "gaps": [g.kind.value for g in report.gaps],
    }
    log = Path(app.outdir).parent / "events.jsonl"
    with log.open("a", encoding="utf-8") as f:
        f.write(json.dumps(seen) + "\n")


def setup(app):
    app.connect("threats-analysed", _record)
