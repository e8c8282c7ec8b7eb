"""Evidence (``threats_evidence``): JUnit results of a real test run judge
``verified`` mitigations.

The JUnit files are written by real ``pytest --junitxml`` runs of the root's
``checks_evidence.py`` (passing, failing, erroring, skipped, parametrised
tests, and one naming mitigations in its ``mitigates`` property): once in
pytest's default format, once in ``xunit1`` (which writes the ``file``
attribute) with one test that fails only there, so the worst result wins.
Hostile XML (entity expansion, external entities, an external DTD, an
oversized file) is refused with one located warning and nothing read from
outside.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pytest

from sphinx_threats.cli import main as cli_main
from sphinx_threats.evidence import CaseResult, EvidenceFile, Result, merge

from .conftest import ROOTS
from .helpers import all_warnings, built_app, html, serial_and_parallel, threats_json

CHECKS = "checks_evidence.py"
ROOTS_BY_SYNTAX = {"rst": "test-evidence", "myst": "test-evidence-myst"}


def _run_checks(where: Path, junit: Path, *options: str, **env: str) -> None:
    """Run the root's test module with pytest, writing ``junit`` (the run's
    own failures are the point: its exit status is not checked)."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    subprocess.run(
        [
            *(sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:randomly"),
            *("--rootdir", str(where), f"--junitxml={junit}", *options, CHECKS),
        ],
        cwd=where,
        env={**environ, **env},
        capture_output=True,
        check=False,
    )
    assert junit.is_file()


