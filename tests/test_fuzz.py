"""Fuzz: random titles, IDs, option names and values never crash a build or lose an item.

A seeded generator writes pages of item and report directives whose titles,
IDs, option names and option values are random strings (markup characters,
quotes, non-ASCII letters, digits, control characters, very long runs), in
reStructuredText and MyST, option names and values in any letter case; part
of each page's directives are in a generated file the page includes, and
``rst_prolog`` adds lines before every reStructuredText page. One build per
seed must finish, list every item in ``threats.json`` exactly once at the
exact file and line of its directive, report only ``threats.*`` warnings
(each at a line of a file of the project), and give the same warnings again
on an unchanged rebuild.

``SPHINX_THREATS_FUZZ_RUNS`` sets how many seeds run (default 2).
"""

from __future__ import annotations

import json
import os
import random
import re
from pathlib import Path
from typing import NamedTuple

import pytest

from .helpers import built_app

RUNS = int(os.environ.get("SPHINX_THREATS_FUZZ_RUNS", "2"))

KINDS = ("threat-actor", "service", "threat", "mitigation", "risk-acceptance", "not-applicable")
REPORTS = ("threat-matrix", "threat-coverage", "threat-gaps", "threat-summary")
OPTIONS = (
    "id",
    "tags",
    "description",
    "owner",
    "exposed-to",
    "relies-on",
    "depends-on",
    "category",
    "severity",
    "likelihood",
    "impact",
    "actors",
    "service",
    "applies-to",
    "cwe",
    "capec",
    "mitigates",
    "status",
    "due",
    "effect",
    "verified-by",
    "threats",
    "expires",
    "approved-by",
    "residual-severity",
    "group-by",
    "filter",
    "x",
    "id-",
    "Severity",
)
#: Building blocks of random text: no line breaks (``str.splitlines`` separators),
#: which would change the structure of the page rather than a value.
ALPHABET = (
    "abcXYZ019 -_.,:;!*/\\<>\"'&#%$@[]{}()|=+?~^\t\x00\x01\x1b\x7féÜßπЖ中🙂\u200b\u00a0\ufeff"
)
SNIPPETS = (
    "<script>alert(1)</script>",
    "javascript:alert(1)",
    "2026-02-30",
    "2026-06-01",
    "high",
    "implemented",
    "planned",
    "*",
    "!S-1",
    "T-1",
    "M-1",
    "S-1",
    "[a, b]",
    "- x",
    "``x``",
    "`x`_",
    "|sub|",
    ":threat:`T-1`",
    "..",
    "::",
    "%",
    "{}",
    "99999999999999999999",
)
LINE_BREAKS = re.compile("[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
#: Lines before every reStructuredText page: no item location may move.
RST_PROLOG = ".. |sub| replace:: substituted\n.. |team| replace:: the *team*\n\n"


def cased(rng: random.Random, word: str) -> str:
    """``word`` as a writer may type it: ``Status``, ``SEVERITY``, ``High``."""
    return rng.choice((word, word, word.upper(), word.title(), word.capitalize()))


def text(rng: random.Random, *, myst: bool, long: bool = True) -> str:
    """A random one-line string (sometimes long, unless not ``long``; sometimes empty)."""
    parts = []
    for _ in range(rng.choice((0, 1, 1, 2, 3, 5))):
        if rng.random() < 0.4:
            parts.append(rng.choice(SNIPPETS))
        else:
            parts.append("".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 12))))
    if rng.random() < 0.03:
        # docutils' include refuses a file with a line over 10,000 characters
        parts.append("w" * rng.randint(1_000, 20_000 if long else 9_000))
    value = LINE_BREAKS.sub(" ", "".join(parts))
    if myst:
        value = value.replace("`", "'")  # a backtick run could close the MyST fence
        value = value.replace("\t", " ")
    return value


class Page(NamedTuple):
    """A generated page: its text, and the part file it includes (if any)."""

    text: str
    #: The included part's text (``""``: the page includes nothing).
    part: str
    #: ``(file, line)`` of every item directive, in the page or in the part.
    items: list[tuple[str, int]]


