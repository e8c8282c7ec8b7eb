"""Configuration values in the report: a conf.py problem is a gap like any
other, located at ``conf.py`` relative to the source directory, and
enumerated values match case-insensitively.

SPEC, Configuration: "Enumerated values (gap kinds, severities) match
case-insensitively. A value of the wrong type or shape is an ``invalid``
warning at conf.py naming the value, and the default is used; in a list, only
the bad entries are dropped, each with 'did you mean'."  Outputs: "Paths in it
are relative to the source directory (conf.py is ``conf.py``)".
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from .cli_helpers import ROOTS, cli_env, run_cli
from .helpers import all_warnings, built_app, html, threat_warnings, threats_json

ROOT = ROOTS / "test-config-values"


def conf_line(conf: Path, name: str) -> int:
    """The line of ``conf`` that assigns ``name``."""
    lines = conf.read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(lines, 1) if line.startswith(f"{name} ="))


FAIL_ON_LINE = conf_line(ROOT / "conf.py", "threats_fail_on")
DAYS_LINE = conf_line(ROOT / "conf.py", "threats_expiry_notice_days")
CATALOGS_LINE = conf_line(ROOT / "conf.py", "threats_catalogs")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The root built to HTML once."""
    base = tmp_path_factory.mktemp("values")
    srcdir = base / "src"
    shutil.copytree(ROOT, srcdir)
    with built_app("html", srcdir=srcdir, builddir=base / "_build") as app:
        yield app


def conf_gaps(data: dict[str, Any]) -> list[tuple[str, int, str, bool]]:
    """``(file, line, message start, fails)`` of the gaps located at a conf.py."""
    return [
        (g["file"], g["lineno"], g["message"].split(":")[0].split(" ")[0], g["fails"])
        for g in data["gaps"]
        if g["file"].endswith("conf.py")
    ]


def test_conf_problems_are_gaps_exactly_once(built: Any) -> None:
    """Each conf.py problem is one warning at the real conf.py, one gap in
    threats.json (at ``conf.py``, failing: ``Invalid`` is in threats_fail_on)
    and one row of the threat-gaps page."""
    conf = Path(built.srcdir, "conf.py")
    located = [(file, line) for file, line, kind in threat_warnings(built) if kind == "invalid"]
    lines = [FAIL_ON_LINE, DAYS_LINE, CATALOGS_LINE]
    assert located == [("conf.py", line) for line in lines]
    # the warning names the real file, absolute, as Sphinx's own warnings do
    assert sum(f"{conf}:{DAYS_LINE}: WARNING" in w for w in all_warnings(built)) == 1
    assert conf_gaps(threats_json(built)) == [
        ("conf.py", FAIL_ON_LINE, "threats_fail_on", True),
        ("conf.py", DAYS_LINE, "threats_expiry_notice_days", True),
        ("conf.py", CATALOGS_LINE, "threats_catalogs", True),
    ]
    page = html(built, "index")
    for line in lines:
        assert page.count(f"conf.py:{line}") == 1
    assert "threats_expiry_notice_days must be a whole number" in page
    assert built.statuscode == 1


def test_no_absolute_path_is_published(built: Any) -> None:
    """Neither threats.json nor the threat-gaps page names the checkout."""
    for text in (
        Path(built.outdir, "threats.json").read_text(encoding="utf-8"),
        html(built, "index"),
    ):
        assert str(built.srcdir) not in text
        assert str(Path(built.srcdir).parent) not in text


def test_threats_json_is_the_same_bytes_wherever_the_project_is(tmp_path: Path) -> None:
    """Two checkouts at different paths write identical threats.json bytes."""
    written = []
    for where in (tmp_path / "a", tmp_path / "some" / "deeper" / "checkout"):
        shutil.copytree(ROOT, where / "src")
        with built_app("dummy", srcdir=where / "src", builddir=where / "_build") as app:
            written.append(Path(app.outdir, "threats.json").read_bytes())
    assert written[0] == written[1]
    assert b"conf.py" in written[0]


def test_one_bad_entry_is_left_out_with_did_you_mean(built: Any) -> None:
    """``servce-gap`` is dropped, with a suggestion; the other kinds stay
    (matched case-insensitively, in the canonical spelling)."""
    assert built.config.threats_fail_on == ["unmitigated", "invalid"]
    data = threats_json(built)
    message = next(g["message"] for g in data["gaps"] if g["lineno"] == FAIL_ON_LINE)
    assert message.startswith("threats_fail_on: 'servce-gap' is not a gap kind (allowed: ")
    assert message.endswith("; did you mean 'service-gap'? (this entry is left out)")


def test_enumerated_values_match_case_insensitively(built: Any) -> None:
    """``"High"`` is the configured ``high``: no warning, and it grades the gaps
    (T-2, rated ``medium`` by the matrix written in other cases, warns but does
    not fail)."""
    config = built.config
    assert config.threats_fail_min_severity == "high"
    assert config.threats_risk_matrix == {"high": {"low": "medium"}}
    assert not [m for m in all_warnings(built) if "threats_fail_min_severity" in m]
    assert not [m for m in all_warnings(built) if "threats_risk_matrix" in m]
    data = threats_json(built)
    t2 = next(t for t in data["items"]["threats"] if t["id"] == "T-2")
    assert t2["severity"] == "medium"
    unmitigated = [g for g in data["gaps"] if g["kind"] == "unmitigated"]
    assert [(g["ids"], g["fails"]) for g in unmitigated] == [(["T-2"], False)]


