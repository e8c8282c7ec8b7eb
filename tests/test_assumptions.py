"""The ``assumption`` item: shown where it underpins, stale after its review date,
never a change of status (rST and MyST)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from sphinx.testing.util import SphinxTestApp

from .helpers import html, threat_warnings, threats_json

ROOTS = ["test-assumption", "test-assumption-myst"]


@pytest.mark.parametrize("root", ROOTS)
def test_assumptions(make_app: Any, rootdir: Path, tmp_path: Path, root: str) -> None:
    src = tmp_path / root
    shutil.copytree(rootdir / root, src)
    app: SphinxTestApp = make_app("html", srcdir=src)
    app.build()
    page = "index.rst" if root == "test-assumption" else "index.md"
    # the stale one is reported at its :review-by: line, and nothing else is
    line = 18 if root == "test-assumption" else 19
    assert threat_warnings(app) == [(page, line, "stale-assumption")]

    data = threats_json(app)
    entries = {a["id"]: a for a in data["items"]["assumptions"]}
    assert set(entries) == {"A-IDP", "A-CLOCK"}
    idp = entries["A-IDP"]
    assert idp["threats"] == ["T-TOKEN"]
    assert idp["mitigations"] == ["M-SHORT"]
    assert idp["owner"] == "identity team"
    assert idp["review-by"] == "2026-01-31"
    assert idp["status"] == "stale"
    assert entries["A-CLOCK"]["status"] == "current"
    assert entries["A-CLOCK"]["mitigations"] == ["M-SHORT"]
    # an assumption never changes a status
    [threat] = data["items"]["threats"]
    assert threat["status"] == "mitigated"
    [gap] = data["gaps"]
    assert gap["kind"] == "stale-assumption"
    assert gap["ids"] == ["A-IDP", "T-TOKEN", "M-SHORT"]

    body = html(app, "index")
    # the threat and the mitigation show what they rest on
    threat_block = body[body.index('id="T-TOKEN"') : body.index('id="M-SHORT"')]
    assert "Rests on" in threat_block
    assert 'href="#A-IDP"' in threat_block
    assert "stale" in threat_block
    mitigation_block = body[body.index('id="M-SHORT"') : body.index('id="A-IDP"')]
    assert 'href="#A-IDP"' in mitigation_block and 'href="#A-CLOCK"' in mitigation_block
    assert "review by 2027-01-31" in mitigation_block
    # the role links to the assumption and shows its title
    assert "The identity provider signs tokens correctly</span></a>" in body
    # the domain lists it for intersphinx
    inventory = (app.outdir / "objects.inv").read_bytes()
    assert inventory  # written
    objects = {name for name, *_ in app.env.domains["threats"].get_objects()}
    assert {"A-IDP", "A-CLOCK"} <= objects
