"""``threat-matrix``: a table of threats, one per group."""

from __future__ import annotations

from collections.abc import Sequence

from docutils import nodes

from ..views.matrix import MatrixRow, MatrixView, MitigationState
from .elements import (
    Cell,
    badge,
    bullets,
    element,
    fit,
    joined,
    para,
    state_badge,
    status_badge,
    table,
)
from .renderer import Renderer

#: Header and relative width (the text writer's characters before fitting
#: 80 columns; LaTeX's share of the line) of each ``threat-matrix`` column.
MATRIX_HEADERS: dict[str, tuple[str, int]] = {
    "threat": ("Threat", 30),
    "status": ("Status", 11),
    "services": ("Services covered", 13),
    "mitigations": ("Mitigations", 20),
    "decisions": ("Decisions", 16),
    "severity": ("Severity", 9),
    "category": ("Category", 14),
    "owner": ("Owner", 12),
    "tags": ("Tags", 10),
}


def _coverage_cell(row: MatrixRow) -> list[nodes.Node]:
    covered, total, worst = row.covered, row.total, row.worst
    if total == 0:
        if row.service is not None:
            return [nodes.Text("answered by its owner")]
        return [nodes.Text("no services in scope")]
    parts: list[nodes.Node] = [nodes.Text(f"{covered} of {total}")]
    if worst is not None:
        parts += [nodes.Text(" worst: "), status_badge(worst)]
    return parts


def _status_cell(row: MatrixRow) -> list[nodes.Node]:
    """The overall status, and the exposure when a service in scope is worse
    off: ``mitigated · GAP in 1 of 5 services`` (a threat is as open as its
    most open service; the words say it, not only the colours)."""
    parts: list[nodes.Node] = [status_badge(row.status)]
    exposure = row.exposure
    if exposure is None or exposure is row.status:
        return parts
    services = "service" if row.in_scope == 1 else "services"
    parts.append(
        element(
            nodes.inline,
            element(nodes.inline, " · ", classes=["threats-exposure-sep"]),
            status_badge(exposure),
            f" in {row.exposed} of {row.in_scope} {services}",
            classes=["threats-exposure"],
        )
    )
    return parts


def draw_matrix(renderer: Renderer, view: MatrixView) -> list[nodes.Node]:
    """Nodes of ``threat-matrix``."""
    columns, badges, groups = view
    out: list[nodes.Node] = []
    headers = [MATRIX_HEADERS[c][0] for c in columns]
    widths = fit([MATRIX_HEADERS[c][1] for c in columns])
    for key, rows in groups:
        if key:
            out.append(
                element(nodes.rubric, renderer.labels.get(key, key), classes=["threats-group"])
            )
        body = [_matrix_row(renderer, row, columns, badges) for row in rows]
        out.append(
            table(headers, body, ["threats-matrix"], widths, fixed=renderer.format == "latex")
        )
    if not groups:
        out.append(para("No threats match."))
    return out


def _matrix_row(
    renderer: Renderer, row: MatrixRow, columns: Sequence[str], badges: Sequence[str]
) -> list[Cell]:
    cells: list[Cell] = []
    for column in columns:
        match column:
            case "threat":
                cells.append(_threat_cell(renderer, row, badges))
            case "status":
                cells.append(para(*_status_cell(row)))
            case "services":
                cells.append(para(*_coverage_cell(row)))
            case "mitigations":
                cells.append(_states(renderer, row.mitigations))
            case "decisions":
                cells.append(_states(renderer, row.decisions))
            case "severity":
                cells.append(renderer.severity(row.severity))
            case "category":
                cells.append(para(*_categories(renderer, row.categories)))
            case "owner":
                cells.append(para(*renderer.titled(row.service)) if row.service else "product")
            case "tags":
                cells.append(para(*joined(badge(t, "tag") for t in row.tags)) or "-")
    return cells


def _threat_cell(renderer: Renderer, row: MatrixRow, badges: Sequence[str]) -> list[nodes.Node]:
    link = row.threat
    blocks: list[nodes.Node] = [
        element(nodes.paragraph, *renderer.titled(link), classes=["threats-threat"])
    ]
    marks: list[nodes.Node] = []
    if "severity" in badges:
        marks.append(renderer.severity(row.severity))
    if "category" in badges:
        marks += _categories(renderer, row.categories)
    if marks:
        blocks.append(element(nodes.paragraph, *joined(marks, " "), classes=["threats-marks"]))
    return blocks


def _categories(renderer: Renderer, categories: Sequence[str]) -> list[nodes.Node]:
    return joined((renderer.category(c) for c in categories), " ")


def _states(renderer: Renderer, states: Sequence[MitigationState]) -> nodes.Node:
    if not states:
        return para("-")
    return bullets(
        [
            renderer.xref(s.link),
            nodes.Text(" "),
            state_badge(s.state),
            *([nodes.Text(" "), badge(s.review, "review")] if s.review else []),
        ]
        for s in states
    )
