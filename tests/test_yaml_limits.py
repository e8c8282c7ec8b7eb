"""The limits of the bounded YAML and JSON readers (issue 25, items 5-9).

Real builds and the real command: a recursive alias, "billion laughs", aliases
past the size budget, deep nesting and an entry written as an alias each end
in one ``threats.invalid`` warning at the exact ``file:line`` (or one error
line and exit 2 for ``sphinx-threats import``); the clean items beside them
still count.  The limits themselves are in ``sphinx_threats/safeload.py``
and ``SECURITY.md``.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from .conftest import ROOTS
from .helpers import built_app, threat_warnings, threats_json

#: Slow (hostile YAML through real builds and the real command): in CI, out of the fast lane.
pytestmark = pytest.mark.slow

#: Warnings other than the gaps every unmitigated threat has here.
NOT_GAPS = frozenset({"invalid", "duplicate-id"})


def _copy(root: str, tmp_path: Path) -> Path:
    src = tmp_path / root
    shutil.copytree(ROOTS / root, src)
    return src


def _build(src: Path) -> tuple[list[tuple[str, int, str]], dict[str, Any], str]:
    with built_app("html", srcdir=src) as app:
        warnings = [w for w in threat_warnings(app) if w[2] in NOT_GAPS]
        return warnings, threats_json(app), app.warning.getvalue()


def _threats(data: dict[str, Any]) -> dict[tuple[str, int], dict[str, Any]]:
    return {(t["id"], t["lineno"]): t for t in data["items"]["threats"]}


def _message(log: str, where: str) -> str:
    """The one ``invalid`` warning line at ``where`` (``file:line``)."""
    [line] = [
        raw for raw in log.splitlines() if f"{where}: WARNING" in raw and "[threats.invalid]" in raw
    ]
    return line


# -- catalogues (items 7, 8, 9), rST -----------------------------------------------------


def test_catalogue_aliases_and_depth_are_located_warnings(tmp_path: Path) -> None:
    warnings, data, log = _build(_copy("test-yaml-limits", tmp_path))
    assert warnings == [
        # 9: the entry written as `- *e` is at its own line, not its anchor's
        ("catalogs/aliases.yaml", 6, "duplicate-id"),
        # a recursive alias: refused where it is written
        ("catalogs/aliases.yaml", 10, "invalid"),
        # 8: nesting past the limit, one warning (the build goes on) ...
        ("catalogs/deep.yaml", 8, "invalid"),
        # ... and the entry's own problem: a list in a list of tags
        ("catalogs/deep.yaml", 8, "invalid"),
    ]
    assert (
        "at catalogs/aliases.yaml:6 reuses the ID of the threat at catalogs/aliases.yaml:2" in log
    )
    assert "inside its own anchor &r" in _message(log, "aliases.yaml:10")
    assert "nested deeper than 64 levels" in log
    threats = _threats(data)
    assert set(threats) == {
        ("T-PAGE", 7),
        ("T-ANCHOR", 2),
        ("T-ANCHOR", 6),
        ("T-REC", 7),
        ("T-CLEAN", 11),
        ("T-SHARED", 15),
        ("T-DEEP-BEFORE", 2),
        ("T-DEEP", 5),
        ("T-DEEP-AFTER", 9),
    }
    # what the limits left alone is read as written; an alias within them works
    assert threats["T-REC", 7]["tags"] == ["web"]
    assert threats["T-SHARED", 15]["tags"] == threats["T-CLEAN", 11]["tags"] == ["web", "api"]


def _laughs(src: Path, entries: int) -> None:
    """A catalogue of small entries that all alias one 64 KB body: about
    ``entries`` x 64 KB once expanded, from a file of a few kilobytes more."""
    body = "\n".join("      " + "lol " * 15 for _ in range(1024))
    lines = ["threats:", "  - id: T-BODY", "    title: The body", "    severity: low"]
    lines += ["    body: &b |", body]
    for number in range(1, entries + 1):
        lines.append(f"  - {{id: T-{number}, title: Entry {number}, severity: low, body: *b}}")
    (src / "catalogs" / "laughs.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_catalogue_aliases_cannot_expand_past_the_size_limit(tmp_path: Path) -> None:
    # 7: an 80 KB catalogue used to become a 60 MB threats.json through aliases
    src = _copy("test-yaml-limits", tmp_path)
    (src / "catalogs" / "deep.yaml").unlink()
    _laughs(src, 200)
    warnings, data, log = _build(src)
    refused = [w for w in warnings if w[0] == "catalogs/laughs.yaml"]
    [(_, line, _)] = refused
    text = (src / "catalogs" / "laughs.yaml").read_text(encoding="utf-8").splitlines()
    # at the first alias over the budget: an entry line, after some that were read
    first_entry = next(i for i, row in enumerate(text, 1) if row.startswith("  - {id: T-1,"))
    assert text[line - 1].endswith("body: *b}") and line > first_entry
    assert "expands beyond 5242880 units through the alias *b" in _message(
        log, f"laughs.yaml:{line}"
    )
    # every entry still counts, with or without its body
    ids = {t["id"] for t in data["items"]["threats"]}
    assert {f"T-{n}" for n in range(1, 201)} | {"T-BODY", "T-PAGE", "T-CLEAN"} <= ids
    assert len(json.dumps(data)) < 1_000_000


# -- MyST options blocks (items 5, 6) and the same catalogue in MyST ----------------------


def test_options_block_aliases_and_depth_are_located_warnings(tmp_path: Path) -> None:
    warnings, data, log = _build(_copy("test-yaml-limits-myst", tmp_path))
    assert warnings == [
        ("catalogs/aliases.yaml", 6, "duplicate-id"),  # 9, rendered by {threat-catalog}
        ("catalogs/aliases.yaml", 10, "invalid"),
        ("index.md", 10, "invalid"),  # 5: a recursive alias, at its line
        ("index.md", 19, "invalid"),  # 6: billion laughs, at its line
        ("index.md", 28, "invalid"),  # 8: deep nesting, at its line
    ]
    for line in (10, 19):
        assert "aliases are not read here (line 3 of the block)" in _message(
            log, f"index.md:{line}"
        )
    assert "nested deeper than 64 levels" in _message(log, "index.md:28")
    threats = _threats(data)
    # each item keeps its ID and its readable options; only the refused one is unread
    for tid, line in (("T-OPT-REC", 6), ("T-OPT-LOL", 15), ("T-OPT-DEEP", 24)):
        assert threats[tid, line]["severity"] == "low"
        assert threats[tid, line]["tags"] == []
    assert threats["T-OPT-CLEAN", 33]["severity"] == "high"
    assert threats["T-OPT-CLEAN", 33]["tags"] == ["web", "api"]
    assert {("T-ANCHOR", 2), ("T-ANCHOR", 6), ("T-CLEAN", 11), ("T-SHARED", 15)} <= set(threats)


# -- sphinx-threats import (item 8, second half) -----------------------------------------


def _import(source: Path, fmt: str, out: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sphinx_threats", "import", fmt, str(source), "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=120,
    )


_LOL = ", ".join(["lol"] * 10)
HOSTILE = {
    "deep.json": ("threat-composer", '{"threats": ' + "[" * 5000 + "]" * 5000 + "}", 1),
    "deep.otm.json": (
        "otm",
        '{"otmVersion": "0.2.0",\n "project": ' + "[" * 5000 + "]" * 5000 + "}",
        2,
    ),
    "deep.otm.yaml": (
        "otm",
        "otmVersion: 0.2.0\nproject:\n"
        + "".join("  " * level + "a:\n" for level in range(1, 1200)),
        66,
    ),
    "laughs.otm.yaml": (
        "otm",
        "otmVersion: 0.2.0\n"
        + f"a0: &a0 [{_LOL}]\n"
        + "".join(f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]\n" for i in range(1, 10)),
        8,
    ),
    "recursive.otm.yaml": ("otm", "otmVersion: 0.2.0\nproject: &p\n  name: [*p]\n", 3),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_import_of_a_hostile_file_is_one_error_line(tmp_path: Path, name: str) -> None:
    fmt, text, line = HOSTILE[name]
    source = tmp_path / name
    source.write_text(text, encoding="utf-8")
    run = _import(source, fmt, tmp_path / "out")
    assert run.returncode == 2, run.stderr
    assert run.stderr.count("\n") == 1 and "Traceback" not in run.stderr
    assert run.stderr.startswith(f"sphinx-threats import: error: {source}: $: ")
    assert run.stderr.rstrip().endswith(f"(line {line})")
    assert not (tmp_path / "out").exists()  # nothing written
