"""``threat-coverage``: per service its pairs, or a threats x services grid."""

from __future__ import annotations

from collections import Counter

from docutils import nodes

from ..model import Status
from ..views.backlinks import GAP_STATUS, Link
from ..views.coverage import CoverageGrid, CoverageView, GridCell
from .elements import TEXT_WIDTH, Cell, badge, element, fit, para, status_badge, table
from .renderer import Renderer

#: Short badges of the coverage grid (the full status is in the cell's
#: title and the legend).
SHORT_STATUS = {
    Status.MITIGATED: "ok",
    Status.ACCEPTED: "acc",
    Status.PARTIAL: "part",
    Status.PLANNED: "plan",
    Status.NOT_APPLICABLE: "n/a",
    Status.UNMITIGATED: GAP_STATUS,
}

#: Services per grid table outside HTML: a page (or 80 columns) holds no more.
GRID_CHUNK = {"latex": 10, "text": 6}


def draw_coverage(renderer: Renderer, view: CoverageView) -> list[nodes.Node]:
    """Nodes of ``threat-coverage``: one row per pair, grouped per service,
    or (``:layout: grid``) a threats x services grid."""
    if isinstance(view, CoverageGrid):
        return draw_coverage_grid(renderer, view)
    headers = ["Service", "Threat", "Severity", "Status", "Covered by"]
    body: list[list[Cell]] = []
    starts: list[int] = []
    for service, rows in view:
        starts.append(len(body))
        gaps = Counter(c.status for c in rows).get(Status.UNMITIGATED, 0)
        summary = f"{len(rows)} threats in scope" + (f", {gaps} GAP" if gaps else "")
        if not rows:
            body.append([_service_cell(renderer, service, None), "no threats in scope", "", "", ""])
        for position, (link, sev, status, by) in enumerate(rows):
            body.append(
                [
                    _service_cell(renderer, service, summary) if position == 0 else "",
                    para(*renderer.titled(link)),
                    renderer.severity(sev),
                    status_badge(status),
                    para(*renderer.xrefs(by)) if by else "-",
                ]
            )
    widths = fit([18, 34, 10, 12, 20])
    return [
        table(headers, body, ["threats-coverage"], widths, starts, fixed=renderer.format == "latex")
    ]


def _service_cell(renderer: Renderer, service: Link, summary: str | None) -> list[nodes.Node]:
    """The service's link and title, and on a line of its own what it has in
    scope (a title may hold parentheses of its own)."""
    blocks: list[nodes.Node] = [para(*renderer.titled(service))]
    if summary:
        blocks.append(element(nodes.paragraph, summary, classes=["threats-note"]))
    return blocks


def draw_coverage_grid(renderer: Renderer, view: CoverageGrid) -> list[nodes.Node]:
    """Threats as rows, services as columns, a short badge per cell; outside
    HTML, in tables of a few services each (a page holds no more)."""
    services, rows = view
    out: list[nodes.Node] = [_grid_legend(renderer)]
    chunk = GRID_CHUNK.get(renderer.format, len(services) or 1)
    for first in range(0, max(len(services), 1), chunk):
        part = range(first, min(first + chunk, len(services)))
        if len(services) > chunk:
            out.append(
                element(
                    nodes.rubric,
                    f"Services {first + 1}-{part.stop} of {len(services)}",
                    classes=["threats-group"],
                )
            )
        headers: list[str | nodes.Node] = ["Threat"]
        headers += [
            element(
                nodes.paragraph,
                renderer.xref(services[i]),
                # a member project's service says whose it is
                *(
                    [nodes.Text(" "), renderer.project(services[i].project)]
                    if services[i].project
                    else []
                ),
                classes=["threats-grid-service"],
            )
            for i in part
        ]
        body = [
            [
                element(nodes.paragraph, *renderer.titled(threat), classes=["threats-threat"]),
                *[_grid_cell(renderer, threat, services[i], cells[i]) for i in part],
            ]
            for threat, _severity, cells in rows
        ]
        widths = [30] + [max(4, len(services[i].id)) for i in part]
        if renderer.format == "text":
            # five characters hold every short badge ("owner" wraps above it)
            widths = [TEXT_WIDTH - 1 - 3 * (len(part) + 1) - 5 * len(part)] + [5] * len(part)
        out.append(table(headers, body, ["threats-grid"], widths, fixed=renderer.format == "latex"))
    return out


def _grid_cell(
    renderer: Renderer, threat: Link, service: Link, cell: GridCell | None
) -> nodes.entry:
    if cell is None:
        return element(nodes.entry, classes=["threats-grid-none"])
    status, owner, by = cell
    word = GAP_STATUS if status is Status.UNMITIGATED else status.value
    what = (
        f"{service.id} owns {threat.id}: {word}"
        if owner
        else f"{threat.id} in {service.id}: {word}"
    )
    if by:
        what += " by " + ", ".join(b.id for b in by)
    short = badge(
        SHORT_STATUS[status], "status", "gap" if status is Status.UNMITIGATED else status.value
    )
    parts: list[nodes.Node] = [short]
    if owner:
        parts.insert(0, element(nodes.inline, "owner ", classes=["threats-grid-owner"]))
    # the cell links to the threat, whose block says per service what
    # covers it; the link's title (a tooltip in HTML) says it in full
    ref = renderer.linker(threat)
    if ref is not None:
        ref["reftitle"] = what
        for part in parts:
            part.parent = ref
        ref.children.extend(parts)
        parts = [ref]
    return element(nodes.entry, para(*parts), classes=["threats-grid-cell"])


def _grid_legend(renderer: Renderer) -> nodes.paragraph:
    parts: list[nodes.Node] = [nodes.Text("Legend: ")]
    for status, short in SHORT_STATUS.items():
        word = GAP_STATUS if status is Status.UNMITIGATED else status.value
        parts += [
            badge(short, "status", "gap" if status is Status.UNMITIGATED else status.value),
            nodes.Text(f" {word}; "),
        ]
    parts.append(nodes.Text("owner: the service owns the threat (its overall status)."))
    return element(nodes.paragraph, *parts, classes=["threats-legend"])
