"""The documentation of the command covers every sub-command and every gap kind."""

from __future__ import annotations

import argparse
from pathlib import Path

from sphinx_threats.cli import build_parser
from sphinx_threats.cli._gaps import RULES
from sphinx_threats.model import GapKind

DOCS = Path(__file__).parent.parent / "docs"


def _subcommands() -> list[str]:
    parser = build_parser()
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    return list(action.choices)


def test_the_cli_reference_has_every_subcommand() -> None:
    reference = (DOCS / "reference" / "cli.rst").read_text(encoding="utf-8")
    names = _subcommands()
    assert {"report", "diff", "sarif", "import", "export"} <= set(names)
    for name in names:
        # a section, and its arguments generated from the parser
        assert f"``{name}``\n{'-' * (len(name) + 4)}\n" in reference, name
        assert f".. threats-reference:: cli {name}\n" in reference, name


def test_the_ci_howto_lists_every_gap_kind() -> None:
    howto = (DOCS / "howto" / "ci.rst").read_text(encoding="utf-8")
    # the table is generated from the rules, which name every GapKind
    assert ".. threats-reference:: gap-kinds\n" in howto
    assert [kind.value for kind in GapKind] == list(RULES)[: len(GapKind)]
    assert "stale-assumption" in RULES
    assert "=========================  ====" not in howto  # no hand-written copy left