@pytest.fixture(scope="module")
def junit(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The results of two real test runs (default format; ``xunit1`` with
    ``test_flaky`` failing), in a folder of their own."""
    where = tmp_path_factory.mktemp("checks")
    shutil.copy(ROOTS / "test-evidence" / CHECKS, where)
    results = where / "results"
    _run_checks(where, results / "junit.xml")
    _run_checks(where, results / "junit-xunit1.xml", "-o", "junit_family=xunit1", EVIDENCE_RUN="2")
    return results


def _project(syntax: str, tmp_path: Path, junit: Path) -> Path:
    src = tmp_path / syntax
    shutil.copytree(ROOTS / ROOTS_BY_SYNTAX[syntax], src)
    for result in junit.glob("*.xml"):
        shutil.copy(result, src / "results")
    return src


_EVIDENCE_KINDS = ("failing-evidence", "missing-evidence", "invalid")


def _evidence_warnings(app: Any) -> list[tuple[str, int, str]]:
    """(file, line, subtype) of the evidence gaps and invalid warnings, with
    the file relative to the source directory."""
    found = []
    for line in all_warnings(app):
        match = re.match(r"(.*?):(\d+): WARNING: .* \[threats\.([a-z-]+)\]$", line)
        if match and match.group(3) in _EVIDENCE_KINDS:
            file = os.path.relpath(match.group(1), app.srcdir)
            found.append((file, int(match.group(2)), match.group(3)))
    return found


#: The line of each mitigation's ``:verified-by:`` in each root.
VERIFIED_BY_LINE = {
    "rst": {"M-FAIL": 20, "M-ERR": 26, "M-SKIP": 32, "M-ABSENT": 38, "M-FLAKY": 52, "M-AMB": 76},
    "myst": {"M-FAIL": 24, "M-ERR": 31, "M-SKIP": 38, "M-ABSENT": 45, "M-FLAKY": 61, "M-AMB": 89},
}


def _tests(*pairs: tuple[str, str]) -> list[dict[str, str]]:
    return [{"test": test, "result": result} for test, result in pairs]


#: What threats.json records per mitigation (the same in both roots).
EXPECTED_EVIDENCE: dict[str, dict[str, Any] | None] = {
    "M-PASS": {
        "result": "passed",
        "counts-as": "verified",
        "tests": _tests(
            ("checks_evidence.py::test_passes", "passed"),
            # its mitigates property names M-PASS too
            ("checks_evidence.test_tagged", "passed"),
        ),
    },
    "M-FAIL": {
        "result": "failing",
        "counts-as": "implemented",
        "tests": _tests(("checks_evidence.py::test_fails", "failed")),
    },
    "M-ERR": {
        "result": "failing",
        "counts-as": "implemented",
        "tests": _tests(("checks_evidence.test_errors", "error")),
    },
    "M-SKIP": {
        "result": "missing",
        "counts-as": "implemented",
        "tests": _tests(("checks_evidence.py::test_skipped", "skipped")),
    },
    "M-ABSENT": {
        "result": "missing",
        "counts-as": "implemented",
        "tests": _tests(("checks_evidence.py::test_never_written", "absent")),
    },
    "M-PARAM": {
        "result": "passed",
        "counts-as": "verified",
        "tests": _tests(  # sorted by test
            ("checks_evidence.TestTls.test_version[1.2]", "passed"),
            ("checks_evidence.py::TestTls::test_version", "passed"),
            ("checks_evidence.py::TestTls::test_version[1.3]", "passed"),
        ),
    },
    # passed in the first run, failed in the second: the worst result wins
    "M-FLAKY": {
        "result": "failing",
        "counts-as": "implemented",
        "tests": _tests(("checks_evidence.py::test_flaky", "failed")),
    },
    "M-PROP": {
        "result": "passed",
        "counts-as": "verified",
        "tests": _tests(("checks_evidence.test_tagged", "passed")),
    },
    # not verified: its results are shown, and it is no gap
    "M-IMPL": {
        "result": "failing",
        "counts-as": "implemented",
        "tests": _tests(("checks_evidence.py::test_fails", "failed")),
    },
    # free text and URLs are never judged; an ambiguous name judges nothing
    "M-TEXT": None,
    "M-AMB": None,
    "M-OTHER": None,
}


def _mitigation_block(page: str, ident: str) -> str:
    """The HTML of one mitigation's block (up to the next item's anchor)."""
    start = page.index(f'id="{ident}"')
    end = page.find('id="M-', start + 1)
    return page[start : end if end > 0 else len(page)]


@pytest.mark.parametrize("syntax", ["rst", "myst"])
def test_test_results_judge_verified_mitigations(
    tmp_path: Path, junit: Path, syntax: str, capsys: pytest.CaptureFixture[str]
) -> None:
    src = _project(syntax, tmp_path, junit)
    page = f"product.{'rst' if syntax == 'rst' else 'md'}"
    with built_app("html", srcdir=src) as app:
        warnings = _evidence_warnings(app)
        data = threats_json(app)
        product, matrix = html(app, "product"), html(app, "matrix")
        status = app.statuscode
        exported = Path(app.outdir, "threats.json")
    line = VERIFIED_BY_LINE[syntax]
    assert sorted(warnings) == sorted(
        [
            (page, line["M-FAIL"], "failing-evidence"),
            (page, line["M-ERR"], "failing-evidence"),
            (page, line["M-SKIP"], "missing-evidence"),
            (page, line["M-ABSENT"], "missing-evidence"),
            (page, line["M-FLAKY"], "failing-evidence"),
            (page, line["M-AMB"], "invalid"),  # suite.Checks.test_login names two tests
        ]
    )
    # failing evidence fails the build by default; missing evidence only warns
    assert status == 1
    fails = {(g["kind"], g["ids"][0]): g["fails"] for g in data["gaps"]}
    assert fails[("failing-evidence", "M-FAIL")] is True
    assert fails[("missing-evidence", "M-SKIP")] is False
    assert "failing-evidence" in data["fail-on"]
    mitigations = {m["id"]: m for m in data["items"]["mitigations"]}
    assert {i: m.get("evidence") for i, m in mitigations.items()} == EXPECTED_EVIDENCE
    assert mitigations["M-FAIL"]["status"] == "verified"  # as declared
    # counted as implemented, a failing control still mitigates
    threats = {t["id"]: t for t in data["items"]["threats"]}
    assert threats["T-1"]["status"] == "mitigated"

    passing = _mitigation_block(product, "M-PASS")
    assert "verified, 2 tests passed" in passing
    assert "verified, 3 tests passed" in _mitigation_block(product, "M-PARAM")
    assert "test:checks_evidence.py::test_passes" in passing
    assert "test:checks_evidence.test_tagged" in passing
    assert 'threats-evidence-passed">passed<' in passing
    assert 'href="https://example.org/audit/1"' in passing
    assert "Audit 2026, by the security team" in passing
    failing = _mitigation_block(product, "M-FAIL")
    assert "implemented, 1 of 1 test failing" in failing
    assert 'threats-evidence-failed">failed<' in failing
    assert 'threats-evidence-absent">absent<' in _mitigation_block(product, "M-ABSENT")
    assert 'threats-evidence-skipped">skipped<' in _mitigation_block(product, "M-SKIP")
    assert 'threats-evidence-error">error<' in _mitigation_block(product, "M-ERR")
    text = _mitigation_block(product, "M-TEXT")
    assert "Pen test report, 2026" in text and 'href="https://example.org/pentest"' in text
    assert "threats-evidence-" not in text
    # the matrix marks each mitigation with what its tests say
    assert "verified, 2 tests passed" in matrix
    assert "implemented, 1 of 1 test failing" in matrix
    assert "implemented, 1 of 1 test missing" in matrix
    # what the test run wrote beyond results is not shown
    assert "the control regressed" not in product + matrix

    # the command names the new kinds, and fails where the build did
    assert cli_main(["report", str(exported)]) == 1
    report = capsys.readouterr().out
    assert "failing-evidence: 3" in report and "missing-evidence: 2" in report
    sarif = tmp_path / "out.sarif"
    assert cli_main(["sarif", str(exported), "-o", str(sarif)]) == 0
    rules = {
        r["id"]: r for r in json.loads(sarif.read_text())["runs"][0]["tool"]["driver"]["rules"]
    }
    assert rules["threats.failing-evidence"]["shortDescription"]["text"] == (
        "Verified mitigation whose test fails"
    )
    assert rules["threats.missing-evidence"]["shortDescription"]["text"] == (
        "Verified mitigation whose test did not run"
    )


def test_without_threats_evidence_test_entries_are_shown_as_written(
    tmp_path: Path, junit: Path
) -> None:
    src = _project("rst", tmp_path, junit)
    with built_app("html", srcdir=src, confoverrides={"threats_evidence": []}) as app:
        warnings = _evidence_warnings(app)
        data = threats_json(app)
        product = html(app, "product")
    assert warnings == []
    assert all("evidence" not in m for m in data["items"]["mitigations"])
    failing = _mitigation_block(product, "M-FAIL")
    assert "test:checks_evidence.py::test_fails" in failing
    assert "threats-evidence-" not in failing and "failing" not in failing
    passing = _mitigation_block(product, "M-PASS")
    # one entry per line: the URL on its own line is a link
    assert 'href="https://example.org/audit/1"' in passing
    assert "test:checks_evidence.py::test_passes" in passing


@pytest.mark.parametrize(
    ("patterns", "judged"),
    [(["results/*.xml", "nightly/*.xml"], True), (["nightly/*.xml"], False)],
    ids=["one-unmatched", "none-matched"],
)
def test_a_pattern_matching_no_file_is_one_invalid_and_judges_nothing(
    tmp_path: Path, junit: Path, patterns: list[str], judged: bool
) -> None:
    src = _project("rst", tmp_path, junit)
    with built_app("html", srcdir=src, confoverrides={"threats_evidence": patterns}) as app:
        warnings = _evidence_warnings(app)
        messages = [w for w in all_warnings(app) if "nightly" in w]
    assert [w for w in warnings if w[0] == "conf.py"] == [("conf.py", 3, "invalid")]
    assert len(messages) == 1 and "matches no file" in messages[0]
    kinds = {kind for _, _, kind in warnings}
    # the files that exist still judge; with none, no test is called missing
    assert ("failing-evidence" in kinds) is judged
    assert ("missing-evidence" in kinds) is judged


# -- hostile XML ---------------------------------------------------------------------------

SECRET = "TOPSECRET-2f6c1e"

_LAUGHS = "".join(f'<!ENTITY lol{n} "{("&lol" + str(n - 1) + ";") * 10}">' for n in range(1, 10))
HOSTILE = {
    "billion-laughs": (
        '<?xml version="1.0"?>\n'
        f'<!DOCTYPE lolz [<!ENTITY lol0 "lol">{_LAUGHS}]>\n'
        '<testsuite><testcase classname="c" name="test_a">&lol9;</testcase></testsuite>\n'
    ),
    "external-entity": (
        '<?xml version="1.0"?>\n'
        '<!DOCTYPE t [<!ENTITY secret SYSTEM "file://{secret}">]>\n'
        '<testsuite><testcase classname="c" name="test_a">'
        "<system-out>&secret;</system-out></testcase></testsuite>\n"
    ),
    "external-dtd": (
        '<?xml version="1.0"?>\n'
        '<!DOCTYPE testsuite SYSTEM "file://{secret}">\n'
        '<testsuite><testcase classname="c" name="test_a"/></testsuite>\n'
    ),
    "oversized": (
        '<?xml version="1.0"?>\n<testsuite><testcase classname="c" name="test_a"/>'
        f"<!-- {'x' * (5 * 1024 * 1024)} --></testsuite>\n"
    ),
}


@pytest.mark.parametrize("hostile", list(HOSTILE))
def test_hostile_xml_is_refused_with_one_located_warning(tmp_path: Path, hostile: str) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET, encoding="utf-8")
    src = tmp_path / "src"
    src.mkdir()
    (src / "conf.py").write_text(
        'extensions = ["sphinx_threats"]\nthreats_today = "2026-06-01"\n'
        'threats_evidence = ["evidence.xml"]\n',
        encoding="utf-8",
    )
    (src / "evidence.xml").write_text(
        HOSTILE[hostile].replace("{secret}", secret.as_posix()), encoding="utf-8"
    )
    (src / "index.rst").write_text(
        "Index\n=====\n\n.. threat:: T\n   :id: T-1\n   :severity: low\n\n"
        ".. mitigation:: M\n   :id: M-1\n   :mitigates: T-1\n   :status: verified\n"
        "   :verified-by: test:c.test_a\n",
        encoding="utf-8",
    )
    with built_app("html", srcdir=src) as app:
        warnings = all_warnings(app)
        outputs = [p.read_text(encoding="utf-8") for p in Path(app.outdir).glob("*.html")]
        exported = Path(app.outdir, "threats.json").read_text(encoding="utf-8")
    [warning] = warnings
    assert warning.startswith(f"{src / 'evidence.xml'}:1: WARNING: the evidence file ")
    assert warning.endswith("[threats.invalid]")
    assert "refused" in warning or "limit" in warning
    # nothing was read from it, nor from outside: no test judged, no secret anywhere
    assert '"evidence"' not in exported
    assert all(SECRET not in text for text in [*outputs, exported, warning])


# -- merging ----------------------------------------------------------------------------------


def test_a_tests_worst_result_wins_across_files() -> None:
    def file(*results: Result) -> EvidenceFile:
        cases = tuple(CaseResult("m", f"test_{i}", "", r) for i, r in enumerate(results))
        return EvidenceFile("f.xml", "x", cases, ())

    R = Result
    merged = merge(
        [
            file(R.PASSED, R.SKIPPED, R.FAILED, R.ERROR, R.PASSED),
            file(R.ERROR, R.FAILED, R.SKIPPED, R.PASSED, R.SKIPPED),
        ]
    )
    assert [c.result for c in merged.cases] == [R.ERROR, R.FAILED, R.FAILED, R.ERROR, R.SKIPPED]


# -- parallel and incremental -----------------------------------------------------------------


@pytest.mark.slow
def test_parallel_build_equals_serial(tmp_path: Path, junit: Path) -> None:
    src = _project("rst", tmp_path, junit)
    with (src / "conf.py").open("a", encoding="utf-8") as conf:
        conf.write("threats_fail_on = []\n")  # sphinx-build must exit 0 here
    serial, parallel = serial_and_parallel(src, tmp_path)
    assert serial == parallel
    assert b'"evidence"' in serial["threats.json"]


def _mtimes(out: Path) -> dict[str, int]:
    # Sphinx writes the index and search pages on every build
    pages = [p for p in out.glob("*.html") if p.name not in ("genindex.html", "search.html")]
    return {p.name: p.stat().st_mtime_ns for p in pages}


def _pass_test(results: Path, name: str) -> None:
    """Edit the results as if ``name`` had passed in every run."""
    for path in results.glob("*.xml"):
        tree = ElementTree.parse(path)  # our own test run's file
        for case in tree.iter("testcase"):
            if case.get("name") == name:
                for child in list(case):
                    if child.tag == "failure":
                        case.remove(child)
        tree.write(path, encoding="utf-8", xml_declaration=True)


def test_a_changed_evidence_file_rewrites_only_the_pages_showing_it(
    tmp_path: Path, junit: Path
) -> None:
    src = _project("rst", tmp_path, junit)
    out = tmp_path / "out"
    with built_app("html", srcdir=src, builddir=out):
        pass
    pages = out / "html"
    before = _mtimes(pages)
    with built_app("html", srcdir=src, builddir=out) as app:
        unchanged = _evidence_warnings(app)
    assert _mtimes(pages) == before  # unchanged results rewrite nothing
    assert ("product.rst", 20, "failing-evidence") in unchanged  # and still report

    _pass_test(src / "results", "test_fails")
    with built_app("html", srcdir=src, builddir=out) as app:
        warnings = _evidence_warnings(app)
        product, matrix = html(app, "product"), html(app, "matrix")
        data = threats_json(app)
    after = _mtimes(pages)
    rewritten = {name for name in after if after[name] != before[name]}
    # the pages showing the results; Sphinx itself rewrites the page whose
    # toctree holds a rewritten page (index), and never other.html
    assert rewritten - {"index.html"} == {"product.html", "matrix.html"}
    assert ("product.rst", 20, "failing-evidence") not in warnings
    assert "verified, 1 test passed" in _mitigation_block(product, "M-FAIL")
    assert "implemented, 1 test passed" in _mitigation_block(product, "M-IMPL")
    assert "implemented, 1 of 1 test failing" in matrix  # M-ERR and M-FLAKY still fail
    mitigations = {m["id"]: m for m in data["items"]["mitigations"]}
    assert mitigations["M-FAIL"]["evidence"]["result"] == "passed"
