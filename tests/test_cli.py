"""The ``sphinx-threats`` command on ``threats.json`` files of real builds.

Every test runs the real command in a subprocess (``python -m
sphinx_threats``) on files written by builds of ``tests/roots/test-cli`` (a
shop with an API and a web front end).  The builds are done once per module:

``base``
    the root as it is;
``pr``
    a pull request on it: one mitigation downgraded (M-TOKEN implemented ->
    planned), one removed (M-WEB-ENC), one severity raised (T-REPLAY medium ->
    high), one gap fixed (RA-RESET renewed, so it is no longer expiring);
``moved``
    an unrelated page edited and every item of the API page moved down by
    three lines: nothing changed for the model;
``quiet``
    the root built with ``threats_fail_on = []``.
"""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import jsonschema
import pytest

from sphinx_threats.model import GapKind

from .cli_helpers import GOLDEN, build, check_golden, cli_env, copy_root, edit, run_cli

SARIF_SCHEMA = Path(__file__).parent / "data" / "sarif" / "sarif-schema-2.1.0.json"
THREATS_SCHEMA = Path(__file__).parent.parent / "sphinx_threats" / "threats.schema.json"


#: Real builds and real command subprocesses:
#: left out of the fast lane (``pytest -m "not slow"``).
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> SimpleNamespace:
    """The four builds (see the module docstring)."""
    tmp = tmp_path_factory.mktemp("cli")
    src = copy_root("cli", tmp / "src")
    base, base_status = build(src, tmp / "base")

    pr_src = copy_root("cli", tmp / "pr-src")
    api, web, product = (
        pr_src / "services/api.rst",
        pr_src / "services/web.rst",
        pr_src / "product.rst",
    )
    edit(
        api,
        "   :id: M-TOKEN\n   :mitigates: T-TOKEN\n   :status: implemented\n",
        "   :id: M-TOKEN\n   :mitigates: T-TOKEN\n   :status: planned\n   :due: 2026-12-01\n",
    )
    edit(
        web,
        ".. mitigation:: Encrypted browser storage\n   :id: M-WEB-ENC\n"
        "   :mitigates: T-BREACH\n   :status: implemented\n\n",
        "",
    )
    edit(
        product,
        "   :severity: medium\n   :applies-to: api\n",
        "   :severity: high\n   :applies-to: api\n",
    )
    edit(product, "   :expires: 2026-06-20\n", "   :expires: 2026-12-31\n")
    pr, pr_status = build(pr_src, tmp / "pr")

    moved_src = copy_root("cli", tmp / "moved-src")
    edit(moved_src / "notes.rst", "Nothing about", "Still nothing about")
    edit(moved_src / "services/api.rst", "API\n===\n", "API\n===\n\nThe API serves\nthe shop.\n")
    moved, _ = build(moved_src, tmp / "moved")

    quiet, quiet_status = build(src, tmp / "quiet", confoverrides={"threats_fail_on": []})
    return SimpleNamespace(
        tmp=tmp,
        base=base,
        pr=pr,
        moved=moved,
        quiet=quiet,
        base_status=base_status,
        pr_status=pr_status,
        quiet_status=quiet_status,
    )


