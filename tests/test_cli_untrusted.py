"""The command on a ``threats.json`` nobody here wrote (issue 25, items 15-18).

A file from a pull request is data: whatever its strings hold, no format
prints a terminal control sequence, a lone carriage return, a bidi override,
a workflow command or live Markdown; whatever its values' types, the command
ends in one error line and exit 2, never a traceback; the reader accepts
exactly what the shipped JSON Schema accepts.  Every file here is a real
build's ``threats.json`` (``tests/roots/test-cli``), then made hostile.
"""

from __future__ import annotations

import contextlib
import copy
import io
import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sphinx_threats.cli import main
from sphinx_threats.model import Kind
from sphinx_threats.schema.options import OPTIONS, OptionType
from sphinx_threats.threatsfile.read import FormatError, read

from .cli_helpers import build, copy_root, run_cli

#: Slow (every format and wrong type through a real subprocess, two fuzz tests):
#: in CI, out of the fast lane.
pytestmark = pytest.mark.slow

THREATS_SCHEMA = Path(__file__).parent.parent / "sphinx_threats" / "threats.schema.json"

#: What a hostile title or message holds: a screen clear and a window title
#: (ESC), a C1 CSI, a lone carriage return then a workflow command, another on
#: a new line, a bidi override, HTML and Markdown that would break a table.
HOSTILE = (
    "x\x1b[2J\x1b]0;pwned\x07 \x9b31m\r::error file=a.rst::owned\n"
    "  ::add-mask::secret \u202egnp.exe <img src=x onerror=alert(1)> | `a` **b**\r## H"
)

