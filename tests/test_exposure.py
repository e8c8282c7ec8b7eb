"""Reports that never understate (rST and MyST): an unrated threat, a threat
mitigated overall but open for one service (its exposure), an acceptance about
to expire, IDs in natural order, and the vocabulary in ``threats.json``.

The model (``test-exposure``, ``test-exposure-myst``): five services; ``T1``
mitigated overall but not for ``auth``; ``T2`` accepted until a date within
the expiry notice; ``T10`` mitigated; ``T11`` unmitigated; ``T-UNRATED`` with
no severity.  Threats are declared in the order T1, T10, T11, T2, so that the
declaration order and the plain sorted order are both wrong.
"""

from __future__ import annotations

import html as html_lib
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from sphinx.testing.util import SphinxTestApp

from .helpers import html, threat_warnings, threats_json

ROOTS = ["test-exposure", "test-exposure-myst"]

_TABLE = re.compile(r'<table class="([^"]*)".*?</table>', re.S)
_ROW = re.compile(r"<tr[^>]*>(.*?)</tr>", re.S)
_CELL = re.compile(r"<t[dh][^>]*>(.*?)</t[dh]>", re.S)
_TAG = re.compile(r"<[^>]+>")


def _text(fragment: str) -> str:
    return " ".join(html_lib.unescape(_TAG.sub(" ", fragment)).split())


def tables(page: str, css: str) -> list[list[list[str]]]:
    """The text of each cell, row by row, of every table with class ``css``."""
    return [
        [[_text(c) for c in _CELL.findall(row)] for row in _ROW.findall(m.group(0))]
        for m in _TABLE.finditer(page)
        if css in m.group(1).split()
    ]


def _build(make_app: Any, rootdir: Path, tmp_path: Path, root: str, **conf: Any) -> SphinxTestApp:
    src = tmp_path / root
    shutil.copytree(rootdir / root, src)
    app: SphinxTestApp = make_app("html", srcdir=src, confoverrides=conf)
    app.build()
    return app


@pytest.fixture(params=ROOTS)
def built(request: pytest.FixtureRequest, make_app: Any, rootdir: Path, tmp_path: Path) -> Any:
    root = request.param
    app = _build(make_app, rootdir, tmp_path, root)
    suffix = ".rst" if root == "test-exposure" else ".md"
    return app, suffix


#: (index line, services line) of each gap, rST then MyST
_LINES = {
    ".rst": {"T11": 27, "T-UNRATED": 41, "RA-1": 66, "api": 4, "auth": 16},
    ".md": {"T11": 29, "T-UNRATED": 45, "RA-1": 76, "api": 3, "auth": 19},
}


def test_every_gap_once_at_its_line(built: Any) -> None:
    app, suffix = built
    at = _LINES[suffix]
    index, services = f"index{suffix}", f"services{suffix}"
    # the threat with no severity: one unrated gap at the threat, no invalid
    assert threat_warnings(app) == [
        (index, at["T11"], "unmitigated"),
        (index, at["T-UNRATED"], "unrated"),
        (index, at["RA-1"], "expiring-acceptance"),
        (services, at["api"], "service-gap"),
        (services, at["auth"], "service-gap"),
    ]
    [unrated] = [g for g in threats_json(app)["gaps"] if g["kind"] == "unrated"]
    assert unrated["ids"] == ["T-UNRATED"]
    assert unrated["file"] == index and unrated["lineno"] == at["T-UNRATED"]
    # not in the default threats_fail_on
    assert unrated["fails"] is False


def test_threats_json_records_exposure_and_vocabulary(built: Any) -> None:
    app, _suffix = built
    data = threats_json(app)
    threats = data["items"]["threats"]
    # lists keep their plain sorted order (natural order is for people)
    assert [t["id"] for t in threats] == ["T-UNRATED", "T1", "T10", "T11", "T2"]
    got = {t["id"]: (t["severity"], t["status"], t["exposure"]) for t in threats}
    assert got == {
        "T-UNRATED": (None, "mitigated", "mitigated"),
        "T1": ("high", "mitigated", "unmitigated"),
        "T10": ("high", "mitigated", "mitigated"),
        "T11": ("high", "unmitigated", "unmitigated"),
        "T2": ("high", "accepted", "accepted"),
    }
    assert data["vocabulary"] == {
        "severities": ["critical", "high", "medium", "low"],
        "categories": ["spoofing", "tampering", "privacy"],
        "statuses": ["planned", "in-progress", "implemented", "verified"],
        "likelihoods": ["high", "medium", "low"],
        "impacts": ["high", "medium", "low"],
    }
    summary = data["summary"]
    assert summary["by-severity"] == {"high": 4, "unrated": 1}
    assert summary["by-exposure"] == {"unmitigated": 2, "mitigated": 2, "accepted": 1}
    # sorted keys, as everywhere in the file
    assert list(data["vocabulary"]) == sorted(data["vocabulary"])