def _data(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


# -- threats.json ------------------------------------------------------------------


def test_threats_json_records_what_failed_the_build(shop: SimpleNamespace) -> None:
    base, quiet = _data(shop.base), _data(shop.quiet)
    assert base["fail-on"] == sorted(
        [
            "unmitigated",
            "service-gap",
            "overdue-mitigation",
            "expired-acceptance",
            "failing-evidence",
            "unknown-ref",
            "duplicate-id",
            "invalid",
        ]
    )
    failing = sorted(g["kind"] for g in base["gaps"] if g["fails"])
    assert failing == ["overdue-mitigation", "unknown-ref", "unmitigated"]
    assert shop.base_status == 1
    # suppressed gaps never fail, whatever their kind
    assert all(not g["fails"] for g in base["gaps"] if g["suppressed"])
    assert quiet["fail-on"] == []
    assert not any(g["fails"] for g in quiet["gaps"]) and shop.quiet_status == 0


def test_real_builds_validate_against_the_shipped_schema(
    shop: SimpleNamespace, tmp_path: Path
) -> None:
    schema = json.loads(THREATS_SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    files = [shop.base, shop.pr, shop.moved, shop.quiet]
    for root in ("core", "gaps", "core-myst"):
        files.append(build(copy_root(root, tmp_path / root), tmp_path / f"{root}-out")[0])
    for path in files:
        errors = [
            f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(_data(path))
        ]
        assert errors == [], path
    # the schema is not vacuous: a wrong value is caught
    broken = _data(shop.base)
    broken["gaps"][0]["lineno"] = "8"
    assert not validator.is_valid(broken)


# -- report ------------------------------------------------------------------------


def test_report_text_golden(shop: SimpleNamespace) -> None:
    result = run_cli("report", "threats.json", cwd=shop.base.parent)
    assert result.returncode == 1 and result.stderr == ""
    assert max(len(line) for line in result.stdout.splitlines()) <= 80
    assert "\x1b[" not in result.stdout
    check_golden(GOLDEN / "report.txt", result.stdout)


def test_report_markdown_golden(shop: SimpleNamespace) -> None:
    result = run_cli("report", "threats.json", "--format", "markdown", cwd=shop.base.parent)
    assert result.returncode == 1 and result.stderr == ""
    check_golden(GOLDEN / "report.md", result.stdout)


def test_report_json_matches_the_build(shop: SimpleNamespace) -> None:
    result = run_cli("report", "threats.json", "--format", "json", cwd=shop.base.parent)
    assert result.returncode == 1
    out, data = json.loads(result.stdout), _data(shop.base)
    assert out["project"] == "shop" and out["threats"] == 7
    assert out["by-status"] == {
        "unmitigated": 1,
        "planned": 2,
        "partial": 1,
        "accepted": 1,
        "mitigated": 2,
    }
    assert list(out["by-status"]) == ["unmitigated", "planned", "partial", "accepted", "mitigated"]
    assert list(out["by-severity"]) == ["critical", "high", "medium", "low"]
    # worst first: web owns an unmitigated threat (SPEC "Coverage of a service")
    assert [s["service"] for s in out["services"]] == ["web", "api"]
    assert sorted((g["kind"], g["file"], g["lineno"]) for g in out["gaps"]) == sorted(
        (g["kind"], g["file"], g["lineno"]) for g in data["gaps"]
    )
    assert out["failing"] == sum(g["fails"] for g in data["gaps"]) == 3
    by_kind = {g["kind"]: g for g in out["gaps"]}
    assert by_kind["unmitigated"]["severity"] == "high"
    assert by_kind["unmitigated"]["level"] == "error"
    # the level is what the gap does to the exit status, not its threat's severity
    assert by_kind["overdue-mitigation"]["level"] == "error"  # T-FLOOD is low, but it fails
    assert by_kind["planned-only"]["level"] == "warning"
    assert by_kind["partial-only"]["level"] == "note"  # suppressed
    assert by_kind["unknown-ref"]["level"] == "error" and by_kind["unknown-ref"]["severity"] is None


def test_report_github_annotations(shop: SimpleNamespace) -> None:
    result = run_cli(
        "report", "threats.json", "--format", "github", "--base-dir", "docs", cwd=shop.base.parent
    )
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    data = _data(shop.base)
    assert len(lines) == len(data["gaps"]) == 8
    pattern = re.compile(r"^::(error|warning|notice) file=([^,]+),line=(\d+),title=([^:]+)::(.+)$")
    seen = set()
    for line in lines:
        m = pattern.match(line)
        assert m, line
        seen.add((m[2], int(m[3]), m[1]))
        assert "%2C" not in m[5]  # only properties escape commas
    assert ("docs/services/web.rst", 13, "error") in seen  # unmitigated, high
    assert ("docs/product.rst", 14, "warning") in seen  # planned-only, medium
    assert ("docs/services/api.rst", 33, "error") in seen  # overdue, low, fails the build
    assert ("docs/services/api.rst", 36, "error") in seen  # unknown-ref
    assert "title=Unmitigated threat (threats.unmitigated)::threat 'T-XSS'" in result.stdout
    # suppressed: a notice
    assert [line[:9] for line in lines if "T-COOKIE" in line] == ["::notice "]


@pytest.mark.parametrize(
    ("fail_on", "status"),
    [
        ("", 0),
        ("partial-only", 0),  # the only partial-only gap is suppressed
        ("planned-only", 1),
        ("expiring-acceptance,partial-only", 1),
        ("all", 1),
        ("invalid duplicate-id", 0),
    ],
)
def test_report_fail_on(shop: SimpleNamespace, fail_on: str, status: int) -> None:
    result = run_cli("report", str(shop.quiet), "--fail-on", fail_on, cwd=shop.tmp)
    assert (result.returncode, result.stderr) == (status, "")


def test_report_exit_status_follows_the_build_by_default(shop: SimpleNamespace) -> None:
    for path, build_status in ((shop.base, shop.base_status), (shop.quiet, shop.quiet_status)):
        result = run_cli("report", str(path), cwd=shop.tmp)
        assert result.returncode == build_status
    assert (
        "Gaps: 8 (0 failing, 1 suppressed)"
        in run_cli("report", str(shop.quiet), cwd=shop.tmp).stdout
    )


def _run_in_pty(args: list[str], cwd: Path, **env: str) -> str:
    """Output of the command run with a pseudo-terminal as its standard output."""
    controller, terminal = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "sphinx_threats", *args],
        cwd=cwd,
        stdout=terminal,
        stderr=subprocess.DEVNULL,
        env=cli_env(**env),
    )
    os.close(terminal)
    chunks = []
    while True:
        ready, _, _ = select.select([controller], [], [], 10)
        if not ready:
            break
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the terminal closed
            break
        if not chunk:
            break
        chunks.append(chunk)
    proc.wait(timeout=10)
    os.close(controller)
    return b"".join(chunks).decode()