#: Characters no output may carry (``\n`` and ``\t`` are layout).
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The ``threats.json`` of a real build of the shop."""
    tmp = tmp_path_factory.mktemp("untrusted")
    path, _ = build(copy_root("cli", tmp / "src"), tmp / "out")
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _hostile(data: dict[str, Any]) -> dict[str, Any]:
    """``data`` with the hostile text in every string a printer shows: the
    project, titles, severities, gap kinds, messages, files, service names."""
    data = copy.deepcopy(data)
    data["project"] = HOSTILE
    for entries in data["items"].values():
        for entry in entries:
            entry["title"] = HOSTILE
    for threat in data["items"]["threats"]:
        threat["severity"] = HOSTILE
    for gap in data["gaps"]:
        gap["message"] = f"{gap['message']} {HOSTILE}"
        gap["file"] = f"{HOSTILE}.rst"
    data["gaps"][0]["kind"] = HOSTILE
    summary = data["summary"]
    summary["services"] = {f"{HOSTILE} {name}": f for name, f in summary["services"].items()}
    summary["by-severity"] = {HOSTILE: 1, "high": 2}
    return data


def _write(tmp_path: Path, data: Any, name: str = "threats.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def _no_command_lines(text: str) -> None:
    for line in text.splitlines():
        assert not line.lstrip().startswith("::"), line


def test_no_format_prints_what_a_file_tells_it_to(base: dict[str, Any], tmp_path: Path) -> None:
    _write(tmp_path, _hostile(base))
    old = copy.deepcopy(base)
    old["gaps"] = []  # every gap of the hostile file is new
    old["items"]["mitigations"] = [{**m, "status": "verified"} for m in old["items"]["mitigations"]]
    _write(tmp_path, old, "old.json")
    outputs: dict[str, str] = {}
    for fmt in ("text", "markdown", "json", "github"):
        run = run_cli("report", "threats.json", "--format", fmt, "--color", "always", cwd=tmp_path)
        assert run.returncode == 1 and run.stderr == "", (fmt, run.stderr)
        outputs[f"report {fmt}"] = run.stdout
    for fmt in ("text", "markdown", "json"):
        run = run_cli("diff", "old.json", "threats.json", "--format", fmt, cwd=tmp_path)
        assert run.returncode == 1 and run.stderr == "", (fmt, run.stderr)
        outputs[f"diff {fmt}"] = run.stdout
    run = run_cli("sarif", "threats.json", "-o", "-", cwd=tmp_path)
    assert run.returncode == 0 and run.stderr == ""
    outputs["sarif"] = run.stdout
    for name, text in outputs.items():
        # colour codes are the command's own: the only escape sequences left
        plain = re.sub(r"\x1b\[[0-9;]*m", "", text)
        assert UNSAFE.findall(plain) == [], name
        assert "\r" not in text, name
        if name != "report github":
            _no_command_lines(text)
    # text shows the title, neutralised, not acted on
    assert "\\x1b[2J" in outputs["report text"] and "\\u202e" in outputs["report text"]
    # GitHub annotations: one per gap, each a single command of ours
    annotations = outputs["report github"].splitlines()
    assert len(annotations) == len(base["gaps"])
    pattern = re.compile(r"^::(error|warning|notice) file=[^:]+,(line=\d+,)?title=[^:]+::[^\r\n]+$")
    assert all(pattern.match(line) for line in annotations), annotations
    # Markdown: no live HTML, no line begun by the data, tables keep their columns
    for name in ("report markdown", "diff markdown"):
        markdown = outputs[name]
        # what is left outside code spans (paths are shown as code) is escaped
        prose = re.sub(r"(?<!\\)(`+)(?!`).+?(?<!`)\1(?!`)", "", markdown)
        assert "<img" not in prose and "**b**" not in prose and "\n## H" not in markdown, name
        for table in re.findall(r"(?:^\|.*\n)+", markdown, re.MULTILINE):
            rows = table.splitlines()
            cells = {len(re.findall(r"(?<!\\)\|", row)) for row in rows}
            assert len(cells) == 1, rows
    # JSON keeps the data: the same text, with the unsafe characters escaped
    report = json.loads(outputs["report json"])
    assert report["project"] == HOSTILE
    sarif = json.loads(outputs["sarif"])
    assert all(not UNSAFE.search(r["message"]["text"]) for r in sarif["runs"][0]["results"])


def test_markdown_title_with_a_carriage_return(base: dict[str, Any], tmp_path: Path) -> None:
    data = copy.deepcopy(base)
    data["gaps"][0]["message"] = "threat 'T-X' (Reset\r## Injected heading\r| a | b |) is open"
    _write(tmp_path, data)
    run = run_cli("report", "threats.json", "--format", "markdown", cwd=tmp_path)
    assert "\r" not in run.stdout
    assert "(Reset ## Injected heading \\| a \\| b \\|) is open" in run.stdout


# -- values of the wrong type --------------------------------------------------------


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """Set the value at a dotted ``path`` (``[n]`` for list members)."""

    def change(data: dict[str, Any]) -> None:
        parts = re.findall(r"[^.\[\]]+|\[\d+\]", path)
        target: Any = data
        for part in parts[:-1]:
            target = target[int(part[1:-1])] if part.startswith("[") else target[part]
        last = parts[-1]
        if last.startswith("["):
            target[int(last[1:-1])] = value
        else:
            target[last] = value

    return change


def _nested(depth: int) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = [value]
    return value


#: Wrong types where the base had right ones, with what the error names.
WRONG_TYPES: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    ("project object", _set("project", {"a": 1}), "project should be a string"),
    ("title number", _set("items.threats[0].title", 5), "items.threats[0].title should be"),
    ("tags number", _set("items.threats[0].tags", 7), "items.threats[0].tags should be a list"),
    ("category string", _set("items.threats[0].category", 9), "category should be a list"),
    ("severity list", _set("items.threats[0].severity", ["high"]), ".severity should be"),
    ("message object", _set("gaps[0].message", {"m": 1}), "gaps[0].message should be a string"),
    ("lineno string", _set("gaps[0].lineno", "12"), "gaps[0].lineno should be an integer"),
    ("summary threats", _set("summary.threats", "7"), "summary.threats should be an integer"),
    (
        "service figures",
        _set("summary.services.api.covered", {"n": 1}),
        "summary.services.api.covered should be an integer",
    ),
    ("percent string", _set("summary.services.api.percent", "50%"), "percent should be a number"),
    ("counts string", _set("summary.by-status.planned", "2"), "should be an integer"),
    ("status unknown", _set("coverage[0].status", "fine"), "coverage[0].status should be one of"),
    (
        "deep nesting",
        _set("items.threats[0].extra", _nested(200)),
        "is nested deeper than 64 levels",
    ),
    ("deeper nesting", _set("gaps[0].extra", "DEEP"), "is nested deeper than 64 levels"),
]


@pytest.mark.parametrize(
    ("case", "change", "message"), WRONG_TYPES, ids=[c[0] for c in WRONG_TYPES]
)
def test_wrong_types_are_one_error_line(
    base: dict[str, Any],
    tmp_path: Path,
    case: str,
    change: Callable[[dict[str, Any]], None],
    message: str,
) -> None:
    data = copy.deepcopy(base)
    change(data)
    path = tmp_path / "threats.json"
    # json.dumps cannot write 100000 levels: "DEEP" stands for them
    text = json.dumps(data).replace('"DEEP"', "[" * 100_000 + "]" * 100_000)
    path.write_text(text, encoding="utf-8")
    _all_commands_refuse(tmp_path, message)


def _all_commands_refuse(tmp_path: Path, message: str) -> None:
    commands = [
        ["report", "threats.json"],
        ["report", "threats.json", "--format", "github"],
        ["sarif", "threats.json", "-o", "out.sarif"],
        ["diff", "threats.json", "threats.json"],
        ["export", "threat-composer", "threats.json", "-o", "out.tc.json"],
    ]
    for args in commands:
        run = run_cli(*args, cwd=tmp_path)
        assert "Traceback" not in run.stderr, (args, run.stderr[-400:])
        assert (run.returncode, run.stdout) == (2, ""), args
        lines = run.stderr.splitlines()
        assert len(lines) == 1, (args, lines)
        assert lines[0].startswith(f"sphinx-threats {args[0]}: error: threats.json "), lines
        assert message in lines[0], lines


@pytest.mark.parametrize(
    ("literal", "message"),
    [
        ("NaN", "NaN is not a JSON number"),
        ("Infinity", "Infinity is not a JSON number"),
        ("-Infinity", "-Infinity is not a JSON number"),
        ("1e999", "holds a number out of range (1e999)"),
    ],
)
def test_nan_and_infinity_are_not_numbers(
    base: dict[str, Any], tmp_path: Path, literal: str, message: str
) -> None:
    text = json.dumps(base).replace('"percent": ', f'"percent": {literal}, "was": ', 1)
    (tmp_path / "threats.json").write_text(text, encoding="utf-8")
    _all_commands_refuse(tmp_path, message)


# -- the reader and the shipped schema agree -----------------------------------------


def _validator() -> jsonschema.Draft202012Validator:
    schema = json.loads(THREATS_SCHEMA.read_text(encoding="utf-8"))
    return jsonschema.Draft202012Validator(schema)


def _leaves(value: Any, where: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Paths of the scalars and the non-empty lists of scalars: replacing one
    changes a type, never removes a key (the reader's defaults for missing
    keys are the one leniency it has over the schema)."""
    if isinstance(value, dict):
        for key, member in value.items():
            yield from _leaves(member, (*where, key))
    elif isinstance(value, list) and any(isinstance(m, dict | list) for m in value):
        for n, member in enumerate(value):
            yield from _leaves(member, (*where, n))
    elif value != [] and where:
        yield where


