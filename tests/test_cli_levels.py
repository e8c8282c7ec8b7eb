"""Every format of the command gives a gap the same level, and ranks
severities by the project's own vocabulary (issue 26).

SPEC: "In every format a gap is an error when it counts for the exit status
(``--fail-on``, by default the file's ``fails``), a note when suppressed,
else a warning."  ``threats.json`` records the vocabulary in force, so
``report`` and ``diff`` rank custom severities as the build did.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from .cli_helpers import build, copy_root, edit, run_cli

#: Slow (real builds and the real command in every format): in CI, out of the fast lane.
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    """The shop built as it is: gaps that fail, gaps that do not, one suppressed."""
    tmp = tmp_path_factory.mktemp("levels")
    path, _ = build(copy_root("cli", tmp / "src"), tmp / "out")
    return SimpleNamespace(tmp=tmp, path=path, data=json.loads(path.read_text(encoding="utf-8")))


def _key(gap: dict[str, Any]) -> tuple[str, str, int]:
    return gap["kind"], gap["file"], gap["lineno"]


def _expected(data: dict[str, Any], counts: Any) -> dict[tuple[str, str, int], str]:
    """The SPEC's level of each gap of the file, when ``counts`` says which count."""
    return {
        _key(g): "error" if counts(g) else "note" if g["suppressed"] else "warning"
        for g in data["gaps"]
    }


def _report_levels(shop: SimpleNamespace, fmt: str, *fail_on: str) -> dict[Any, str]:
    """The level of each gap as ``report --format FMT`` shows it."""
    run = run_cli("report", str(shop.path), "--format", fmt, *fail_on, cwd=shop.tmp)
    assert run.stderr == ""
    if fmt == "json":
        return {_key(g): g["level"] for g in json.loads(run.stdout)["gaps"]}
    if fmt == "github":
        words = {"error": "error", "warning": "warning", "notice": "note"}
        found = re.findall(
            r"^::(\w+) file=([^,]+),line=(\d+),title=[^:]+\(threats\.([\w-]+)\)::", run.stdout, re.M
        )
        return {(kind, file, int(line)): words[cmd] for cmd, file, line, kind in found}
    words = {"FAILS": "error", "**fails**": "error", "warning": "warning", "suppressed": "note"}
    if fmt == "markdown":
        rows = re.findall(
            r"^\| ([\w-]+) \| `([^`]+):(\d+)` \| \w* \| ([*\w]+) \|", run.stdout, re.M
        )
        return {(kind, file, int(line)): words[state] for kind, file, line, state in rows}
    shown = {}
    kind = ""
    for line in run.stdout.splitlines():
        heading = re.match(r"^  ([\w-]+): \d+$", line)
        if heading:
            kind = heading[1]
        place = re.match(r"^    (\S+):(\d+)\s.*\s(FAILS|warning|suppressed)$", line)
        if place:
            shown[kind, place[1], int(place[2])] = words[place[3]]
    return shown


@pytest.mark.parametrize("fmt", ["text", "markdown", "json", "github"])
def test_every_report_format_gives_the_levels_of_the_spec(shop: SimpleNamespace, fmt: str) -> None:
    data = shop.data
    by_build = _expected(data, lambda g: g["fails"])
    # the shop has all three: a failing gap, one that does not fail, a suppressed one
    assert set(by_build.values()) == {"error", "warning", "note"}
    # a gap that does not fail the build is a warning, whatever its threat's severity
    planned = [k for k in by_build if k[0] == "planned-only"]
    assert planned and all(by_build[k] == "warning" for k in planned)
    assert _report_levels(shop, fmt) == by_build
    # --fail-on decides instead of the build
    chosen = _expected(data, lambda g: not g["suppressed"] and g["kind"] == "planned-only")
    assert _report_levels(shop, fmt, "--fail-on", "planned-only") == chosen
    assert _report_levels(shop, fmt, "--fail-on", "") == _expected(data, lambda g: False)


