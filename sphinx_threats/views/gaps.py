"""What ``threat-gaps`` shows: every gap, grouped by kind."""

from __future__ import annotations

from collections import defaultdict
from typing import NamedTuple

from ..analysis import Report
from ..model import Gap, GapKind
from .backlinks import Link, link_of
from .request import ReportRequest, selected_threats


class GapRow(NamedTuple):
    """One gap of ``threat-gaps``."""

    message: str
    file: str
    line: int
    #: Where it must be fixed.
    fix: Link | None


class GapGroup(NamedTuple):
    """The gaps of one kind."""

    kind: str
    rows: tuple[GapRow, ...]


def gaps_view(report: Report, request: ReportRequest) -> tuple[GapGroup, ...]:
    """Every gap, grouped by kind (``threat-gaps``)."""
    active = {k: v for k, v in request.filter_map.items() if v}
    wanted = None
    if active:
        wanted = {t.id for t in selected_threats(report, active)}
        wanted |= set(active.get("service", ()))
    grouped: dict[GapKind, list[GapRow]] = defaultdict(list)
    for gap in report.gaps:
        if wanted is not None and not set(gap.ids) & wanted:
            continue
        where = gap.location
        grouped[gap.kind].append(
            GapRow(gap.message, where.file, where.lineno, _fix_link(report, gap))
        )
    return tuple(
        GapGroup(kind.value, tuple(grouped[kind])) for kind in GapKind if grouped.get(kind)
    )


def _fix_link(report: Report, gap: Gap) -> Link | None:
    """Where the gap must be fixed: the item declared at the gap's location."""
    declared = [report.index[i] for i in gap.ids if i in report.index]
    here = [
        item
        for item in declared
        if item.location.file == gap.location.file and item.location.lineno <= gap.location.lineno
    ]
    # the closest declaration at or above the gap's line (an option's line is
    # below its directive's)
    for item in sorted(here, key=lambda i: -i.location.lineno) or declared:
        return link_of(report, item.kind, item.id)
    return None