def page(rng: random.Random, name: str, myst: bool, part_file: str = "") -> Page:
    """A page of random directives; with ``part_file``, some of them in a
    file the page includes (after its first directives)."""
    lines = [f"# {name}", ""] if myst else [name, "=" * len(name), ""]
    part: list[str] = []
    page_file = f"{name}{'.md' if myst else '.rst'}"
    items: list[tuple[str, int]] = []
    count = rng.randint(8, 20)
    include_at = rng.randint(0, count) if part_file else -1
    for number in range(count):
        if number == include_at:
            if myst:
                lines += [f"```{{include}} {part_file}", "```", ""]
            else:
                lines += [f".. include:: {part_file}", ""]
        # before the include or after it, in the page, or in the part
        into, file = (part, part_file) if part_file and rng.random() < 0.4 else (lines, page_file)
        long = into is lines
        if rng.random() < 0.15:
            kind = rng.choice(REPORTS)
        else:
            kind = rng.choice(KINDS)
            items.append((file, len(into) + 1))
        # a title starting with ':' is an option to docutils (``.. threat:: :id: x``)
        title = text(rng, myst=myst, long=long).strip().lstrip(":")
        opts = []
        for _ in range(rng.randint(0, 6)):
            value = text(rng, myst=myst, long=long).strip()
            if rng.random() < 0.3:
                value = cased(rng, rng.choice(("high", "implemented", "planned", "spoofing")))
            opts.append((cased(rng, rng.choice(OPTIONS)), value))
        if kind not in REPORTS and rng.random() < 0.8:
            ident = rng.choice(("T-1", "M-2", "S-1", "A-1", text(rng, myst=myst, long=long)))
            opts.insert(0, (cased(rng, "id"), ident))
        if kind in REPORTS:
            title = ""
            # Known bug (test_report_options_parsed_like_item_options): report directives
            # still leave their options to docutils and MyST, which drop the report on a
            # repeated option or a YAML-looking MyST value. Keep those out until fixed.
            seen: set[str] = set()
            opts = [(k, v) for k, v in opts if not (k.lower() in seen or seen.add(k.lower()))]
            if myst:
                opts = [(k, "v" + v.replace("#", "")) for k, v in opts]
        if myst:
            into.append(f"```{{{kind}}} {title}".rstrip())
            into += [f":{k}: {v}".rstrip() for k, v in opts]
            if rng.random() < 0.5:
                into += ["", "Body text."] if kind not in REPORTS else []
            into.append("```")
        else:
            into.append(f".. {kind}:: {title}".rstrip())
            into += [f"   :{k}: {v}".rstrip() for k, v in opts]
            if rng.random() < 0.5 and kind not in REPORTS:
                into += ["", "   Body text."]
        into.append("")
    if include_at == count:
        lines += (
            [f"```{{include}} {part_file}", "```", ""] if myst else [f".. include:: {part_file}"]
        )
    return Page("\n".join(lines), "\n".join(part), items)


def declared_items(data: dict[str, object]) -> int:
    items = data["items"]
    assert isinstance(items, dict)
    return sum(len(entries) for entries in items.values())


@pytest.mark.parametrize("seed", range(RUNS))
def test_random_input_never_breaks_a_build(tmp_path: Path, seed: int) -> None:
    """Finish, lose nothing, warn only as threats.*, and warn the same on a rebuild."""
    rng = random.Random(seed)
    srcdir = tmp_path / "src"
    srcdir.mkdir()
    (srcdir / "conf.py").write_text(
        'project = "fuzz"\nextensions = ["myst_parser", "sphinx_threats"]\n'
        'threats_today = "2026-06-01"\nthreats_fail_on = []\n'
        # the parts are read through their pages only
        'exclude_patterns = ["_build", "*-part.md"]\n'
        f"rst_prolog = {RST_PROLOG!r}\n",
        encoding="utf-8",
    )
    (srcdir / "index.rst").write_text(
        "Fuzz\n====\n\n.. toctree::\n   :glob:\n\n   *\n", encoding="utf-8"
    )
    expected: list[tuple[str, int]] = []
    for n in range(6):
        myst = n % 3 == 2
        part_file = f"page{n}-part.{'md' if myst else 'inc'}" if n % 2 else ""
        generated = page(rng, f"page{n}", myst, part_file)
        (srcdir / f"page{n}{'.md' if myst else '.rst'}").write_text(
            generated.text, encoding="utf-8"
        )
        if part_file:
            (srcdir / part_file).write_text(generated.part, encoding="utf-8")
        expected += generated.items
    lengths = {p.name: len(p.read_text(encoding="utf-8").splitlines()) for p in srcdir.iterdir()}

    runs = []
    for _ in range(2):  # the second build changes nothing
        with built_app(
            "html",
            srcdir=srcdir,
            builddir=tmp_path / "_build",
        ) as app:
            out = re.sub(r"\x1b\[[0-9;]*m", "", app.warning.getvalue())
            data = json.loads(Path(app.outdir, "threats.json").read_text(encoding="utf-8"))
        assert declared_items(data) == len(expected), f"seed {seed}"
        located = [(e["file"], e["lineno"]) for es in data["items"].values() for e in es]
        assert sorted(located) == sorted(expected), f"seed {seed}"
        lines = out.splitlines()
        starts = [
            i for i, line in enumerate(lines) if re.search(r"(WARNING|ERROR|CRITICAL):", line)
        ]
        messages = [
            "\n".join(lines[a:b]) for a, b in zip(starts, [*starts[1:], len(lines)], strict=True)
        ]
        others = [m for m in messages if "[threats." not in m]
        assert others == [], f"seed {seed}"
        for message in messages:
            # at a line of one of the project's files, never of the prolog
            where = re.match(rf"{re.escape(str(srcdir))}/([^:]+):(\d+): ", message)
            assert where, message
            assert 1 <= int(where.group(2)) <= lengths[where.group(1)], message
        runs.append([m for m in messages if "[threats." in m])
    assert runs[0] == runs[1], f"seed {seed}: an unchanged rebuild warns differently"