def test_colour_only_on_a_terminal_and_never_with_no_color(shop: SimpleNamespace) -> None:
    args = ["report", str(shop.base)]
    on_terminal = _run_in_pty(args, shop.tmp)
    assert "\x1b[31;1mFAILS\x1b[0m" in on_terminal
    assert "\x1b[" not in _run_in_pty(args, shop.tmp, NO_COLOR="1")
    assert "\x1b[" not in _run_in_pty([*args, "--color", "never"], shop.tmp)
    assert "\x1b[" not in run_cli(*args, cwd=shop.tmp).stdout  # a pipe
    forced = run_cli(*args, "--color", "always", cwd=shop.tmp).stdout
    assert "\x1b[1mThreat model: shop" in forced
    # colour codes take no columns: without them the text is the plain report
    assert re.sub(r"\x1b\[[0-9;]*m", "", forced) == run_cli(*args, cwd=shop.tmp).stdout


def test_report_imports_no_sphinx(shop: SimpleNamespace) -> None:
    code = (
        "import contextlib, io, sys\n"
        "from sphinx_threats.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()) as out:\n"
        f"    status = main(['report', {str(shop.base)!r}])\n"
        "assert 'Gaps: 8' in out.getvalue(), out.getvalue()\n"
        "loaded = sorted(m for m in sys.modules if m.split('.')[0] in ('sphinx', 'docutils'))\n"
        "print(status, ','.join(loaded))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "1"


def test_console_script_is_the_same_command(shop: SimpleNamespace) -> None:
    script = Path(sys.executable).parent / "sphinx-threats"
    assert script.exists()
    via_script = subprocess.run(
        [str(script), "report", "threats.json"],
        cwd=shop.base.parent,
        capture_output=True,
        text=True,
        env=cli_env(),
        check=False,
    )
    via_module = run_cli("report", "threats.json", cwd=shop.base.parent)
    assert (via_script.returncode, via_script.stdout) == (via_module.returncode, via_module.stdout)


# -- errors and help -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "missing.json: no such file"),
        (
            "{not json",
            "is not valid JSON: Expecting property name enclosed in double quotes at line 1",
        ),
        ("[1, 2]", 'is not a threats.json written by sphinx-threats (no "schema" key)'),
        (
            '{"schema": 2}',
            "has schema version 2; this sphinx-threats reads schema 1 only "
            "(upgrade sphinx-threats to read it)",
        ),
        ('{"schema": "1"}', 'has schema version "1"; this sphinx-threats reads schema 1 only'),
        ('{"schema": 1, "gaps": {}}', "is not a valid threats.json: gaps should be a list"),
        (
            '{"schema": 1, "gaps": [{"kind": "x", "lineno": "3"}]}',
            "gaps[0].lineno should be an integer",
        ),
        (b"\xff\xfe", "is not JSON (not UTF-8 text)"),
    ],
)
def test_bad_input_is_a_clear_usage_error(
    tmp_path: Path, content: str | bytes | None, message: str
) -> None:
    path = tmp_path / ("missing.json" if content is None else "input.json")
    if isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(content, encoding="utf-8")
    commands = [["report", path.name]]
    if content is None:  # every command reads its input the same way
        commands += [["sarif", path.name, "-o", "out.sarif"], ["diff", path.name, path.name]]
    for args in commands:
        result = run_cli(*args, cwd=tmp_path)
        assert result.returncode == 2, args
        assert result.stdout == ""
        assert result.stderr.startswith(f"sphinx-threats {args[0]}: error: {path.name}")
        assert message in result.stderr and "Traceback" not in result.stderr


