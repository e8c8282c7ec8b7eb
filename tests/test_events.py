"""The ``threats-analysed`` event: other extensions read the analysis."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from .conftest import ROOTS
from .helpers import built_app


def _events(out: Path) -> list[dict[str, object]]:
    log = out / "events.jsonl"
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


def test_event_once_per_build_before_any_page_is_written(tmp_path: Path) -> None:
    src = tmp_path / "src"
    shutil.copytree(ROOTS / "test-event", src)
    out = tmp_path / "out"
    for _ in range(2):  # a first build, then an unchanged rebuild
        with built_app("html", srcdir=src, builddir=out):
            pass
    first, second = _events(out)
    assert first["pages_written_before"] == []
    assert first["threats"] == {"T-FLOOD": "unmitigated", "T-REPLAY": "mitigated"}
    assert first["gaps"] == ["unmitigated"]
    # the rebuild reads nothing and still tells the listeners
    assert second["threats"] == first["threats"]
    assert second["gaps"] == first["gaps"]
