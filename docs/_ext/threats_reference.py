"""Reference tables generated from sphinx_threats' own declarations.

The reference cannot drift from the code: directive options come from
``schema.options.OPTIONS``, configuration values from ``config.CONFIG_VALUES``,
warning subtypes from ``model.GapKind``, report options and matrix columns
from ``render.registry.REPORTS`` and ``views.matrix``.
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from sphinx.util.docutils import SphinxDirective

from sphinx_threats import config
from sphinx_threats.cli import build_parser
from sphinx_threats.cli import diff as cli_diff
from sphinx_threats.cli._gaps import RULES
from sphinx_threats.config import DEFAULT_FAIL_ON
from sphinx_threats.model import ROLE_KINDS, GapKind, Kind
from sphinx_threats.render.registry import REPORTS
from sphinx_threats.schema.options import OPTIONS
from sphinx_threats.views.matrix import DEFAULT_MATRIX_COLUMNS, MATRIX_COLUMNS
from sphinx_threats.views.request import FILTERS


def _table(headers: list[str], rows: list[list[Any]], widths: list[int]) -> nodes.table:
    table = nodes.table(classes=["longtable"])
    group = nodes.tgroup(cols=len(headers))
    table += group
    for width in widths:
        group += nodes.colspec(colwidth=width)
    head = nodes.thead()
    group += head
    body = nodes.tbody()
    group += body
    for target, cells in ((head, [headers]), (body, rows)):
        for cells_row in cells:
            row = nodes.row()
            for cell in cells_row:
                entry = nodes.entry()
                entry += cell if isinstance(cell, nodes.Node) else nodes.paragraph(text=str(cell))
                row += entry
            target += row
    return table


def _literal(text: str) -> nodes.paragraph:
    para = nodes.paragraph()
    para += nodes.literal(text, text)
    return para


class ThreatsReference(SphinxDirective):
    """``.. threats-reference:: options KIND | config | warnings | roles | reports
    | matrix-columns | cli COMMAND | sarif-rules | gap-kinds | worsenings``."""

    required_arguments = 1
    optional_arguments = 1

    def _rst(self, text: str) -> nodes.Node:
        # help texts use ``literal`` markup; parse them as inline rST
        para = nodes.paragraph()
        inline, _ = self.state.inline_text(text, self.lineno)
        para.extend(inline)
        return para

    def run(self) -> list[nodes.Node]:
        what = self.arguments[0]
        if what == "options":
            kind = Kind(self.arguments[1])
            rows = [
                [
                    _literal(f":{o.name}:"),
                    o.type_help,
                    "yes" if o.required else "",
                    self._rst(o.help),
                ]
                for o in OPTIONS[kind]
            ]
            return [_table(["Option", "Type", "Required", "Meaning"], rows, [15, 12, 8, 50])]
        if what == "config":
            rows = [
                [
                    _literal(c.name),
                    _literal(repr(c.default)),
                    c.type_help,
                    c.rebuild or "(none)",
                    self._rst(c.help),
                ]
                for c in config.CONFIG_VALUES
            ]
            return [
                _table(["Name", "Default", "Type", "Rebuild", "Meaning"], rows, [20, 20, 12, 8, 40])
            ]
        if what == "warnings":
            rows = [
                [
                    _literal(f"threats.{k.value}"),
                    self._rst(k.description),
                    k.located_at,
                    "yes" if k.value in config.DEFAULT_FAIL_ON else "",
                ]
                for k in GapKind
            ]
            return [
                _table(["Subtype", "When", "Located at", "Fails by default"], rows, [18, 40, 16, 8])
            ]
        if what == "roles":
            rows = [
                [_literal(f":{k.value}:`ID`"), _literal(f":threats:{k.value}:`text <ID>`"), k.label]
                for k in ROLE_KINDS
            ]
            return [_table(["Role", "Full form", "Links to"], rows, [20, 30, 20])]
        if what == "reports":
            rows = [[_literal(f":{f}:"), "every report", "comma list"] for f in FILTERS]
            for spec in REPORTS.values():
                for name, option in spec.options.items():
                    values = ", ".join(option.values)
                    takes = option.takes or (
                        ("comma list of: " if option.many else "one of: ") + values
                    )
                    rows.append(
                        [
                            _literal(f":{name}:"),
                            spec.name,
                            self._rst(takes + (f"; {option.help}" if option.help else "")),
                        ]
                    )
            return [_table(["Option", "Report", "Value"], rows, [15, 15, 45])]
        if what == "matrix-columns":
            rows = [
                [
                    _literal(name),
                    "yes" if name in DEFAULT_MATRIX_COLUMNS else "",
                    help_text,
                ]
                for name, help_text in MATRIX_COLUMNS.items()
            ]
            return [_table(["Column", "Shown by default", "Shows"], rows, [15, 10, 50])]
        if what == "cli":
            return [self._cli_options(self.arguments[1])]
        if what == "sarif-rules":
            rows = []
            for rule in RULES.values():
                # the SARIF rules' helpUri points at these anchors
                kind = nodes.paragraph(ids=[f"gap-{rule.kind}"])
                kind += nodes.literal(f"threats.{rule.kind}", f"threats.{rule.kind}")
                rows.append([kind, rule.title, rule.fix])
            return [_table(["Rule", "Title", "How to fix"], rows, [18, 22, 45])]
        if what == "gap-kinds":
            # every kind the build reports (GapKind, through RULES), so the
            # CI how-to cannot leave one out
            rows = [
                [_literal(r.kind), self._rst(r.when), "yes" if r.kind in DEFAULT_FAIL_ON else ""]
                for r in RULES.values()
            ]
            return [_table(["Kind", "Reported when", "Fails by default"], rows, [20, 45, 10])]
        if what == "worsenings":
            rows = [[_literal(name), help] for name, help in cli_diff.WORSENINGS.items()]
            return [_table(["Worsening", "When"], rows, [20, 50])]
        raise self.error(f"unknown reference table {what!r}")

    def _cli_options(self, command: str) -> nodes.table:
        """The arguments of a sub-command, from its argparse parser."""
        parser = build_parser()
        sub = next(
            a
            for a in parser._actions
            if a.dest == "command"  # the sub-parsers action
        )
        rows = []
        for action in sub.choices[command]._actions:  # type: ignore[attr-defined]
            if action.dest == "help":
                continue
            if action.option_strings:
                name = ", ".join(action.option_strings)
                if action.nargs != 0:
                    name += f" {action.metavar or action.dest.upper()}"
            else:
                name = action.metavar or action.dest
            text = action.help or ""
            if action.choices:
                text += f" (one of: {', '.join(action.choices)})"
            rows.append([_literal(name), text])
        return _table(["Argument", "Meaning"], rows, [25, 50])


def setup(app: Any) -> dict[str, Any]:
    app.add_directive("threats-reference", ThreatsReference)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