def test_a_directory_and_an_unwritable_output(shop: SimpleNamespace, tmp_path: Path) -> None:
    result = run_cli("report", str(tmp_path), cwd=tmp_path)
    assert result.returncode == 2 and "is a directory" in result.stderr
    result = run_cli("sarif", str(shop.base), "-o", str(tmp_path / "no" / "x.sarif"), cwd=tmp_path)
    assert result.returncode == 2 and "cannot write" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["report"], "the following arguments are required: FILE"),
        (["report", "x.json", "--format", "xml"], "invalid choice: 'xml'"),
        (
            ["report", "{base}", "--fail-on", "unmitigated,bogus"],
            "--fail-on: unknown value bogus (allowed: unmitigated, service-gap",
        ),
        (["diff", "{base}", "{base}", "--fail-on", "worse"], "--fail-on: unknown value worse"),
        (["sarif", "{base}"], "the following arguments are required: -o/--output"),
        (["sarif", "{base}", "-o", "-", "--base-dir", "/abs"], "--base-dir must be relative"),
        (["report", "{base}", "--base-dir", "../up"], "--base-dir must stay inside"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
    ],
)
def test_bad_arguments_exit_2(shop: SimpleNamespace, args: list[str], message: str) -> None:
    result = run_cli(*[a.replace("{base}", str(shop.base)) for a in args], cwd=shop.tmp)
    assert result.returncode == 2 and message in result.stderr
    assert "Traceback" not in result.stderr


def test_help_of_every_subcommand_has_examples(shop: SimpleNamespace) -> None:
    top = run_cli("--help", cwd=shop.tmp)
    assert top.returncode == 0
    for name in ("report", "diff", "sarif", "import", "export"):
        assert name in top.stdout
    for name in ("report", "diff", "sarif"):
        result = run_cli(name, "--help", cwd=shop.tmp)
        assert result.returncode == 0
        assert f"usage: sphinx-threats {name}" in result.stdout
        assert f"examples:\n  sphinx-threats {name} " in result.stdout
    none = run_cli(cwd=shop.tmp)
    assert none.returncode == 2 and "usage: sphinx-threats" in none.stdout


# -- diff --------------------------------------------------------------------------


#: Every line ``diff base pr`` shows: each edit of the pull request and what follows from it.
DIFF_LINES = [
    "Changes from base/threats.json to pr/threats.json",
    "",
    "Worse (7)",
    "  new gap             service-gap at services/web.rst:4",
    "                      service 'web' is in scope for threat 'T-BREACH' (Customer",
    "                      data leaks from the database) but nothing covers it there:",
    "                      add a mitigation of T-BREACH for web, list a platform",
    "                      control in :relies-on:, or add a risk-acceptance or",
    "                      not-applicable for web",
    "  removed mitigation  M-WEB-ENC (Encrypted browser storage), was implemented,",
    "                      for T-BREACH (services/web.rst:8)",
    "  mitigation down     M-TOKEN (Short-lived tokens): implemented -> planned",
    "                      (services/api.rst:18)",
    "  severity up         T-REPLAY (Replayed payment requests): medium -> high",
    "                      (product.rst:14)",
    "  status worse        T-BREACH at web: mitigated -> unmitigated",
    "                      (services/web.rst:4)",
    "  status worse        T-TOKEN (Stolen API tokens): mitigated -> planned",
    "                      (services/api.rst:13)",
    "  acceptance extended RA-RESET (Reset flow is replaced next quarter): expires",
    "                      2026-06-20 -> 2026-12-31 (product.rst:41)",
    "",
    "Worse, not counted by --fail-on (1)",
    "  new gap             planned-only at services/api.rst:13",
    "                      threat 'T-TOKEN' (Stolen API tokens) has only planned or",
    "                      in-progress mitigations",
    "",
    "Other changes (1)",
    "  resolved gap        expiring-acceptance at product.rst:45",
    "                      risk acceptance 'RA-RESET' expires on 2026-06-20 (within",
    "                      30 days); plan its renewal or the mitigation",
    "",
    "7 changes are worse.",
]


