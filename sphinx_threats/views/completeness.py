"""What ``threat-completeness`` shows: elements x the categories required of them."""

from __future__ import annotations

from typing import NamedTuple

from ..analysis import Report
from ..completeness import considered
from ..model import Kind
from .backlinks import Link, link_of
from .request import ReportRequest, selected_threats


class CompletenessCell(NamedTuple):
    """One (element, category) required: what answers it, if anything."""

    category: str
    #: The threats of the category about the element (those the filters keep).
    threats: tuple[Link, ...]
    #: The not-applicables deciding it.
    decisions: tuple[Link, ...]
    #: Threats about it that the filters leave out.
    hidden: int = 0

    @property
    def unanalysed(self) -> bool:
        """Whether nothing answers it (an ``unanalysed`` gap)."""
        return not (self.threats or self.decisions or self.hidden)


class CompletenessRow(NamedTuple):
    """One element and its required cells."""

    element: Link
    cells: tuple[CompletenessCell, ...]


class CompletenessView(NamedTuple):
    """What ``threat-completeness`` shows."""

    #: Whether ``threats_element_categories`` is set.
    enabled: bool
    #: The columns: every category some shown element requires, first seen first.
    categories: tuple[str, ...]
    rows: tuple[CompletenessRow, ...]


def completeness_view(report: Report, request: ReportRequest) -> CompletenessView:
    """Every element required to consider categories, with each cell's answer
    (``:service:`` keeps the elements of those services, ``:category:`` the
    columns; the other filters choose the threats a cell lists)."""
    complete = report.completeness
    if not report.settings.element_categories:
        return CompletenessView(False, (), ())
    graph = report.elements
    filters = {k: v for k, v in request.filter_map.items() if v}
    services = set(filters.pop("service", ()))
    wanted_categories = set(filters.pop("category", ()))
    shown = {t.id for t in selected_threats(report, filters)} if filters else None
    rows: list[CompletenessRow] = []
    columns: dict[str, None] = {}
    for element, required in complete.required.items():
        if services and not (services & graph.services_of(element) or element in services):
            continue
        cells = []
        for category in required:
            if wanted_categories and category not in wanted_categories:
                continue
            about = considered(graph, element, category)
            kept = [t for t in about if shown is None or t in shown]
            decided = complete.decided.get((element, category), ())
            cells.append(
                CompletenessCell(
                    category,
                    tuple(link_of(report, Kind.THREAT, t) for t in kept),
                    tuple(link_of(report, Kind.NOT_APPLICABLE, n) for n in decided),
                    len(about) - len(kept),
                )
            )
            columns[category] = None
        if cells:
            item = report.index[element]
            rows.append(CompletenessRow(link_of(report, item.kind, element), tuple(cells)))
    return CompletenessView(True, tuple(columns), tuple(rows))
