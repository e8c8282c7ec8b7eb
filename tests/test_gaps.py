"""Gaps: warnings, threats.json, the exit status of real sphinx-build runs."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sphinx.testing.util import SphinxTestApp

from .helpers import threat_warnings, threats_json

ROOT = Path(__file__).parent / "roots" / "test-gaps"

EXPECTED = [
    ("index.rst", 8, "unmitigated"),
    ("index.rst", 12, "planned-only"),
    ("index.rst", 22, "partial-only"),
    ("index.rst", 45, "overdue-mitigation"),
    ("index.rst", 51, "expired-acceptance"),
    ("index.rst", 57, "expiring-acceptance"),
    ("index.rst", 59, "orphan-mitigation"),  # an unlinked control (empty :mitigates:)
    ("index.rst", 67, "invalid"),
    ("index.rst", 71, "unknown-ref"),
    ("services.rst", 4, "service-gap"),
    ("services.rst", 7, "unknown-ref"),
    ("services.rst", 9, "duplicate-id"),
]

FAILING_KINDS = (
    "unmitigated,service-gap,overdue-mitigation,expired-acceptance,unknown-ref,duplicate-id,invalid"
)


_ANSI = re.compile(r"\x1b\[[0-9;]*m")


def sphinx_build(*args: str | Path) -> subprocess.CompletedProcess[str]:
    """A real ``sphinx-build`` process (its output without colour codes: CI
    environments may ask Sphinx for colour)."""
    run = subprocess.run(
        [sys.executable, "-m", "sphinx", *map(str, args)],
        capture_output=True,
        text=True,
        check=False,
    )
    run.stdout, run.stderr = _ANSI.sub("", run.stdout), _ANSI.sub("", run.stderr)
    return run


@pytest.mark.sphinx("html", testroot="gaps")
def test_every_gap_kind_is_reported_at_its_location(app: SphinxTestApp) -> None:
    app.build()
    assert threat_warnings(app) == EXPECTED
    data = threats_json(app)
    assert [(g["file"], g["lineno"], g["kind"]) for g in data["gaps"]] == EXPECTED
    by_kind = {g["kind"]: g for g in data["gaps"]}
    assert by_kind["service-gap"]["ids"] == ["T-SG", "svc"]
    assert by_kind["duplicate-id"]["message"].count(".rst:") == 2
    assert by_kind["overdue-mitigation"]["ids"] == ["M-OV", "T-OV"]
    assert all(g["suppressed"] is False for g in data["gaps"])
    # messages do not repeat the subtype (Sphinx appends it)
    for gap in data["gaps"]:
        assert f"[threats.{gap['kind']}]" not in gap["message"]
    assert app.statuscode == 1


@pytest.mark.sphinx("html", testroot="gaps")
def test_gap_report_page_lists_every_gap_by_kind(app: SphinxTestApp) -> None:
    (Path(app.srcdir) / "report.rst").write_text(
        "Report\n======\n\n.. threat-gaps::\n\n.. threat-summary::\n\n.. threat-coverage::\n"
    )
    app.build()
    page = Path(app.outdir, "report.html").read_text()
    for _, _, kind in EXPECTED:
        assert f"threats-gap-{kind}" in page
    # each gap links to where it must be fixed
    assert 'href="services.html#svc"' in page
    assert 'href="index.html#M-OV"' in page
    assert "threats-status-gap" in page


@pytest.mark.slow
def test_sphinx_build_exits_1_on_gaps_and_0_without_failing_kinds(tmp_path: Path) -> None:
    failing = sphinx_build("-b", "dummy", ROOT, tmp_path / "a")
    assert failing.returncode == 1, failing.stderr
    closing = failing.stdout.strip().splitlines()
    summary = next(i for i, line in enumerate(closing) if line.startswith("threat model:"))
    assert closing[summary + 1].startswith("build finished with problems")
    assert "8 gap(s) fail the build" in closing[summary]
    assert (tmp_path / "a" / "threats.json").exists()

    none = sphinx_build("-b", "dummy", "-D", "threats_fail_on=", ROOT, tmp_path / "b")
    assert none.returncode == 0, none.stderr
    assert "[threats.unmitigated]" in none.stderr  # still warned

    suppressed = sphinx_build(
        "-b", "dummy", "-D", "suppress_warnings=threats", ROOT, tmp_path / "c"
    )
    assert suppressed.returncode == 0, suppressed.stderr
    assert "threats." not in suppressed.stderr
    data = json.loads((tmp_path / "c" / "threats.json").read_text())
    assert len(data["gaps"]) == len(EXPECTED)
    assert all(g["suppressed"] for g in data["gaps"])


@pytest.mark.slow
def test_warning_as_error_respects_suppression(tmp_path: Path) -> None:
    kinds = ",".join(sorted({k for _, _, k in EXPECTED}))
    suppress = ",".join(f"threats.{k}" for k in kinds.split(","))
    quiet = sphinx_build(
        "-W", "-b", "dummy", "-D", f"suppress_warnings={suppress}", ROOT, tmp_path / "a"
    )
    assert quiet.returncode == 0, quiet.stderr
    # only planned-only left: not in threats_fail_on, but -W turns it into an error
    loud = sphinx_build(
        "-W",
        "-b",
        "dummy",
        "-D",
        f"suppress_warnings={suppress.replace('threats.planned-only,', '')}",
        ROOT,
        tmp_path / "b",
    )
    assert loud.returncode == 1
    assert "[threats.planned-only]" in loud.stderr


@pytest.mark.slow
def test_unchanged_rebuild_fails_again_with_the_same_warnings(tmp_path: Path) -> None:
    out = tmp_path / "out"
    first = sphinx_build("-b", "html", ROOT, out)
    second = sphinx_build("-b", "html", ROOT, out)
    assert first.returncode == second.returncode == 1
    assert "0 added, 0 changed, 0 removed" in second.stdout

    def strip(text: str) -> list[str]:
        return [line for line in text.splitlines() if "[threats." in line]

    assert strip(first.stderr) == strip(second.stderr) != []


@pytest.mark.slow
def test_fail_min_severity_spares_less_severe_threat_gaps(tmp_path: Path) -> None:
    # T-UN is low; T-SG (service gap) critical; M-OV overdue on a high threat.
    run = sphinx_build(
        "-b",
        "dummy",
        "-D",
        "threats_fail_min_severity=high",
        "-D",
        "threats_fail_on=unmitigated,service-gap,overdue-mitigation",
        ROOT,
        tmp_path,
    )
    assert run.returncode == 1
    summary = next(line for line in run.stdout.splitlines() if line.startswith("threat model"))
    assert "1 overdue-mitigation, 1 service-gap" in summary and "unmitigated" not in summary
    run = sphinx_build(
        "-b",
        "dummy",
        "-D",
        "threats_fail_min_severity=high",
        "-D",
        "threats_fail_on=unmitigated",
        ROOT,
        tmp_path / "b",
    )
    assert run.returncode == 0


@pytest.mark.slow
def test_export_path_keeps_json_out_of_the_published_tree(tmp_path: Path) -> None:
    run = sphinx_build(
        "-b",
        "html",
        "-D",
        "threats_fail_on=",
        "-D",
        "threats_export=../private/threats.json",
        ROOT,
        tmp_path / "site",
    )
    assert run.returncode == 0, run.stderr
    assert not (tmp_path / "site" / "threats.json").exists()
    assert json.loads((tmp_path / "private" / "threats.json").read_text())["schema"] == 1
    off = sphinx_build(
        "-b", "html", "-D", "threats_fail_on=", "-D", "threats_export=0", ROOT, tmp_path / "off"
    )
    assert off.returncode == 0
    assert not (tmp_path / "off" / "threats.json").exists()


@pytest.mark.slow
def test_serial_and_parallel_write_identical_json(tmp_path: Path) -> None:
    root = Path(__file__).parent / "roots" / "test-parallel"
    one = sphinx_build("-b", "html", root, tmp_path / "one")
    two = sphinx_build("-j", "2", "-b", "html", root, tmp_path / "two")
    assert one.returncode == two.returncode == 0
    assert (tmp_path / "one" / "threats.json").read_bytes() == (
        tmp_path / "two" / "threats.json"
    ).read_bytes()
    strip = re.compile(r"^\S+/test-parallel/", re.M)
    assert strip.sub("", one.stderr) == strip.sub("", two.stderr)