def test_diff_shows_every_change_and_fails(shop: SimpleNamespace) -> None:
    result = run_cli("diff", "base/threats.json", "pr/threats.json", cwd=shop.tmp)
    assert (result.returncode, result.stderr) == (1, "")
    assert result.stdout.splitlines() == DIFF_LINES
    assert max(len(line) for line in DIFF_LINES) <= 80


def test_diff_json_and_markdown(shop: SimpleNamespace) -> None:
    result = run_cli(
        "diff", "base/threats.json", "pr/threats.json", "--format", "json", cwd=shop.tmp
    )
    assert result.returncode == 1
    out = json.loads(result.stdout)
    changes = {(c["change"], tuple(c["ids"]), c["counted"]) for c in out["changes"]}
    assert changes == {
        ("new-gap", ("T-BREACH", "web"), True),
        ("new-gap", ("T-TOKEN",), False),
        ("removed-mitigation", ("M-WEB-ENC",), True),
        ("downgraded-mitigation", ("M-TOKEN",), True),
        ("raised-severity", ("T-REPLAY",), True),
        ("worse-status", ("T-BREACH", "web"), True),
        ("worse-status", ("T-TOKEN",), True),
        ("extended-acceptance", ("RA-RESET",), True),
        ("resolved-gap", ("RA-RESET", "T-RESET"), False),
    }
    assert (out["worse"], out["counted"]) == (8, 7)
    severity = next(c for c in out["changes"] if c["change"] == "raised-severity")
    assert (severity["old"], severity["new"], severity["file"]) == ("medium", "high", "product.rst")
    markdown = run_cli(
        "diff", "base/threats.json", "pr/threats.json", "--format", "markdown", cwd=shop.tmp
    )
    assert markdown.returncode == 1
    check_golden(GOLDEN / "diff.md", markdown.stdout)


def test_reverse_diff_exits_0(shop: SimpleNamespace) -> None:
    result = run_cli("diff", "pr/threats.json", "base/threats.json", cwd=shop.tmp)
    assert (result.returncode, result.stderr) == (0, "")
    out = result.stdout
    assert "\nWorse (" not in out
    # the acceptance's renewal undone: its gap is back, as a warning the build does not fail on
    assert "Worse, not counted by --fail-on (1)\n  new gap             expiring-acceptance" in out
    for line in (
        "new mitigation      M-WEB-ENC",
        "mitigation up       M-TOKEN",
        "severity down       T-REPLAY",
        "status better       T-BREACH at web",
        "resolved gap        service-gap",
    ):
        assert line in out
    assert out.endswith("\nNothing counted got worse.\n")
    # counting every new gap, the renewal undone counts
    strict = run_cli(
        "diff", "pr/threats.json", "base/threats.json", "--fail-on", "new-gap", cwd=shop.tmp
    )
    assert strict.returncode == 1


def test_a_file_diffed_with_itself(shop: SimpleNamespace) -> None:
    result = run_cli("diff", "base/threats.json", "base/threats.json", cwd=shop.tmp)
    assert (result.returncode, result.stdout) == (
        0,
        "Changes from base/threats.json to base/threats.json\n\nNo changes.\n",
    )