def test_sarif_levels_follow_the_build(shop: SimpleNamespace) -> None:
    run = run_cli("sarif", str(shop.path), "-o", "-", cwd=shop.tmp)
    results = json.loads(run.stdout)["runs"][0]["results"]
    shown = {
        (
            r["ruleId"].removeprefix("threats."),
            r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
            r["locations"][0]["physicalLocation"]["region"]["startLine"],
        ): r["level"]
        for r in results
    }
    assert shown == _expected(shop.data, lambda g: g["fails"])


# -- the vocabulary ------------------------------------------------------------------


@pytest.fixture(scope="module")
def vocabulary(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    """A project whose severities are ``severe``, ``moderate``, ``minor``; a
    change raising one threat's and lowering another's."""
    tmp = tmp_path_factory.mktemp("vocabulary")
    base, _ = build(copy_root("cli-vocabulary", tmp / "src"), tmp / "base")
    src = copy_root("cli-vocabulary", tmp / "pr-src")
    edit(
        src / "index.rst",
        "   :id: T-BACKUP\n   :category: information-disclosure\n   :severity: minor",
        "   :id: T-BACKUP\n   :category: information-disclosure\n   :severity: severe",
    )
    edit(
        src / "index.rst",
        "   :id: T-LEDGER\n   :category: tampering\n   :severity: severe",
        "   :id: T-LEDGER\n   :category: tampering\n   :severity: moderate",
    )
    pr, _ = build(src, tmp / "pr")
    return SimpleNamespace(tmp=tmp, base=base, pr=pr)


def test_threats_json_records_the_vocabulary(vocabulary: SimpleNamespace) -> None:
    data = json.loads(vocabulary.base.read_text(encoding="utf-8"))
    assert data["vocabulary"]["severities"] == ["severe", "moderate", "minor"]
    assert data["vocabulary"]["statuses"] == ["planned", "in-progress", "implemented", "verified"]
    assert data["vocabulary"]["categories"][:2] == ["spoofing", "tampering"]
    assert set(data["vocabulary"]) == {
        "severities",
        "categories",
        "statuses",
        "likelihoods",
        "impacts",
    }


def test_diff_ranks_custom_severities(vocabulary: SimpleNamespace) -> None:
    run = run_cli(
        "diff", str(vocabulary.base), str(vocabulary.pr), "--format", "json", cwd=vocabulary.tmp
    )
    changes = {
        c["ids"][0]: c for c in json.loads(run.stdout)["changes"] if "severity" in c["change"]
    }
    assert changes["T-BACKUP"]["change"] == "raised-severity" and changes["T-BACKUP"]["counted"]
    assert changes["T-LEDGER"]["change"] == "lowered-severity"
    assert run.returncode == 1
    # the other way round, the raise is the lowering
    back = run_cli(
        "diff", str(vocabulary.pr), str(vocabulary.base), "--format", "json", cwd=vocabulary.tmp
    )
    names = {c["ids"][0]: c["change"] for c in json.loads(back.stdout)["changes"]}
    assert names == {"T-BACKUP": "lowered-severity", "T-LEDGER": "raised-severity"}


def test_report_orders_custom_severities(vocabulary: SimpleNamespace) -> None:
    run = run_cli("report", str(vocabulary.base), "--format", "json", cwd=vocabulary.tmp)
    assert list(json.loads(run.stdout)["by-severity"]) == ["severe", "moderate", "minor"]
    text = run_cli("report", str(vocabulary.base), cwd=vocabulary.tmp).stdout
    assert "by severity  severe 1, moderate 1, minor 1" in text


def test_a_file_without_a_vocabulary_has_the_defaults(
    vocabulary: SimpleNamespace, tmp_path: Path
) -> None:
    data = json.loads(vocabulary.pr.read_text(encoding="utf-8"))
    del data["vocabulary"]
    for threat in data["items"]["threats"]:
        threat["severity"] = {"severe": "critical", "moderate": "medium", "minor": "low"}[
            threat["severity"]
        ]
    data["summary"]["by-severity"] = {"low": 1, "critical": 1, "medium": 1}
    (tmp_path / "old.json").write_text(json.dumps(data), encoding="utf-8")
    run = run_cli("report", "old.json", "--format", "json", cwd=tmp_path)
    assert list(json.loads(run.stdout)["by-severity"]) == ["critical", "medium", "low"]
