"""``.. import-mapping:: FORMAT``: an importer's mapping table, from its own code.

Each source format declares its mapping (``mapping_rows()``, built from the
very tables the import uses), so the how-to cannot drift from what the
import does.
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from sphinx.util.docutils import SphinxDirective

from sphinx_threats.importers import FORMATS


def _cell(text: str, literal: bool = False) -> nodes.entry:
    entry = nodes.entry()
    para = nodes.paragraph()
    para += nodes.literal(text, text) if literal and text else nodes.Text(text)
    entry += para
    return entry


class ImportMapping(SphinxDirective):
    """The documented mapping of one source format."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        name = self.arguments[0]
        if name not in FORMATS:
            raise self.error(f"unknown import format {name!r} (known: {', '.join(FORMATS)})")
        table = nodes.table(classes=["longtable"])
        group = nodes.tgroup(cols=3)
        table += group
        for width in (35, 40, 25):
            group += nodes.colspec(colwidth=width)
        head, body = nodes.thead(), nodes.tbody()
        group += head
        group += body
        row = nodes.row()
        for title in (FORMATS[name].label, "sphinx-threats", "Note"):
            row += _cell(title)
        head += row
        for source, ours, note in FORMATS[name].mapping_rows():
            row = nodes.row()
            row += _cell(source, literal=True)
            row += _cell(ours)
            row += _cell(note)
            body += row
        return [table]


def setup(app: Any) -> dict[str, Any]:
    app.add_directive("import-mapping", ImportMapping)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
