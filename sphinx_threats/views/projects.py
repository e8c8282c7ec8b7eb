"""What ``threat-projects`` shows: one row per member project (``threats_aggregate``)."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import NamedTuple

from ..analysis import Report
from ..figures import CoveragePercent, coverage_percentages
from ..model import Kind, MemberSummary, Status
from .backlinks import Link, link_of
from .request import ReportRequest


class ProjectRow(NamedTuple):
    """One member project: what the build read of it and what it answers."""

    member: MemberSummary
    #: Its services (linked to its pages).
    services: tuple[Link, ...]
    #: Its coverage of the threats in scope for its services (this project's
    #: threats and its own, by the pairs' and their overall statuses).
    coverage: CoveragePercent
    #: Its gaps in this build, by kind (sorted).
    gaps: tuple[tuple[str, int], ...]


def projects_view(report: Report, request: ReportRequest) -> tuple[ProjectRow, ...]:
    """Every member project, in ``threats_aggregate`` order (``threat-projects``)."""
    services: dict[str, list[str]] = defaultdict(list)
    for s in report.services:
        item = report.index.get(s)
        if item is not None and item.location.project:
            services[item.location.project].append(s)
    gaps: dict[str, Counter[str]] = defaultdict(Counter)
    for gap in report.gaps:
        if gap.location.project:
            gaps[gap.location.project][gap.kind.value] += 1
    rows = []
    for member in report.members:
        answers = [
            pair
            for s in services[member.name]
            for pair in report.service_coverage(s)
            if pair.status is not Status.NOT_APPLICABLE
        ]
        rows.append(
            ProjectRow(
                member,
                tuple(link_of(report, Kind.SERVICE, s) for s in services[member.name]),
                coverage_percentages(report, answers),
                tuple(sorted(gaps[member.name].items())),
            )
        )
    return tuple(rows)
