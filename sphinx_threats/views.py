"""What each item block and report shows, as plain data (no docutils).

A *view* is a tuple of strings, statuses and :class:`Link` built from the
:class:`~.analysis.Report`.  ``render`` draws nodes from views; the digest of
the views on a page tells which pages must be rewritten after an edit
elsewhere (see ``events.pages_to_rewrite``).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from .analysis import (
    AcceptanceState,
    Coverage,
    Gap,
    Report,
    coverage_percentages,
    severity_rank,
)
from .model import (
    GapKind,
    Item,
    Kind,
    Mitigation,
    NotApplicable,
    RiskAcceptance,
    Service,
    Status,
    Threat,
    ThreatActor,
    worst_status,
)

#: Filter options of the report directives.
FILTERS = ("service", "category", "severity", "status", "tags")
#: ``:group-by:`` values of ``threat-matrix``.
GROUP_BY = ("category", "service", "severity", "tag")
#: How an ``unmitigated`` status is shown.
GAP_STATUS = "GAP"


class Link(NamedTuple):
    """A link to an item, with what it shows."""

    kind: str
    id: str
    #: Title, or ``None`` when the item is not declared here.
    title: str | None
    #: Target page, part of the view so a move rewrites the referring page.
    docname: str | None


def link_of(report: Report, kind: Kind, ident: str) -> Link:
    """A link to ``ident`` (a kind-checked lookup)."""
    item = report.get(ident, kind)
    if item is None:
        return Link(kind.value, ident, None, None)
    return Link(kind.value, ident, item.title, item.location.docname)


def item_view(report: Report, item: Item) -> tuple[Any, ...]:
    """Everything an item block shows, as plain data (see the module doc)."""
    fields: list[tuple[str, Any]] = []
    links: list[tuple[str, Any]] = []
    if isinstance(item, ThreatActor):
        if item.description:
            fields.append(("Description", item.description))
        links.append(
            (
                "Threats",
                tuple(
                    (link_of(report, Kind.THREAT, t), report.threat_status.get(t))
                    for t in report.threats_of_actor.get(item.id, ())
                ),
            )
        )
    elif isinstance(item, Service):
        fields += [("Owner", item.owner)] if item.owner else []
        fields += _refs_field("Exposed to", report, Kind.THREAT, item.exposed_to)
        fields += _refs_field("Relies on", report, Kind.MITIGATION, item.relies_on)
        fields += _refs_field("Depends on", report, Kind.SERVICE, item.depends_on)
        links.append(
            (
                "Own threats",
                tuple(
                    (link_of(report, Kind.THREAT, t), report.threat_status.get(t))
                    for t in report.threats_of_service.get(item.id, ())
                ),
            )
        )
        links.append(
            (
                "Product threats in scope",
                _pair_rows(report, report.service_coverage(item.id), Kind.THREAT),
            )
        )
    elif isinstance(item, Threat):
        fields.append(("Status", ("status", report.threat_status.get(item.id))))
        fields.append(("Severity", ("severity", item.severity or "unknown")))
        if item.category:
            fields.append(("Category", ("category", item.category)))
        if item.likelihood or item.impact:
            fields.append(
                ("Likelihood / impact", f"{item.likelihood or '-'} / {item.impact or '-'}")
            )
        fields += _refs_field("Actors", report, Kind.THREAT_ACTOR, item.actors)
        fields.append(
            (
                "Service",
                link_of(report, Kind.SERVICE, item.service) if item.service else "product level",
            )
        )
        if item.applies_to:
            fields.append(("Applies to", ("scope", tuple(item.applies_to))))
        if item.cwe:
            fields.append(("CWE", ("cwe", item.cwe)))
        if item.capec:
            fields.append(("CAPEC", ("capec", item.capec)))
        for title, kind, index, state in (
            ("Mitigations", Kind.MITIGATION, report.mitigations_of, _mit_state),
            ("Risk acceptances", Kind.RISK_ACCEPTANCE, report.acceptances_of, _acc_state),
            ("Not applicable", Kind.NOT_APPLICABLE, report.exclusions_of, _na_state),
        ):
            rows = tuple(
                (link_of(report, kind, i), state(report, i)) for i in index.get(item.id, ())
            )
            links.append((title, rows))
        links.append(
            (
                "Services in scope",
                _pair_rows(report, report.threat_coverage(item.id), Kind.SERVICE),
            )
        )
    elif isinstance(item, Mitigation):
        fields.append(("Status", ("mitigation", item.status or "planned")))
        fields.append(("Effect", item.effect))
        if item.due:
            fields.append(("Due", item.due.isoformat()))
        # the threats it mitigates are listed below, with titles and statuses
        fields.append(
            (
                "Service",
                link_of(report, Kind.SERVICE, item.service) if item.service else "product level",
            )
        )
        if item.applies_to:
            fields.append(("Applies to", ("scope", tuple(item.applies_to))))
        fields += [("Owner", item.owner)] if item.owner else []
        fields += [("Verified by", ("url", item.verified_by))] if item.verified_by else []
        links.append(
            (
                "Threats",
                tuple(
                    (link_of(report, Kind.THREAT, t), report.threat_status.get(t))
                    for t in dict.fromkeys(item.mitigates)
                ),
            )
        )
        links.append(
            (
                "Relied on by",
                tuple(
                    (link_of(report, Kind.SERVICE, s), None)
                    for s in report.relied_on_by.get(item.id, ())
                ),
            )
        )
    elif isinstance(item, RiskAcceptance):
        fields.append(("Status", ("acceptance", _acc_state(report, item.id))))
        fields += _refs_field("Threats", report, Kind.THREAT, item.threats)
        if item.service:
            fields.append(("Service", link_of(report, Kind.SERVICE, item.service)))
        fields += [("Owner", item.owner)] if item.owner else []
        fields.append(("Expires", item.expires.isoformat() if item.expires else "-"))
        fields += [("Approved by", item.approved_by)] if item.approved_by else []
        if item.residual_severity:
            fields.append(("Residual severity", ("severity", item.residual_severity)))
    elif isinstance(item, NotApplicable):
        fields += _refs_field("Threats", report, Kind.THREAT, item.threats)
        fields.append(
            (
                "Service",
                link_of(report, Kind.SERVICE, item.service) if item.service else "whole product",
            )
        )
        fields += [("Owner", item.owner)] if item.owner else []
    if item.tags:
        fields.append(("Tags", ("tags", item.tags)))
    return (item.kind.value, item.id, tuple(fields), tuple(links))


def _refs_field(name: str, report: Report, kind: Kind, ids: Sequence[str]) -> list[tuple[str, Any]]:
    if not ids:
        return []
    return [(name, tuple(link_of(report, kind, i) for i in ids))]


def _pair_rows(
    report: Report, pairs: Sequence[Coverage], other: Kind
) -> tuple[tuple[Link, Status, tuple[Link, ...]], ...]:
    """Back-link rows of (threat, service) pairs: the other side, the pair's
    status and what decides it."""
    return tuple(
        (
            link_of(report, other, c.threat if other is Kind.THREAT else c.service),
            c.status,
            tuple(_by_link(report, b) for b in c.by),
        )
        for c in pairs
    )


def _by_link(report: Report, ident: str) -> Link:
    item = report.index.get(ident)
    kind = item.kind if item is not None else Kind.MITIGATION
    return link_of(report, kind, ident)


def _mit_state(report: Report, ident: str) -> str:
    mit = report.get(ident, Kind.MITIGATION)
    if not isinstance(mit, Mitigation):
        return "unknown"
    state = mit.status or "planned"
    return state if mit.is_full else f"{state}, partial"


def _acc_state(report: Report, ident: str) -> str:
    acc = report.get(ident, Kind.RISK_ACCEPTANCE)
    if not isinstance(acc, RiskAcceptance):
        return "unknown"
    state = report.acceptance_state.get(ident, AcceptanceState.INVALID)
    if state is not AcceptanceState.VALID:
        return state.value
    return f"valid until {acc.expires.isoformat()}" if acc.expires else "valid"


def _na_state(report: Report, ident: str) -> str:
    na = report.get(ident, Kind.NOT_APPLICABLE)
    if isinstance(na, NotApplicable) and na.service:
        return f"for {na.service}"
    return "whole product"


def _matches(report: Report, threat: Threat, filters: Mapping[str, Sequence[str]]) -> bool:
    for key, wanted in filters.items():
        if not wanted:
            continue
        if key == "service":
            if threat.service not in wanted and not set(report.scope.get(threat.id, ())) & set(
                wanted
            ):
                return False
        elif key == "category":
            if not set(threat.category) & set(wanted):
                return False
        elif key == "severity":
            if (threat.severity or "") not in wanted:
                return False
        elif key == "status":
            if str(report.threat_status.get(threat.id)) not in wanted:
                return False
        elif key == "tags" and not set(threat.tags) & set(wanted):
            return False
    return True


def selected_threats(report: Report, filters: Mapping[str, Sequence[str]]) -> list[Threat]:
    """Threats passing the report filters, by severity then ID."""
    severities = report.settings.severities
    chosen = [
        t for t in report.index.values() if isinstance(t, Threat) and _matches(report, t, filters)
    ]
    return sorted(chosen, key=lambda t: (severity_rank(t.severity, severities), t.id))


def matrix_view(
    report: Report, filters: Mapping[str, Sequence[str]], group_by: str | None
) -> tuple[Any, ...]:
    """Rows of ``threat-matrix``, grouped."""
    groups: dict[str, list[tuple[Any, ...]]] = defaultdict(list)
    for threat in selected_threats(report, filters):
        pairs = report.threat_coverage(threat.id)
        counted = [c for c in pairs if c.status is not Status.NOT_APPLICABLE]
        covered = sum(1 for c in counted if c.status.covered)
        worst = worst_status(c.status for c in counted)
        row = (
            link_of(report, Kind.THREAT, threat.id),
            threat.category,
            threat.severity,
            link_of(report, Kind.SERVICE, threat.service) if threat.service else None,
            tuple(
                (link_of(report, Kind.MITIGATION, m), _mit_state(report, m))
                for m in report.mitigations_of.get(threat.id, ())
            ),
            tuple(
                (link_of(report, Kind.RISK_ACCEPTANCE, a), _acc_state(report, a))
                for a in report.acceptances_of.get(threat.id, ())
            ),
            report.threat_status.get(threat.id),
            covered,
            len(counted),
            worst,
        )
        if group_by == "category":
            keys: Sequence[str] = threat.category or ("(none)",)
        elif group_by == "service":
            keys = (threat.service or "product level",)
        elif group_by == "severity":
            keys = (threat.severity or "(none)",)
        elif group_by == "tag":
            keys = threat.tags or ("(none)",)
        else:
            keys = ("",)
        for key in keys:
            groups[key].append(row)
    order = _group_order(report, group_by, groups)
    return tuple((key, tuple(groups[key])) for key in order)


def _group_order(report: Report, group_by: str | None, groups: Mapping[str, Any]) -> list[str]:
    if group_by == "severity":
        return sorted(
            groups,
            key=lambda s: (
                severity_rank(None if s == "(none)" else s, report.settings.severities)
                + (s == "(none)") * 99
            ),
        )
    return sorted(groups, key=lambda g: (g.startswith("("), g == "product level", g))


def coverage_view(report: Report, filters: Mapping[str, Sequence[str]]) -> tuple[Any, ...]:
    """Per service, its threats in scope and their status (``threat-coverage``)."""
    threat_filters = {k: v for k, v in filters.items() if k not in ("service", "status")}
    wanted = {t.id for t in selected_threats(report, threat_filters)}
    services = filters.get("service") or report.services
    statuses = set(filters.get("status") or ())
    out = []
    for s in sorted(set(services) & set(report.services)):
        rows = []
        for cov in report.service_coverage(s):
            if cov.threat not in wanted:
                continue
            shown = GAP_STATUS if cov.status is Status.UNMITIGATED else cov.status.value
            if statuses and shown not in statuses and cov.status.value not in statuses:
                continue
            threat = report.threat(cov.threat)
            rows.append(
                (
                    link_of(report, Kind.THREAT, cov.threat),
                    threat.severity if threat else None,
                    cov.status,
                    tuple(_by_link(report, b) for b in cov.by),
                )
            )
        out.append((link_of(report, Kind.SERVICE, s), tuple(rows)))
    return tuple(out)


def gaps_view(report: Report, filters: Mapping[str, Sequence[str]]) -> tuple[Any, ...]:
    """Every gap, grouped by kind (``threat-gaps``)."""
    active = {k: v for k, v in filters.items() if v}
    wanted = None
    if active:
        wanted = {t.id for t in selected_threats(report, active)}
        wanted |= set(active.get("service", ()))
    grouped: dict[GapKind, list[tuple[Any, ...]]] = defaultdict(list)
    for gap in report.gaps:
        if wanted is not None and not set(gap.ids) & wanted:
            continue
        grouped[gap.kind].append(
            (
                gap.message,
                gap.location.file,
                gap.location.lineno,
                _fix_link(report, gap),
            )
        )
    return tuple((kind.value, tuple(grouped[kind])) for kind in GapKind if grouped.get(kind))


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


def summary_view(report: Report, filters: Mapping[str, Sequence[str]]) -> tuple[Any, ...]:
    """Counts by status and severity; coverage per service (``threat-summary``)."""
    severities = report.settings.severities
    threats = selected_threats(report, filters)
    counts: Counter[tuple[str, str]] = Counter()
    for t in threats:
        counts[(str(report.threat_status.get(t.id)), t.severity or "unknown")] += 1
    severity_cols = list(severities) + (
        ["unknown"] if any(k[1] == "unknown" for k in counts) else []
    )
    status_rows = tuple(
        (status.value, tuple(counts[(status.value, s)] for s in severity_cols)) for status in Status
    )
    wanted = {t.id for t in threats}
    services = filters.get("service") or report.services
    per_service = []
    for s in sorted(set(services) & set(report.services)):
        pairs = [
            c
            for c in report.service_coverage(s)
            if c.threat in wanted and c.status is not Status.NOT_APPLICABLE
        ]
        per_service.append((link_of(report, Kind.SERVICE, s), *coverage_percentages(report, pairs)))
    gap_counts = Counter(g.kind.value for g in report.gaps)
    return (
        tuple(severity_cols),
        status_rows,
        tuple(per_service),
        tuple(sorted(gap_counts.items())),
    )
