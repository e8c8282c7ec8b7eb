"""Fuzz: random titles, IDs, option names and values never crash a build or lose an item.

A seeded generator writes pages of item and report directives whose titles,
IDs, option names and option values are random strings (markup characters,
quotes, non-ASCII letters, digits, control characters, very long runs), in
reStructuredText and MyST. One build per seed must finish, list every item
in ``threats.json`` exactly once, report only ``threats.*`` warnings, and give
the same warnings again on an unchanged rebuild.

``SPHINX_THREATS_FUZZ_RUNS`` sets how many seeds run (default 2).
"""

from __future__ import annotations

import json
import os
import random
import re
from pathlib import Path

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


def text(rng: random.Random, *, myst: bool) -> str:
    """A random one-line string (sometimes long, sometimes empty)."""
    parts = []
    for _ in range(rng.choice((0, 1, 1, 2, 3, 5))):
        if rng.random() < 0.4:
            parts.append(rng.choice(SNIPPETS))
        else:
            parts.append("".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 12))))
    if rng.random() < 0.03:
        parts.append("w" * rng.randint(1_000, 20_000))
    value = LINE_BREAKS.sub(" ", "".join(parts))
    if myst:
        value = value.replace("`", "'")  # a backtick run could close the MyST fence
        value = value.replace("\t", " ")
    return value


def page(rng: random.Random, name: str, myst: bool) -> tuple[str, int]:
    """A page of random directives and how many items it declares."""
    lines = [f"# {name}", ""] if myst else [name, "=" * len(name), ""]
    items = 0
    for _ in range(rng.randint(8, 20)):
        if rng.random() < 0.15:
            kind = rng.choice(REPORTS)
        else:
            kind = rng.choice(KINDS)
            items += 1
        # a title starting with ':' is an option to docutils (``.. threat:: :id: x``)
        title = text(rng, myst=myst).strip().lstrip(":")
        opts = []
        for _ in range(rng.randint(0, 6)):
            opts.append((rng.choice(OPTIONS), text(rng, myst=myst).strip()))
        if kind not in REPORTS and rng.random() < 0.8:
            opts.insert(0, ("id", rng.choice(("T-1", "M-2", "S-1", "A-1", text(rng, myst=myst)))))
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
            lines.append(f"```{{{kind}}} {title}".rstrip())
            lines += [f":{k}: {v}".rstrip() for k, v in opts]
            if rng.random() < 0.5:
                lines += ["", "Body text."] if kind not in REPORTS else []
            lines.append("```")
        else:
            lines.append(f".. {kind}:: {title}".rstrip())
            lines += [f"   :{k}: {v}".rstrip() for k, v in opts]
            if rng.random() < 0.5 and kind not in REPORTS:
                lines += ["", "   Body text."]
        lines.append("")
    return "\n".join(lines), items


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
        'threats_today = "2026-06-01"\nthreats_fail_on = []\n',
        encoding="utf-8",
    )
    (srcdir / "index.rst").write_text(
        "Fuzz\n====\n\n.. toctree::\n   :glob:\n\n   *\n", encoding="utf-8"
    )
    expected = 0
    for n in range(6):
        myst = n % 3 == 2
        source, items = page(rng, f"page{n}", myst)
        (srcdir / f"page{n}{'.md' if myst else '.rst'}").write_text(source, encoding="utf-8")
        expected += items

    runs = []
    for _ in range(2):  # the second build changes nothing
        with built_app(
            "html",
            srcdir=srcdir,
            builddir=tmp_path / "_build",
        ) as app:
            out = re.sub(r"\x1b\[[0-9;]*m", "", app.warning.getvalue())
            data = json.loads(Path(app.outdir, "threats.json").read_text(encoding="utf-8"))
        assert declared_items(data) == expected, f"seed {seed}"
        lines = out.splitlines()
        starts = [
            i for i, line in enumerate(lines) if re.search(r"(WARNING|ERROR|CRITICAL):", line)
        ]
        messages = [
            "\n".join(lines[a:b]) for a, b in zip(starts, [*starts[1:], len(lines)], strict=True)
        ]
        others = [m for m in messages if "[threats." not in m]
        assert others == [], f"seed {seed}"
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
