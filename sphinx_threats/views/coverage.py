"""What ``threat-coverage`` shows: per service, its threats in scope and their
status; or (``:layout: grid``) threats x services."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from ..analysis import Report
from ..model import Kind, Status, Threat, natural_key
from .backlinks import GAP_STATUS, Link, decided_by, link_of
from .request import ReportOption, ReportRequest, ThreatKey, selected_threats, threat_order


class CoverageRow(NamedTuple):
    """One (threat, service) pair of ``threat-coverage``."""

    threat: Link
    severity: str | None
    status: Status
    by: tuple[Link, ...]


class ServiceCoverage(NamedTuple):
    """A service and its pairs."""

    service: Link
    rows: tuple[CoverageRow, ...]


class GridCell(NamedTuple):
    """One cell of the coverage grid: a pair's status, or the owner's answer."""

    status: Status
    #: The service owns the threat: the cell shows the threat's overall status.
    owner: bool
    by: tuple[Link, ...]


class GridRow(NamedTuple):
    """One threat of the coverage grid; ``None`` where a service has nothing to answer."""

    threat: Link
    severity: str | None
    cells: tuple[GridCell | None, ...]


class CoverageGrid(NamedTuple):
    """``threat-coverage`` with ``:layout: grid``: threats x services."""

    services: tuple[Link, ...]
    rows: tuple[GridRow, ...]


#: ``:layout:`` values of ``threat-coverage``.
COVERAGE_LAYOUTS = ("list", "grid")


#: The report's own options.
OPTIONS: dict[str, ReportOption] = {
    "layout": ReportOption(
        COVERAGE_LAYOUTS,
        help="``list`` (default): one block per service; ``grid``: threats "
        "as rows, services as columns",
    )
}

#: What ``threat-coverage`` shows, by its ``:layout:``.
CoverageView = tuple[ServiceCoverage, ...] | CoverageGrid


def _coverage_scope(report: Report, request: ReportRequest) -> tuple[list[str], set[str], set[str]]:
    """Services shown, threats wanted, and the statuses asked for."""
    filters = request.filter_map
    threat_filters = {k: v for k, v in filters.items() if k not in ("service", "status")}
    wanted = {t.id for t in selected_threats(report, threat_filters)}
    services = filters.get("service") or report.services
    shown = sorted(set(services) & set(report.services), key=natural_key)
    return shown, wanted, set(filters.get("status") or ())


def _status_wanted(status: Status, statuses: set[str]) -> bool:
    shown = GAP_STATUS if status is Status.UNMITIGATED else status.value
    return not statuses or shown in statuses or status.value in statuses


def coverage_view(report: Report, request: ReportRequest) -> CoverageView:
    """Per service, its threats in scope and their status (``threat-coverage``)."""
    if request.option("layout") == "grid":
        return coverage_grid(report, request)
    services, wanted, statuses = _coverage_scope(report, request)
    order = threat_order(report)
    out = []
    for s in services:
        rows = []
        pairs = report.service_coverage(s)
        # in report order (most severe first, then by ID in natural order)
        threat_of = {c.threat: report.threat(c.threat) for c in pairs}
        for cov in sorted(pairs, key=lambda c: _pair_order(c.threat, threat_of, order)):
            if cov.threat not in wanted or not _status_wanted(cov.status, statuses):
                continue
            threat = report.threat(cov.threat)
            rows.append(
                CoverageRow(
                    link_of(report, Kind.THREAT, cov.threat),
                    threat.severity if threat else None,
                    cov.status,
                    tuple(decided_by(report, b) for b in cov.by),
                )
            )
        out.append(ServiceCoverage(link_of(report, Kind.SERVICE, s), tuple(rows)))
    return tuple(out)


def _pair_order(
    ident: str, threat_of: dict[str, Threat | None], order: Callable[[Threat], ThreatKey]
) -> ThreatKey:
    threat = threat_of[ident]
    return order(threat) if threat is not None else (0, False, natural_key(ident))


def coverage_grid(report: Report, request: ReportRequest) -> CoverageGrid:
    """Threats as rows, services as columns: each pair's status, and each
    owner's answer (the threat's overall status)."""
    services, wanted, statuses = _coverage_scope(report, request)
    rows = []
    for threat in selected_threats(report, {}):
        if threat.id not in wanted:
            continue
        pairs = {c.service: c for c in report.threat_coverage(threat.id)}
        cells: list[GridCell | None] = []
        for s in services:
            if s == threat.service:
                status = report.threat_status.get(threat.id, Status.UNMITIGATED)
                by = report.threat_by.get(threat.id, ())
                cells.append(GridCell(status, True, tuple(decided_by(report, b) for b in by)))
            elif s in pairs:
                pair = pairs[s]
                cells.append(
                    GridCell(pair.status, False, tuple(decided_by(report, b) for b in pair.by))
                )
            else:
                cells.append(None)
        if any(c is not None and _status_wanted(c.status, statuses) for c in cells):
            rows.append(
                GridRow(link_of(report, Kind.THREAT, threat.id), threat.severity, tuple(cells))
            )
    return CoverageGrid(tuple(link_of(report, Kind.SERVICE, s) for s in services), tuple(rows))