def test_matrix_shows_exposure_unrated_and_expiring(built: Any) -> None:
    app, _suffix = built
    page = html(app, "reports")
    everything, open_anywhere, unrated = tables(page, "threats-matrix")
    rows = {row[0].split()[0]: row for row in everything[1:]}
    # natural order, an unrated threat first (it ranks as the most severe)
    assert list(rows) == ["T-UNRATED", "T1", "T2", "T10", "T11"]
    assert rows["T-UNRATED"][0] == "T-UNRATED Unrated leak unrated privacy"
    # mitigated overall, but open for one of its five services: both shown
    assert rows["T1"][1] == "mitigated · GAP in 1 of 5 services"
    assert rows["T10"][1] == "mitigated"
    assert rows["T11"][1] == "GAP"
    # an acceptance within the expiry notice says so, in words
    assert rows["T2"][4] == "RA-1 expiring, valid until 2026-06-20"
    assert '<span class="threats-badge threats-state-expiring">expiring, valid until' in page
    assert '<span class="threats-badge threats-severity-unrated">unrated</span>' in page
    # :status: filters by exposure; :severity: accepts unrated
    assert [row[0].split()[0] for row in open_anywhere[1:]] == ["T1", "T11"]
    assert [row[0].split()[0] for row in unrated[1:]] == ["T-UNRATED"]


def test_summary_and_risk_map_count_by_exposure(built: Any) -> None:
    app, _suffix = built
    page = html(app, "reports")
    [counts] = tables(page, "threats-summary")
    assert counts[0] == ["Status", "unrated", "critical", "high", "medium", "low", "Total"]
    by_status = {row[0]: row[1:] for row in counts[1:]}
    assert by_status["GAP"] == ["-", "-", "2", "-", "-", "2"]
    assert by_status["mitigated"] == ["1", "-", "1", "-", "-", "2"]
    assert by_status["accepted"] == ["-", "-", "1", "-", "-", "1"]
    # each threat in the column of its exposure, and counted open there
    titles = re.findall(r'<p class="threats-risk-title"><strong>(.*?)</strong>', page)
    assert titles == [
        "severity unrated, status mitigated: 1 threat, 0 open",
        "severity high, status unmitigated: 2 threats, 2 open",
        "severity high, status accepted: 1 threat, 0 open",
        "severity high, status mitigated: 1 threat, 0 open",
    ]


def test_ids_in_natural_order(built: Any) -> None:
    app, _suffix = built
    [coverage] = tables(html(app, "reports"), "threats-coverage")
    assert [row[1].split()[0] for row in coverage[1:]] == ["T1", "T2", "T10", "T11"]
    index = html(app, "index")
    actor = index[index.index('id="A-INSIDER"') : index.index('id="T1"')]
    assert re.findall(r'href="#(T[^"]*)"', actor) == ["T1", "T2", "T10", "T11"]
    api = html(app, "services")
    api = api[api.index('id="api"') : api.index('id="web"')]
    linked = re.findall(r'href="index.html#(T[^"]*)"', api)
    assert linked == ["T1", "T2", "T10", "T11"]


@pytest.mark.parametrize("root", ROOTS)
def test_unrated_fails_only_when_asked(
    make_app: Any, rootdir: Path, tmp_path: Path, root: str
) -> None:
    # asked for, an unrated gap fails even under the strictest threshold:
    # an unrated threat ranks as the most severe
    app = _build(
        make_app,
        rootdir,
        tmp_path,
        root,
        threats_fail_on=["unrated"],
        threats_fail_min_severity="critical",
    )
    failing = [g["kind"] for g in threats_json(app)["gaps"] if g["fails"]]
    assert failing == ["unrated"]
