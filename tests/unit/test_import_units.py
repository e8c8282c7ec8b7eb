"""The import's pure parts: escaping, IDs, Markdown defusing, no Sphinx."""

from __future__ import annotations

import subprocess
import sys

import pytest

from sphinx_threats.importers import FORMATS
from sphinx_threats.importers.markup import (
    fence_for,
    myst_text,
    rst_text,
    safe_markdown,
)
from sphinx_threats.importers.model import IdAllocator, slug, tag_text
from sphinx_threats.schema.options import ID_RE


@pytest.mark.parametrize(
    "module",
    [
        "sphinx_threats.importers.writers",
        "sphinx_threats.exporters.threat_composer",
        "sphinx_threats.cli.import_model",
        "sphinx_threats.cli.export_cmd",
        *(type(source).__module__ for source in FORMATS.values()),
    ],
)
def test_import_and_export_load_no_sphinx(module: str) -> None:
    code = (
        f"import sys, {module}\n"
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('sphinx', 'docutils'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (".. raw:: html", ["\\.. raw\\:\\: html"]),
        ("- not a bullet", ["\\- not a bullet"]),
        ("1. not a list", ["\\1. not a list"]),
        (":id: X", ["\\:id: X"]),
        ("*em* `code` |sub| x_", ["\\*em\\* \\`code\\` \\|sub\\| x\\_"]),
        ("see https://example.com/a_b.", ["see https://example.com/a_b."]),
        ("javascript:alert(1)", ["javascript\\:alert(1)"]),
        ("one\n\n\n  two  ", ["one", "", "two"]),
    ],
)
def test_rst_text_is_never_markup(text: str, expected: list[str]) -> None:
    assert rst_text(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("# not a heading", ["\\# not a heading"]),
        ("1. not a list", ["1\\. not a list"]),
        ("<b>x</b> *y*", ["\\<b\\>x\\</b\\> \\*y\\*"]),
        ("{raw}`x`", ["\\{raw}\\`x\\`"]),
        ("(label)=", ["\\(label)="]),
        ("go https://example.com now", ["go <https://example.com> now"]),
    ],
)
def test_myst_text_is_never_markup(text: str, expected: list[str]) -> None:
    assert myst_text(text) == expected


def test_fence_is_longer_than_any_run() -> None:
    assert fence_for("no ticks") == "```"
    assert fence_for("a ```` b") == "`````"
    assert fence_for("~~~~~", "~") == "~~~~~~"


def test_markdown_headings_nest_and_directives_are_defused() -> None:
    text = "### A\n\n#### B\n\n###### C\n\n```{raw} html\n<b>x</b>\n```\n<i>y</i> [l](javascript:x)"
    assert safe_markdown(text, 3) == [
        "### A",
        "",
        "#### B",
        "",
        "##### C",
        "",
        "```text",
        "<b>x</b>",
        "```",
        "\\<i>y\\</i> [l]\\(javascript:x)",
    ]
    # inside a fence nothing changes, and an unclosed fence is closed
    assert safe_markdown("```\n# x\n<b>", 1) == ["```", "# x", "<b>", "```"]


def test_ids_are_valid_unique_and_stable() -> None:
    ids = IdAllocator()
    made = [
        ids.new("TC-T", "7"),
        ids.new("TD-S", "a b/c"),
        ids.new("TD-S", "a-b-c"),
        ids.new("X", "é"),
    ]
    assert made == ["TC-T-7", "TD-S-a-b-c", "TD-S-a-b-c-2", "X-x"]
    assert all(ID_RE.match(i) for i in made)
    assert slug("External Threat  Actor!") == "external-threat-actor"
    assert tag_text(" a,\n b ") == "a, b"  # the comma kept (written "\\," in a list)


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_every_format_documents_its_mapping(name: str) -> None:
    source = FORMATS[name]
    rows = source.mapping_rows()
    assert name == source.name and source.label
    assert len(rows) > 10 and all(row.source and row.ours for row in rows)


def test_every_format_has_a_how_to() -> None:
    from pathlib import Path

    howto = Path(__file__).parents[2] / "docs" / "howto"
    for name in FORMATS:
        page = (howto / f"import-{name}.rst").read_text(encoding="utf-8")
        assert f".. import-mapping:: {name}" in page


def test_every_option_written_is_one_the_directive_has() -> None:
    """The importers write only option names ``schema.OPTIONS`` declares."""
    import datetime as dt
    import json
    from pathlib import Path

    import yaml

    from sphinx_threats.importers.model import ImportSettings
    from sphinx_threats.model import Kind
    from sphinx_threats.schema.options import OPTIONS

    tests = Path(__file__).parents[1]
    samples = tests / "data"
    sources = {
        "threat-composer": json.loads(
            (samples / "threat-composer" / "GenAIChatbot.tc.json").read_text()
        ),
        "threat-dragon": json.loads(
            (samples / "threat-dragon" / "v2-threat-model.json").read_text()
        ),
        "otm": yaml.safe_load((samples / "otm" / "shop.otm.yaml").read_text()),
    }
    settings = ImportSettings(due=dt.date(2027, 1, 1), expires=dt.date(2027, 1, 1))
    for name, data in sources.items():
        imported = FORMATS[name].parse(data, settings)
        for item in imported.items:
            allowed = {o.name for o in OPTIONS[Kind(item.kind)]}
            assert {option for option, _ in item.options} <= allowed, (name, item.id)
            assert ID_RE.match(item.id)
