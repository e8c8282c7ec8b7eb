"""``threat-risk-map``: the grid, then each cell's threats."""

from __future__ import annotations

from docutils import nodes

from ..views.risk_map import RiskCell, RiskMap
from .elements import Cell, bullets, css_name, element, fit, para, status_badge, table
from .renderer import Renderer


def draw_risk_map(renderer: Renderer, view: RiskMap) -> list[nodes.Node]:
    """Nodes of ``threat-risk-map``: the grid, then each cell's threats."""
    (row_axis, column_axis), row_names, column_names, cells, unplaced = view
    prefix = renderer.anchor("risk")
    headers: list[str | nodes.Node] = [f"{row_axis} (rows) / {column_axis} (columns)"]
    headers += [_axis(renderer, column_axis, c) for c in column_names]
    body: list[list[Cell]] = []
    lists: list[nodes.Node] = []
    for r, (name, row) in enumerate(zip(row_names, cells, strict=True)):
        line: list[Cell] = [para(_axis(renderer, row_axis, name))]
        for c, cell in enumerate(row):
            anchor = f"{prefix}-{r}-{c}"
            line.append(_risk_cell(renderer, cell, anchor))
            if cell.threats:
                lists.append(_risk_list(renderer, view.axes, cell, anchor))
        body.append(line)
    widths = fit([14] + [10] * len(column_names))
    out: list[nodes.Node] = [
        table(headers, body, ["threats-risk-map"], widths, fixed=renderer.format == "latex")
    ]
    if not any(cell.threats for row in cells for cell in row):
        out.append(para("No threats match."))
    out += lists
    if unplaced:
        out.append(
            element(
                nodes.rubric,
                f"Not on the map: no {row_axis} or {column_axis} ({len(unplaced)})",
                classes=["threats-group"],
            )
        )
        out.append(bullets(renderer.backlink_row(row) for row in unplaced))
    return out


def _axis(renderer: Renderer, axis: str, value: str) -> nodes.Node:
    if axis == "status":
        return status_badge(value)
    if axis == "severity":
        return renderer.severity(value)
    return nodes.Text(value)


def _risk_cell(renderer: Renderer, cell: RiskCell, anchor: str) -> nodes.entry:
    count, open_count = len(cell.threats), cell.open
    classes = ["threats-risk-cell"]
    if cell.severity:
        classes.append(f"threats-risk-{css_name(cell.severity)}")
    parts: list[nodes.Node] = [nodes.Text("-")]
    if count:
        text = f"{count} ({open_count} open)"
        parts = [element(nodes.reference, text, internal=True, refid=anchor)]
    if cell.severity:
        # the colour's meaning, in words (never colour alone)
        parts.append(element(nodes.inline, f" {cell.severity}", classes=["threats-risk-level"]))
    return element(nodes.entry, para(*parts), classes=classes)


def _risk_list(
    renderer: Renderer, axes: tuple[str, str], cell: RiskCell, anchor: str
) -> nodes.container:
    title = f"{axes[0]} {cell.row}, {axes[1]} {cell.column}: "
    title += f"{len(cell.threats)} threat{'s' if len(cell.threats) != 1 else ''}"
    title += f", {cell.open} open"
    return element(
        nodes.container,
        element(nodes.target, ids=[anchor]),
        element(nodes.paragraph, element(nodes.strong, title), classes=["threats-risk-title"]),
        bullets(renderer.backlink_row(row) for row in cell.threats),
        classes=["threats-risk-list"],
    )