def test_a_mitigation_without_effect_is_full(shop: SimpleNamespace, tmp_path: Path) -> None:
    """A file whose mitigations have no ``effect`` (written by hand, or by
    another tool) means the default, full: not a change when diffed with
    itself or with a build, a reduction when the other side is partial."""
    data = _data(shop.base)
    full = [e for e in data["items"]["mitigations"] if e["effect"] == "full"]
    for entry in full:
        del entry["effect"]
    (tmp_path / "no-effect.json").write_text(json.dumps(data), encoding="utf-8")
    full[0]["effect"] = "partial"
    (tmp_path / "partial.json").write_text(json.dumps(data), encoding="utf-8")
    mitigation = full[0]["id"]

    itself = run_cli("diff", "no-effect.json", "no-effect.json", cwd=tmp_path)
    assert (itself.returncode, itself.stdout) == (
        0,
        "Changes from no-effect.json to no-effect.json\n\nNo changes.\n",
    )
    for old, new in ((shop.base, "no-effect.json"), ("no-effect.json", shop.base)):
        result = run_cli("diff", str(old), str(new), cwd=tmp_path)
        assert (result.returncode, result.stdout.endswith("\n\nNo changes.\n")) == (0, True)
    reduced = run_cli("diff", "no-effect.json", "partial.json", "--format", "json", cwd=tmp_path)
    assert reduced.returncode == 1
    (change,) = json.loads(reduced.stdout)["changes"]
    assert (change["change"], change["ids"]) == ("reduced-effect", [mitigation])
    assert (change["old"], change["new"]) == ("full", "partial")
    assert change["text"].endswith(": full -> partial")


def test_moved_items_are_not_changes(shop: SimpleNamespace) -> None:
    before, after = _data(shop.base), _data(shop.moved)

    def lines(data: dict) -> set[tuple[str, int]]:
        return {(g["kind"], g["lineno"]) for g in data["gaps"] if g["file"] == "services/api.rst"}

    assert lines(before) != lines(after)  # the API page's gaps did move
    result = run_cli("diff", str(shop.base), str(shop.moved), cwd=shop.tmp)
    assert result.returncode == 0 and result.stdout.endswith("\n\nNo changes.\n")


@pytest.mark.parametrize(
    ("fail_on", "status"),
    [
        ("raised-severity", 1),
        ("unmitigated", 0),  # the new gaps are a service gap and a planned-only
        ("service-gap", 1),
        ("planned-only", 1),
        ("added-acceptance,reduced-effect", 0),
        ("", 0),
        ("all", 1),
    ],
)
def test_diff_fail_on_picks_the_worsenings(
    shop: SimpleNamespace, fail_on: str, status: int
) -> None:
    result = run_cli("diff", str(shop.base), str(shop.pr), "--fail-on", fail_on, cwd=shop.tmp)
    assert (result.returncode, result.stderr) == (status, "")


# -- sarif -------------------------------------------------------------------------


def _sarif(shop: SimpleNamespace, path: Path, *extra: str) -> dict:
    out = shop.tmp / f"{path.parent.name}.sarif"
    result = run_cli("sarif", str(path), "-o", str(out), "--base-dir", "docs", *extra, cwd=shop.tmp)
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
    return json.loads(out.read_text(encoding="utf-8"))


