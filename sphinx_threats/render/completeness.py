"""``threat-completeness``: a grid of elements by the categories required of them."""

from __future__ import annotations

from docutils import nodes

from ..views.completeness import CompletenessCell, CompletenessView
from .elements import Cell, badge, element, joined, para, table
from .renderer import Renderer

#: What an unanswered cell shows (an ``unanalysed`` gap; the word is in its title).
UNANALYSED_MARK = "\u2014"


def _cell(renderer: Renderer, cell: CompletenessCell | None) -> Cell:
    if cell is None:  # not required of this element
        return ""
    if cell.unanalysed:
        return badge(UNANALYSED_MARK, "gap", "unanalysed")
    parts: list[nodes.Node] = [*renderer.xrefs(cell.threats)]
    for decision in cell.decisions:
        if parts:
            parts.append(nodes.Text(", "))
        ref = renderer.linker(decision)
        mark = element(nodes.inline, "n/a", classes=["threats-na"])
        if ref is None:
            parts.append(mark)
        else:
            ref["reftitle"] = f"not-applicable {decision.id}"
            ref.children.append(mark)
            mark.parent = ref
            parts.append(ref)
    if cell.hidden:
        parts.append(nodes.Text(f"{', ' if parts else ''}{cell.hidden} filtered out"))
    return para(*parts)


def draw_completeness(renderer: Renderer, view: CompletenessView) -> list[nodes.Node]:
    """Nodes of ``threat-completeness``."""
    if not view.enabled:
        return [
            para(
                "No completeness check: set ",
                element(nodes.literal, "threats_element_categories"),
                " in conf.py to require categories of the elements.",
            )
        ]
    labels = renderer.labels
    # columns in threats_categories order, as every other report shows them
    columns = sorted(
        view.categories, key=lambda c: list(labels).index(c) if c in labels else len(labels)
    )
    rows = []
    for row in view.rows:
        cells = {cell.category: cell for cell in row.cells}
        first: list[Cell] = [para(*renderer.titled(row.element))]
        rows.append(first + [_cell(renderer, cells.get(c)) for c in columns])
    headers = ["Element", *[labels.get(c, c) for c in columns]]
    gaps = sum(cell.unanalysed for row in view.rows for cell in row.cells)
    legend = para(
        *joined(
            [
                nodes.Text("threats considered: linked IDs"),
                nodes.Text("n/a: a not-applicable (linked)"),
                element(
                    nodes.inline,
                    badge(UNANALYSED_MARK, "gap", "unanalysed"),
                    nodes.Text(f": unanalysed ({gaps})"),
                ),
            ],
            "; ",
        )
    )
    return [legend, table(headers, rows, ["threats-completeness"])]
