# A project whose own extension (here, in conf.py) reads the analysis
# through the public API: the threats-analysed event, get_report, and the
# item records of the threats-item-declared event.
import json
from pathlib import Path

from sphinx_threats.api import PhaseError, get_report

extensions = ["sphinx_threats"]
threats_today = "2026-06-01"
threats_fail_on = []
exclude_patterns = ["_build"]


def _log(app, name, seen):
    log = Path(app.outdir).parent / name
    with log.open("a", encoding="utf-8") as f:
        f.write(json.dumps(seen) + "\n")


def _before_reading(app, env, docnames):
    # the report does not exist while pages are read
    try:
        get_report(env)
        refused = ""
    except PhaseError as err:
        refused = type(err).__name__
    _log(app, "early.jsonl", {"refused": refused})


def _declared(app, item, block):
    seen = {
        "kind": item.kind.value,
        "id": item.id,
        "line": item.location.lineno,
        "docname": block.docname,
        "block_line": block.lineno,
    }
    _log(app, "declared.jsonl", seen)
    return []


def _record(app, report):
    out = Path(app.outdir)
    seen = {
        "pages_written_before": sorted(p.name for p in out.glob("*.html")),
        "threats": {t: s.value for t, s in sorted(report.threat_status.items())},
        "gaps": [g.kind.value for g in report.gaps],
        "same_report": get_report(app.env) is report,
    }
    _log(app, "events.jsonl", seen)


def setup(app):
    app.connect("env-before-read-docs", _before_reading)
    app.connect("threats-item-declared", _declared)
    app.connect("threats-analysed", _record)