def _replace(data: Any, where: tuple[Any, ...], value: Any) -> Any:
    data = copy.deepcopy(data)
    target = data
    for key in where[:-1]:
        target = target[key]
    target[where[-1]] = value
    return data


def _reader_accepts(data: Any) -> bool:
    try:
        read(json.dumps(data).encode())
    except FormatError:
        return False
    return True


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-5, max_value=10**6)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=5)
    | st.sampled_from(["2026-01-01", "mitigated", "planned", "high", "valid", "stale"]),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_the_reader_accepts_what_the_schema_accepts(
    base: dict[str, Any], data: st.DataObject
) -> None:
    validator = _validator()
    assert validator.is_valid(base) and _reader_accepts(base)
    leaves = sorted(_leaves(base), key=repr)
    where = data.draw(st.sampled_from(leaves))
    sample = _replace(base, where, data.draw(json_values))
    assert _reader_accepts(sample) == validator.is_valid(sample), (where, _get(sample, where))


def _get(data: Any, where: tuple[Any, ...]) -> Any:
    for key in where:
        data = data[key]
    return data


def test_every_option_is_typed_by_the_schema_and_the_reader(base: dict[str, Any]) -> None:
    validator = _validator()
    for kind, options in OPTIONS.items():
        for option in options:
            if option.type is OptionType.ID:
                continue
            # no option of any type is a number or an object
            for value in (5, {"a": "b"}):
                sample = copy.deepcopy(base)
                entry = {"id": "X-9", option.name: value}
                sample["items"].setdefault(kind.plural, []).append(entry)
                assert not validator.is_valid(sample), (kind, option.name, value)
                assert not _reader_accepts(sample), (kind, option.name, value)
    assert set(OPTIONS) == set(Kind)