def test_values_keep_the_configured_spelling(tmp_path: Path) -> None:
    """Severities configured as ``High`` stay ``High``; ``-D
    threats_fail_min_severity=high`` is that severity."""
    shutil.copytree(ROOT, tmp_path / "src")
    overrides = {
        "threats_severities": "Critical,High,Medium,Low",
        "threats_fail_min_severity": "HIGH",
    }
    with built_app(
        "dummy", srcdir=tmp_path / "src", builddir=tmp_path / "_build", confoverrides=overrides
    ) as app:
        assert app.config.threats_severities == ["Critical", "High", "Medium", "Low"]
        assert app.config.threats_fail_min_severity == "High"
        assert app.config.threats_risk_matrix == {"high": {"low": "Medium"}}
        assert not [m for m in all_warnings(app) if "threats_fail_min_severity" in m]


def test_a_fixed_value_leaves_the_report_on_the_next_build(tmp_path: Path) -> None:
    """A value whose rebuild kind re-reads nothing: fixing it still rewrites the
    threat-gaps page and threats.json (the analysis runs on every build)."""
    src = tmp_path / "src"
    shutil.copytree(ROOT, src)
    with built_app("html", srcdir=src, builddir=tmp_path / "_build") as app:
        assert f"conf.py:{DAYS_LINE}" in html(app, "index")
    conf = src / "conf.py"
    text = conf.read_text(encoding="utf-8")
    conf.write_text(text.replace('notice_days = "soon"', "notice_days = 7"), encoding="utf-8")
    with built_app("html", srcdir=src, builddir=tmp_path / "_build", freshenv=False) as app:
        assert app.config.threats_expiry_notice_days == 7
        assert f"conf.py:{DAYS_LINE}" not in html(app, "index")
        lines = [line for _, line, _, _ in conf_gaps(threats_json(app))]
        assert lines == [FAIL_ON_LINE, CATALOGS_LINE]


def sphinx_build(src: Path, out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    """``sphinx-build -b dummy`` in a subprocess, its warnings uncoloured
    (Sphinx colours them when ``CI`` is set, as in CI)."""
    return subprocess.run(
        [sys.executable, "-m", "sphinx", "-q", "-b", "dummy", *extra, str(src), str(out)],
        capture_output=True,
        text=True,
        env=cli_env(NO_COLOR="1"),
        check=False,
    )


@pytest.mark.slow
def test_the_command_reports_a_bad_value(tmp_path: Path) -> None:
    """A bad value alone fails ``sphinx-build``, and ``sphinx-threats report``
    says so (exit 1) at ``conf.py``, as SARIF does; with ``-c``, conf.py is
    named relative to the source directory, and the warning names the real file."""
    src = tmp_path / "docs"
    shutil.copytree(ROOTS / "test-config-input", src)
    conf = src / "conf.py"
    with conf.open("a", encoding="utf-8") as out:
        out.write('threats_today = "2026-02-30"\n')
    line = conf_line(conf, "threats_today")

    build = sphinx_build(src, tmp_path / "out")
    assert build.returncode == 1, build.stderr
    assert f"{conf}:{line}: WARNING: threats_today must be an ISO date" in build.stderr
    written = str(tmp_path / "out" / "threats.json")
    report = run_cli("report", written, cwd=tmp_path)
    assert report.returncode == 1, report.stdout + report.stderr
    assert f"conf.py:{line}" in report.stdout
    assert "threats_today must be an ISO date" in report.stdout
    sarif = run_cli("sarif", written, "-o", str(tmp_path / "out.sarif"), cwd=tmp_path)
    assert sarif.returncode == 0, sarif.stderr
    results = json.loads((tmp_path / "out.sarif").read_text(encoding="utf-8"))["runs"][0]["results"]
    [where] = [r["locations"][0]["physicalLocation"] for r in results]
    assert where["artifactLocation"]["uri"] == "conf.py"
    assert where["region"] == {"startLine": line}
    assert str(tmp_path) not in (tmp_path / "out" / "threats.json").read_text(encoding="utf-8")

    # -c: conf.py outside the source directory
    confdir = tmp_path / "settings"
    confdir.mkdir()
    shutil.move(conf, confdir / "conf.py")
    build = sphinx_build(src, tmp_path / "out-c", "-c", str(confdir))
    assert build.returncode == 1, build.stderr
    assert re.search(rf"^{re.escape(str(confdir / 'conf.py'))}:{line}: WARNING", build.stderr, re.M)
    data = json.loads((tmp_path / "out-c" / "threats.json").read_text(encoding="utf-8"))
    assert [(g["file"], g["lineno"]) for g in data["gaps"]] == [("../settings/conf.py", line)]
