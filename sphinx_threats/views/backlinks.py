"""Links to items, and the words that say an item's state beside a link.

Shared by the views of item blocks and of the reports.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from ..analysis import AcceptanceState, Report
from ..model import Kind, Mitigation, NotApplicable, RiskAcceptance, Status

#: How an ``unmitigated`` status is shown.
GAP_STATUS = "GAP"


class Link(NamedTuple):
    """A link to an item, with what it shows."""

    kind: str
    id: str
    #: Title, or ``None`` when the item is not declared here.
    title: str | None
    #: Target page (part of the view so a move rewrites the referring page);
    #: ``""`` when the item is on no page of this project.
    docname: str = ""
    #: An absolute URI (an item of another project), used when ``docname`` is empty.
    uri: str = ""
    #: The member project (``threats_aggregate``) that declares it (``""``: none).
    project: str = ""


class BackLink(NamedTuple):
    """One computed back-link: the other item, its state there, and what decides it."""

    link: Link
    #: A computed status, a state word (``valid until ...``), or nothing.
    state: Status | str | None = None
    #: For (threat, service) pairs: what decides the pair's status.
    by: tuple[Link, ...] = ()


def link_of(report: Report, kind: Kind, ident: str) -> Link:
    """A link to ``ident`` (a kind-checked lookup)."""
    item = report.get(ident, kind)
    if item is None:
        return Link(kind.value, ident, None)
    where = item.location
    return Link(kind.value, ident, item.title, where.docname, where.uri, where.project)


def threat_links(report: Report, ids: Iterable[str]) -> tuple[BackLink, ...]:
    """Back-links to threats, each with its overall status."""
    return tuple(
        BackLink(link_of(report, Kind.THREAT, t), report.threat_status.get(t)) for t in ids
    )


def decided_by(report: Report, ident: str) -> Link:
    """A link to what decides a status (a mitigation, an acceptance, an exclusion)."""
    item = report.index.get(ident)
    kind = item.kind if item is not None else Kind.MITIGATION
    return link_of(report, kind, ident)


def mitigation_state(report: Report, ident: str) -> str:
    """A mitigation's state in words (``implemented, partial``)."""
    mit = report.get(ident, Kind.MITIGATION)
    if not isinstance(mit, Mitigation):
        return "unknown"
    state = mit.status or "planned"
    return state if mit.is_full else f"{state}, partial"


def acceptance_state(report: Report, ident: str) -> str:
    """A risk acceptance's state in words (``valid until 2030-01-01``)."""
    acc = report.get(ident, Kind.RISK_ACCEPTANCE)
    if not isinstance(acc, RiskAcceptance):
        return "unknown"
    state = report.acceptance_state.get(ident, AcceptanceState.INVALID)
    if state is not AcceptanceState.VALID:
        return state.value
    return f"valid until {acc.expires.isoformat()}" if acc.expires else "valid"


def exclusion_state(report: Report, ident: str) -> str:
    """Where a not-applicable holds, in words (``for web``, ``whole product``)."""
    na = report.get(ident, Kind.NOT_APPLICABLE)
    if isinstance(na, NotApplicable) and na.service:
        return f"for {na.service}"
    return "whole product"