#: MyST option values a writer may well type, which MyST's YAML reading mangles.
YAML_LOOKING = {
    "double-quote": '"Red team" and blue team',
    "single-quote": "'s-team",
    "pipe": "| owner: security |",
    "greater-than": "> 3 failed logins lock the account",
    "tab": "sec\tteam",
    "comment": "Brute force of PIN #1",
}


@pytest.mark.parametrize("case", sorted(YAML_LOOKING))
def test_myst_option_values_that_look_like_yaml(tmp_path: Path, case: str) -> None:
    """A MyST item keeps its ID and every option whatever one value looks like."""
    srcdir = tmp_path / "src"
    srcdir.mkdir()
    (srcdir / "conf.py").write_text(
        'project = "yaml"\nextensions = ["myst_parser", "sphinx_threats"]\nthreats_fail_on = []\n',
        encoding="utf-8",
    )
    value = YAML_LOOKING[case]
    (srcdir / "index.md").write_text(
        f"# YAML\n\n```{{threat-actor}} An actor\n:id: A-YAML\n:description: {value}\n"
        ":tags: one, two\n```\n",
        encoding="utf-8",
    )
    with built_app(
        "html",
        srcdir=srcdir,
        builddir=tmp_path / "_build",
    ) as app:
        data = json.loads(Path(app.outdir, "threats.json").read_text(encoding="utf-8"))
        warnings = app.warning.getvalue()
    (actor,) = data["items"]["threat-actors"]
    assert actor["id"] == "A-YAML"
    assert actor["tags"] == ["one", "two"]
    assert actor["description"] == value
    assert "myst.directive" not in warnings


def test_report_options_parsed_like_item_options(tmp_path: Path) -> None:
    """Reports survive the option mistakes items survive: repeated, YAML-looking values."""
    srcdir = tmp_path / "src"
    srcdir.mkdir()
    (srcdir / "conf.py").write_text(
        'project = "reports"\nextensions = ["myst_parser", "sphinx_threats"]\n'
        "threats_fail_on = []\n",
        encoding="utf-8",
    )
    (srcdir / "index.rst").write_text(
        "Reports\n=======\n\n.. toctree::\n\n   more\n\n"
        ".. threat-matrix::\n   :tags: a\n   :Tags: b\n",
        encoding="utf-8",
    )
    (srcdir / "more.md").write_text(
        '# More\n\n```{threat-gaps}\n:tags: "quoted\n```\n\n'
        "```{threat-summary}\n:tags: edge #1\n```\n",
        encoding="utf-8",
    )
    with built_app(
        "html",
        srcdir=srcdir,
        builddir=tmp_path / "_build",
    ) as app:
        warnings = app.warning.getvalue()
        pages = {
            name: Path(app.outdir, f"{name}.html").read_text(encoding="utf-8")
            for name in ("index", "more")
        }
    assert "[docutils]" not in warnings and "myst.directive" not in warnings
    assert re.findall(r'class="threats-report ([a-z-]+)', pages["index"]) == ["threat-matrix"]
    assert re.findall(r'class="threats-report ([a-z-]+)', pages["more"]) == [
        "threat-gaps",
        "threat-summary",
    ]
