"""What ``threat-risk-map`` shows: likelihood x impact, or severity x status."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import NamedTuple

from ..analysis import Report
from ..model import STATUS_ORDER, UNRATED, Status, Threat
from .backlinks import BackLink, threat_links
from .request import ReportRequest, selected_threats


class RiskCell(NamedTuple):
    """One cell of the risk map."""

    #: The cell's row and column values (``high``, ``medium``; ``critical``, ``planned``).
    row: str
    column: str
    #: The severity that colours the cell (``None``: not coloured).
    severity: str | None
    threats: tuple[BackLink, ...]
    #: How many of them are open: exposure not mitigated, accepted or
    #: not-applicable (one open service makes its threat open).
    open: int


class RiskMap(NamedTuple):
    """What ``threat-risk-map`` shows."""

    #: The row and column axes: (``likelihood``, ``impact``) or (``severity``, ``status``).
    axes: tuple[str, str]
    rows: tuple[str, ...]
    columns: tuple[str, ...]
    #: Row by row, one cell per column.
    cells: tuple[tuple[RiskCell, ...], ...]
    #: Threats that could not be placed (no likelihood or impact), when the
    #: map is likelihood x impact.
    unplaced: tuple[BackLink, ...]


_CLOSED = (Status.MITIGATED, Status.ACCEPTED, Status.NOT_APPLICABLE)


def risk_map_view(report: Report, request: ReportRequest) -> RiskMap:
    """The likelihood x impact grid when threats carry them, else severity x
    status; each cell with its threats and how many are open."""
    settings = report.settings
    threats = selected_threats(report, request.filter_map)
    placed = [t for t in threats if t.likelihood and t.impact]
    keyed: dict[tuple[str, str], list[Threat]] = defaultdict(list)
    unplaced: list[Threat] = []
    colour: Callable[[str, str], str | None]
    if placed:
        axes = ("likelihood", "impact")
        rows, columns = settings.likelihoods, settings.impacts
        matrix = {(lk, im): sev for lk, im, sev in settings.risk_matrix}
        for t in threats:
            if t in placed:
                keyed[(t.likelihood or "", t.impact or "")].append(t)
            else:
                unplaced.append(t)

        def colour(row: str, column: str) -> str | None:
            return matrix.get((row, column))
    else:
        # a threat in the column of its exposure: the cell counts and its
        # open count agree; an unrated threat ranks as the most severe, first
        axes = ("severity", "status")
        rows = settings.severities
        if any(t.severity not in rows for t in threats):
            rows = (UNRATED, *rows)
        columns = tuple(s.value for s in STATUS_ORDER)
        for t in threats:
            severity = t.severity if t.severity in settings.severities else UNRATED
            status = report.exposure.get(t.id, Status.UNMITIGATED)
            keyed[(severity, status.value)].append(t)

        def colour(row: str, column: str) -> str | None:
            return row if row != UNRATED else None

    def cell(row: str, column: str) -> RiskCell:
        members = keyed.get((row, column), [])
        return RiskCell(
            row,
            column,
            colour(row, column),
            threat_links(report, (t.id for t in members), report.exposure),
            sum(1 for t in members if report.exposure.get(t.id) not in _CLOSED),
        )

    return RiskMap(
        axes,
        tuple(rows),
        tuple(columns),
        tuple(tuple(cell(r, c) for c in columns) for r in rows),
        threat_links(report, (t.id for t in unplaced), report.exposure),
    )
