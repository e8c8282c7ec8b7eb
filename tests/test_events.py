"""The public API for other extensions: the ``threats-analysed`` and
``threats-item-declared`` events, ``get_report`` and the phase guard."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import pytest

from sphinx_threats.api import PhaseError, get_report
from sphinx_threats.domain import threats_domain
from sphinx_threats.model import GapKind, Location, Problem

from .conftest import ROOTS
from .helpers import built_app


def _log(out: Path, name: str) -> list[dict[str, object]]:
    log = out / name
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


def test_event_once_per_build_before_any_page_is_written(tmp_path: Path) -> None:
    src = tmp_path / "src"
    shutil.copytree(ROOTS / "test-event", src)
    out = tmp_path / "out"
    for _ in range(2):  # a first build, then an unchanged rebuild
        with built_app("html", srcdir=src, builddir=out):
            pass
    first, second = _log(out, "events.jsonl")
    assert first["pages_written_before"] == []
    assert first["threats"] == {"T-FLOOD": "unmitigated", "T-REPLAY": "mitigated"}
    assert first["gaps"] == ["unmitigated"]
    # get_report gives the listeners' report
    assert first["same_report"] is True
    # the rebuild reads nothing and still tells the listeners
    assert second["threats"] == first["threats"]
    assert second["gaps"] == first["gaps"]


def test_item_declared_passes_the_item_record_and_its_block(tmp_path: Path) -> None:
    src = tmp_path / "src"
    shutil.copytree(ROOTS / "test-event", src)
    out = tmp_path / "out"
    with built_app("html", srcdir=src, builddir=out):
        pass
    assert _log(out, "declared.jsonl") == [
        {"kind": "threat", "id": "T-REPLAY", "line": 4, "docname": "index", "block_line": 4},
        {"kind": "threat", "id": "T-FLOOD", "line": 8, "docname": "index", "block_line": 8},
        {"kind": "mitigation", "id": "M-SEQ", "line": 12, "docname": "index", "block_line": 12},
    ]


def test_report_before_the_analysis_and_records_after_it_raise(tmp_path: Path) -> None:
    src = tmp_path / "src"
    shutil.copytree(ROOTS / "test-event", src)
    out = tmp_path / "out"
    with built_app("html", srcdir=src, builddir=out) as app:
        # asked while the pages were read (env-before-read-docs): refused
        assert _log(out, "early.jsonl") == [{"refused": "PhaseError"}]
        report = get_report(app.env)
        with pytest.raises(dataclasses.FrozenInstanceError):
            report.gaps = []  # type: ignore[misc]
        problem = Problem(GapKind.INVALID, "late", Location("index.rst", 1, "index"))
        with pytest.raises(PhaseError, match="after the analysis"):
            threats_domain(app.env).note_problem("index", problem)
        assert get_report(app.env) is report