# -- fuzz: whatever the types, one line or a normal result ------------------------------


def _run_in_process(argv: list[str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = main(argv)
    return status, out.getvalue(), err.getvalue()


#: What the fuzz puts in: any JSON value, and NaN and infinities (JSON
#: ``NaN``/``Infinity``, which Python's json reads unless told not to).
fuzz_values = json_values | st.floats() | st.sampled_from([{}, [], {"x": {}}, [[]], -1, 10**30])


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_fuzzed_files_never_end_in_a_traceback(
    base: dict[str, Any], tmp_path: Path, data: st.DataObject
) -> None:
    sample = base
    for _ in range(data.draw(st.integers(1, 6))):
        leaves = sorted(_leaves(sample), key=repr)
        sample = _replace(sample, data.draw(st.sampled_from(leaves)), data.draw(fuzz_values))
    path = tmp_path / "fuzzed.json"
    path.write_text(json.dumps(sample), encoding="utf-8")  # NaN as JSON's NaN
    for argv in (
        [
            "report",
            str(path),
            "--format",
            data.draw(st.sampled_from(["text", "markdown", "json", "github"])),
        ],
        ["diff", str(path), str(path), "--format", "markdown"],
        ["sarif", str(path), "-o", str(tmp_path / "out.sarif")],
        ["export", "threat-composer", str(path), "-o", str(tmp_path / "out.tc.json")],
    ):
        status, _, err = _run_in_process(argv)  # an exception fails the test
        if status == 2:
            lines = err.splitlines()
            assert len(lines) == 1 and lines[0].startswith(f"sphinx-threats {argv[0]}: error:")
        else:
            assert status in (0, 1) and err == "", (argv, err)


# -- export of duplicate IDs ---------------------------------------------------------


def test_export_of_duplicate_ids_keeps_each_item_once(tmp_path: Path) -> None:
    path, _ = build(copy_root("cli-duplicates", tmp_path / "src"), tmp_path / "out")
    data = json.loads(path.read_text(encoding="utf-8"))
    assert [t["id"] for t in data["items"]["threats"]] == ["T-DUP", "T-DUP", "T-OTHER"]
    run = run_cli("export", "threat-composer", str(path), "-o", "model.tc.json", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    workspace = json.loads((tmp_path / "model.tc.json").read_text(encoding="utf-8"))
    for key in ("threats", "mitigations", "assumptions"):
        entries = workspace[key]
        assert len({e["id"] for e in entries}) == len(entries), key
        assert len({e["numericId"] for e in entries}) == len(entries), key
    assert len(workspace["threats"]) == 3 and len(workspace["mitigations"]) == 2
    links = [(link["mitigationId"], link["linkedId"]) for link in workspace["mitigationLinks"]]
    assert len(set(links)) == len(links) == 3  # M-DUP: T-DUP, T-OTHER; its twin: T-DUP
    first_threat = next(
        t["id"] for t in workspace["threats"] if "declared again" not in t["threatAction"]
    )
    assert sum(1 for _, linked in links if linked == first_threat) == 2
    assumption_links = [
        (link["assumptionId"], link["linkedId"]) for link in workspace["assumptionLinks"]
    ]
    assert len(set(assumption_links)) == len(assumption_links) == 2
    # the same file twice: the UUIDs are derived, not random
    again = run_cli("export", "threat-composer", str(path), "-o", "again.tc.json", cwd=tmp_path)
    assert again.returncode == 0
    assert (tmp_path / "again.tc.json").read_text() == (tmp_path / "model.tc.json").read_text()