def test_sarif_validates_against_the_official_schema(shop: SimpleNamespace) -> None:
    log = _sarif(shop, shop.base)
    schema = json.loads(SARIF_SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft4Validator(schema)
    assert [e.message for e in validator.iter_errors(log)] == []
    broken = json.loads(json.dumps(log))
    broken["runs"][0]["results"][0]["level"] = "fatal"
    assert not validator.is_valid(broken)


def test_sarif_rules_and_results(shop: SimpleNamespace) -> None:
    log = _sarif(shop, shop.base)
    run = log["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules][: len(GapKind)] == [f"threats.{k.value}" for k in GapKind]
    for rule in rules:
        kind = rule["id"].removeprefix("threats.")
        assert rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        assert rule["help"]["text"]
        assert rule["helpUri"].endswith(f"/reference/cli.html#gap-{kind}")
    data = _data(shop.base)
    results = run["results"]
    assert len(results) == len(data["gaps"]) == 8
    for result, gap in zip(results, data["gaps"], strict=True):
        location = result["locations"][0]["physicalLocation"]
        assert location["artifactLocation"] == {
            "uri": f"docs/{gap['file']}",
            "uriBaseId": "%SRCROOT%",
        }
        assert location["region"] == {"startLine": gap["lineno"]}
        assert rules[result["ruleIndex"]]["id"] == result["ruleId"] == f"threats.{gap['kind']}"
        assert result["message"]["text"] == gap["message"]
        assert ("suppressions" in result) == gap["suppressed"]
        # as in every format: error when it failed the build, note when suppressed
        expected = "error" if gap["fails"] else "note" if gap["suppressed"] else "warning"
        assert result["level"] == expected, gap
    assert {r["level"] for r in results} == {"error", "warning", "note"}
    suppressed = next(r for r in results if "suppressions" in r)
    assert suppressed["suppressions"] == [
        {"kind": "external", "justification": "suppress_warnings: threats.partial-only"}
    ]
    prints = [r["partialFingerprints"]["sphinxThreatsGap/v1"] for r in results]
    assert len(set(prints)) == len(prints)


def test_sarif_fingerprints_survive_unrelated_changes(shop: SimpleNamespace) -> None:
    def by_print(path: Path) -> dict[str, tuple[str, int]]:
        results = _sarif(shop, path)["runs"][0]["results"]
        return {
            r["partialFingerprints"]["sphinxThreatsGap/v1"]: (
                r["ruleId"],
                r["locations"][0]["physicalLocation"]["region"]["startLine"],
            )
            for r in results
        }

    before, after = by_print(shop.base), by_print(shop.moved)
    assert before.keys() == after.keys()
    moved = [p for p in before if before[p] != after[p]]
    assert len(moved) == 3  # the API page's gaps: same fingerprint, three lines lower
    assert all(after[p][1] == before[p][1] + 3 for p in moved)
    # and a real change is a new fingerprint
    assert by_print(shop.pr).keys() != before.keys()


def test_sarif_to_stdout_and_help_uri_base(shop: SimpleNamespace) -> None:
    result = run_cli(
        "sarif",
        str(shop.base),
        "-o",
        "-",
        "--help-uri-base",
        "https://docs.example/ref.html",
        cwd=shop.tmp,
    )
    assert result.returncode == 0
    rules = json.loads(result.stdout)["runs"][0]["tool"]["driver"]["rules"]
    assert rules[0]["helpUri"] == "https://docs.example/ref.html#gap-unmitigated"


# -- the documentation -----------------------------------------------------------

DOCS = Path(__file__).parent.parent / "docs"


def test_docs_show_real_output(shop: SimpleNamespace) -> None:
    """The snippets the reference and the CI how-to include are this run's output."""
    base_dir = shop.base.parent
    report = run_cli("report", "threats.json", cwd=base_dir)
    github = run_cli(
        "report", "threats.json", "--format", "github", "--base-dir", "docs", cwd=base_dir
    )
    diff = run_cli("diff", "base/threats.json", "pr/threats.json", cwd=shop.tmp)
    results = _sarif(shop, shop.base)["runs"][0]["results"]
    unmitigated = next(r for r in results if r["ruleId"] == "threats.unmitigated")
    snippets = {
        "cli-report.txt": report.stdout,
        "cli-report-github.txt": github.stdout,
        "cli-diff.txt": diff.stdout,
        "cli-sarif-result.json": json.dumps(unmitigated, indent=2) + "\n",
    }
    for name, text in snippets.items():
        check_golden(DOCS / "_includes" / name, text)
    pages = (DOCS / "reference" / "cli.rst").read_text() + (DOCS / "howto" / "ci.rst").read_text()
    for name in snippets:
        assert f".. literalinclude:: /_includes/{name}" in pages
    assert sorted(p.name for p in (DOCS / "_includes").glob("cli-*")) == sorted(snippets)


def test_bench_cli_runs_end_to_end(tmp_path: Path) -> None:
    # no timing asserted here: the figure is bench/cli.py's to print
    bench = Path(__file__).parent.parent / "bench" / "cli.py"
    done = subprocess.run(
        [sys.executable, str(bench), "-S", "3", "-T", "2", "--runs", "1", "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr
    assert re.search(r"^  report +\d+\.\d{3} s$", done.stdout, re.MULTILINE)
    assert (tmp_path / "s3-t2" / "_build" / "threats" / "dummy" / "threats.json").exists()
