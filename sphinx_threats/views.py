"""What each item block and report shows, as plain data (no docutils).

A *view* is a typed record (:class:`ItemView`, :class:`MatrixRow`, ...) of
strings, statuses and :class:`Link`, built from the
:class:`~.analysis.Report`.  ``render`` draws nodes from views; the digest of
the views on a page tells which pages must be rewritten after an edit
elsewhere (see ``events.pages_to_rewrite``).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, NamedTuple

from .analysis import (
    AcceptanceState,
    Coverage,
    Gap,
    Report,
    assumption_is_stale,
    coverage_percentages,
    severity_rank,
)
from .model import (
    Assumption,
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
    #: Target page (part of the view so a move rewrites the referring page);
    #: ``""`` when the item is on no page of this project.
    docname: str = ""
    #: An absolute URI (an item of another project), used when ``docname`` is empty.
    uri: str = ""


# -- field values: a closed set of small types, drawn by ``render`` with ``match`` ----------


class StatusValue(NamedTuple):
    """A computed status (``None``: unknown)."""

    status: Status | None


class Badge(NamedTuple):
    """A word shown as a badge of a family (``severity``, ``mitigation``, ``acceptance``)."""

    family: str
    text: str


class Categories(NamedTuple):
    """Category IDs, shown with their labels."""

    ids: tuple[str, ...]


class Tags(NamedTuple):
    """Free-form tags."""

    tags: tuple[str, ...]


class ScopeTerms(NamedTuple):
    """``:applies-to:`` terms as written (``*``, ``!ID``)."""

    terms: tuple[str, ...]


class Numbers(NamedTuple):
    """CWE or CAPEC numbers, linked to their catalogue."""

    catalogue: str
    numbers: tuple[str, ...]


class Links(NamedTuple):
    """Links to items, shown as their IDs."""

    links: tuple[Link, ...]


class Url(NamedTuple):
    """Text that is a link when it is an http(s) URL."""

    text: str


#: What a field can show.
FieldValue = (
    str | Link | Links | StatusValue | Badge | Categories | Tags | ScopeTerms | Numbers | Url
)


class Field(NamedTuple):
    """One row of an item's field list."""

    name: str
    value: FieldValue


class BackLink(NamedTuple):
    """One computed back-link: the other item, its state there, and what decides it."""

    link: Link
    #: A computed status, a state word (``valid until ...``), or nothing.
    state: Status | str | None = None
    #: For (threat, service) pairs: what decides the pair's status.
    by: tuple[Link, ...] = ()


class BackLinks(NamedTuple):
    """A titled section of back-links."""

    title: str
    rows: tuple[BackLink, ...]


class ItemView(NamedTuple):
    """Everything an item block shows."""

    kind: str
    id: str
    fields: tuple[Field, ...]
    links: tuple[BackLinks, ...]


def link_of(report: Report, kind: Kind, ident: str) -> Link:
    """A link to ``ident`` (a kind-checked lookup)."""
    item = report.get(ident, kind)
    if item is None:
        return Link(kind.value, ident, None)
    return Link(kind.value, ident, item.title, item.location.docname)


def _threat_links(report: Report, ids: Iterable[str]) -> tuple[BackLink, ...]:
    return tuple(
        BackLink(link_of(report, Kind.THREAT, t), report.threat_status.get(t)) for t in ids
    )


def _owner_field(report: Report, service: str | None, otherwise: str) -> Field:
    """The ``Service`` field: the owning service, or what its absence means."""
    return Field("Service", link_of(report, Kind.SERVICE, service) if service else otherwise)


def _text_fields(**named: str) -> list[Field]:
    """A field for each non-empty text (names with ``_`` for spaces)."""
    return [Field(name.replace("_", " "), value) for name, value in named.items() if value]


def item_view(report: Report, item: Item) -> ItemView:
    """Everything an item block shows, as plain data (see the module doc)."""
    fields: list[Field]
    links: list[BackLinks] = []
    if isinstance(item, ThreatActor):
        fields = _text_fields(Description=item.description)
        links.append(
            BackLinks("Threats", _threat_links(report, report.threats_of_actor.get(item.id, ())))
        )
    elif isinstance(item, Service):
        fields = _text_fields(Owner=item.owner)
        fields += _refs_field("Exposed to", report, Kind.THREAT, item.exposed_to)
        fields += _refs_field("Relies on", report, Kind.MITIGATION, item.relies_on)
        fields += _refs_field("Depends on", report, Kind.SERVICE, item.depends_on)
        own = report.threats_of_service.get(item.id, ())
        links.append(BackLinks("Own threats", _threat_links(report, own)))
        in_scope = _pair_rows(report, report.service_coverage(item.id), Kind.THREAT)
        links.append(BackLinks("Product threats in scope", in_scope))
    elif isinstance(item, Threat):
        fields, links = _threat_view(report, item)
    elif isinstance(item, Mitigation):
        fields = [
            Field("Status", Badge("mitigation", item.status or "planned")),
            Field("Effect", item.effect),
            *_text_fields(Due=item.due.isoformat() if item.due else ""),
            # the threats it mitigates are listed below, with titles and statuses
            _owner_field(report, item.service, "product level"),
            *_scope_field(item.applies_to),
            *_text_fields(Owner=item.owner),
        ]
        if item.verified_by:
            fields.append(Field("Verified by", Url(item.verified_by)))
        links.append(BackLinks("Threats", _threat_links(report, dict.fromkeys(item.mitigates))))
        relied = report.relied_on_by.get(item.id, ())
        links.append(
            BackLinks(
                "Relied on by", tuple(BackLink(link_of(report, Kind.SERVICE, s)) for s in relied)
            )
        )
    elif isinstance(item, RiskAcceptance):
        fields = [Field("Status", Badge("acceptance", _acc_state(report, item.id)))]
        fields += _refs_field("Threats", report, Kind.THREAT, item.threats)
        if item.service:
            fields.append(_owner_field(report, item.service, ""))
        fields += _text_fields(Owner=item.owner)
        fields.append(Field("Expires", item.expires.isoformat() if item.expires else "-"))
        fields += _text_fields(Approved_by=item.approved_by)
        if item.residual_severity:
            fields.append(Field("Residual severity", Badge("severity", item.residual_severity)))
    elif isinstance(item, Assumption):
        fields = [Field("Status", Badge("assumption", _assumption_state(report, item.id)))]
        fields += _refs_field("Threats", report, Kind.THREAT, item.threats)
        fields += _refs_field("Mitigations", report, Kind.MITIGATION, item.mitigations)
        fields += _text_fields(Owner=item.owner)
        fields += _text_fields(Review_by=item.review_by.isoformat() if item.review_by else "")
    else:
        assert isinstance(item, NotApplicable)
        fields = _refs_field("Threats", report, Kind.THREAT, item.threats)
        fields.append(_owner_field(report, item.service, "whole product"))
        fields += _text_fields(Owner=item.owner)
    if item.tags:
        fields.append(Field("Tags", Tags(item.tags)))
    if isinstance(item, Threat | Mitigation):
        links.append(_rests_on(report, item.id))
    return ItemView(item.kind.value, item.id, tuple(fields), tuple(links))


def _threat_view(report: Report, item: Threat) -> tuple[list[Field], list[BackLinks]]:
    fields = [
        Field("Status", StatusValue(report.threat_status.get(item.id))),
        Field("Severity", Badge("severity", item.severity or "unknown")),
    ]
    if item.category:
        fields.append(Field("Category", Categories(item.category)))
    if item.likelihood or item.impact:
        fields.append(
            Field("Likelihood / impact", f"{item.likelihood or '-'} / {item.impact or '-'}")
        )
    fields += _refs_field("Actors", report, Kind.THREAT_ACTOR, item.actors)
    fields.append(_owner_field(report, item.service, "product level"))
    fields += _scope_field(item.applies_to)
    fields += [Field("CWE", Numbers("cwe", item.cwe))] if item.cwe else []
    fields += [Field("CAPEC", Numbers("capec", item.capec))] if item.capec else []
    links = [
        BackLinks(
            title,
            tuple(
                BackLink(link_of(report, kind, i), state(report, i)) for i in index.get(item.id, ())
            ),
        )
        for title, kind, index, state in (
            ("Mitigations", Kind.MITIGATION, report.mitigations_of, _mit_state),
            ("Risk acceptances", Kind.RISK_ACCEPTANCE, report.acceptances_of, _acc_state),
            ("Not applicable", Kind.NOT_APPLICABLE, report.exclusions_of, _na_state),
        )
    ]
    in_scope = _pair_rows(report, report.threat_coverage(item.id), Kind.SERVICE)
    links.append(BackLinks("Services in scope", in_scope))
    return fields, links


def _scope_field(terms: tuple[str, ...]) -> list[Field]:
    return [Field("Applies to", ScopeTerms(terms))] if terms else []


def _refs_field(name: str, report: Report, kind: Kind, ids: Sequence[str]) -> list[Field]:
    if not ids:
        return []
    return [Field(name, Links(tuple(link_of(report, kind, i) for i in ids)))]


def _pair_rows(report: Report, pairs: Sequence[Coverage], other: Kind) -> tuple[BackLink, ...]:
    """Back-link rows of (threat, service) pairs: the other side, the pair's
    status and what decides it."""
    return tuple(
        BackLink(
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


def _assumption_state(report: Report, ident: str) -> str:
    assumption = report.get(ident, Kind.ASSUMPTION)
    if not isinstance(assumption, Assumption):
        return "unknown"
    if assumption_is_stale(assumption, report.settings):
        return "stale"
    if assumption.review_by:
        return f"review by {assumption.review_by.isoformat()}"
    return "holds"


def _rests_on(report: Report, ident: str) -> BackLinks:
    """The assumptions a threat or mitigation rests on (context, never a decision)."""
    rows = tuple(
        BackLink(link_of(report, Kind.ASSUMPTION, a), _assumption_state(report, a))
        for a in report.rests_on.get(ident, ())
    )
    return BackLinks("Rests on", rows)


def _na_state(report: Report, ident: str) -> str:
    na = report.get(ident, Kind.NOT_APPLICABLE)
    if isinstance(na, NotApplicable) and na.service:
        return f"for {na.service}"
    return "whole product"


def _matches(report: Report, threat: Threat, filters: Mapping[str, Sequence[str]]) -> bool:
    return all(
        _passes(report, threat, key, set(wanted)) for key, wanted in filters.items() if wanted
    )


def _passes(report: Report, threat: Threat, key: str, wanted: set[str]) -> bool:
    """Whether ``threat`` passes one report filter."""
    match key:
        case "service":
            in_scope = report.scope.get(threat.id, ())
            return threat.service in wanted or not wanted.isdisjoint(in_scope)
        case "category":
            return not wanted.isdisjoint(threat.category)
        case "severity":
            return (threat.severity or "") in wanted
        case "status":
            return str(report.threat_status.get(threat.id)) in wanted
        case "tags":
            return not wanted.isdisjoint(threat.tags)
    return True


def selected_threats(report: Report, filters: Mapping[str, Sequence[str]]) -> list[Threat]:
    """Threats passing the report filters, by severity then ID."""
    severities = report.settings.severities
    chosen = [
        t for t in report.index.values() if isinstance(t, Threat) and _matches(report, t, filters)
    ]
    return sorted(chosen, key=lambda t: (severity_rank(t.severity, severities), t.id))


class MitigationState(NamedTuple):
    """A mitigation of a threat, with its state (``implemented, partial``)."""

    link: Link
    state: str


class MatrixRow(NamedTuple):
    """One threat of ``threat-matrix``."""

    threat: Link
    categories: tuple[str, ...]
    severity: str | None
    #: The owning service, or ``None`` at product level.
    service: Link | None
    mitigations: tuple[MitigationState, ...]
    acceptances: tuple[MitigationState, ...]
    status: Status | None
    #: Services in scope covered, of those in scope (not counting not-applicable).
    covered: int
    total: int
    worst: Status | None


class MatrixGroup(NamedTuple):
    """Rows under one ``:group-by:`` key (``""`` when not grouped)."""

    key: str
    rows: tuple[MatrixRow, ...]


def _group_keys(threat: Threat, group_by: str | None) -> Sequence[str]:
    match group_by:
        case "category":
            return threat.category or ("(none)",)
        case "service":
            return (threat.service or "product level",)
        case "severity":
            return (threat.severity or "(none)",)
        case "tag":
            return threat.tags or ("(none)",)
    return ("",)


def matrix_view(report: Report, request: ReportRequest) -> tuple[MatrixGroup, ...]:
    """Rows of ``threat-matrix``, grouped."""
    group_by = request.option("group-by")
    groups: dict[str, list[MatrixRow]] = defaultdict(list)
    for threat in selected_threats(report, request.filter_map):
        counted = [
            c for c in report.threat_coverage(threat.id) if c.status is not Status.NOT_APPLICABLE
        ]
        row = MatrixRow(
            link_of(report, Kind.THREAT, threat.id),
            threat.category,
            threat.severity,
            link_of(report, Kind.SERVICE, threat.service) if threat.service else None,
            tuple(
                MitigationState(link_of(report, Kind.MITIGATION, m), _mit_state(report, m))
                for m in report.mitigations_of.get(threat.id, ())
            ),
            tuple(
                MitigationState(link_of(report, Kind.RISK_ACCEPTANCE, a), _acc_state(report, a))
                for a in report.acceptances_of.get(threat.id, ())
            ),
            report.threat_status.get(threat.id),
            sum(1 for c in counted if c.status.covered),
            len(counted),
            worst_status(c.status for c in counted),
        )
        for key in _group_keys(threat, group_by):
            groups[key].append(row)
    order = _group_order(report, group_by, groups)
    return tuple(MatrixGroup(key, tuple(groups[key])) for key in order)


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


def coverage_view(report: Report, request: ReportRequest) -> tuple[ServiceCoverage, ...]:
    """Per service, its threats in scope and their status (``threat-coverage``)."""
    filters = request.filter_map
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
                CoverageRow(
                    link_of(report, Kind.THREAT, cov.threat),
                    threat.severity if threat else None,
                    cov.status,
                    tuple(_by_link(report, b) for b in cov.by),
                )
            )
        out.append(ServiceCoverage(link_of(report, Kind.SERVICE, s), tuple(rows)))
    return tuple(out)


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


class StatusCounts(NamedTuple):
    """Threats of one status, per severity column."""

    status: str
    counts: tuple[int, ...]


class ServiceSummary(NamedTuple):
    """Coverage of one service."""

    service: Link
    covered: int
    total: int
    percent: float | None
    weighted: float | None


class SummaryView(NamedTuple):
    """What ``threat-summary`` shows."""

    severities: tuple[str, ...]
    statuses: tuple[StatusCounts, ...]
    services: tuple[ServiceSummary, ...]
    #: (gap kind, count), by kind.
    gap_counts: tuple[tuple[str, int], ...]


def summary_view(report: Report, request: ReportRequest) -> SummaryView:
    """Counts by status and severity; coverage per service (``threat-summary``)."""
    filters = request.filter_map
    severities = report.settings.severities
    threats = selected_threats(report, filters)
    counts: Counter[tuple[str, str]] = Counter()
    for t in threats:
        counts[(str(report.threat_status.get(t.id)), t.severity or "unknown")] += 1
    severity_cols = list(severities) + (
        ["unknown"] if any(k[1] == "unknown" for k in counts) else []
    )
    status_rows = tuple(
        StatusCounts(status.value, tuple(counts[(status.value, s)] for s in severity_cols))
        for status in Status
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
        per_service.append(
            ServiceSummary(link_of(report, Kind.SERVICE, s), *coverage_percentages(report, pairs))
        )
    gap_counts = Counter(g.kind.value for g in report.gaps)
    return SummaryView(
        tuple(severity_cols), status_rows, tuple(per_service), tuple(sorted(gap_counts.items()))
    )


# -- the reports ----------------------------------------------------------------------------


class ReportRequest(NamedTuple):
    """One report directive as written: which report, its filters and options.

    Kept per page in the domain, so the page's digest covers the report.
    """

    name: str
    #: (filter option, values), sorted.
    filters: tuple[tuple[str, tuple[str, ...]], ...] = ()
    #: (option, value) of the report's own options, sorted.
    options: tuple[tuple[str, str], ...] = ()

    @property
    def filter_map(self) -> dict[str, tuple[str, ...]]:
        """The filters as a mapping."""
        return dict(self.filters)

    def option(self, name: str) -> str | None:
        """The value of one of the report's own options, if given."""
        return dict(self.options).get(name)


class ReportSpec(NamedTuple):
    """One report directive: its own options and how its view is computed."""

    name: str
    #: Its own options (besides the filters) and the values each allows.
    options: Mapping[str, tuple[str, ...]]
    view: Callable[[Report, ReportRequest], Any]
    #: The :class:`~.render.Renderer` method drawing the view.
    draw: str


#: Every report directive, by name: read by the directives, the events and
#: the renderer.
REPORTS: dict[str, ReportSpec] = {
    spec.name: spec
    for spec in (
        ReportSpec("threat-matrix", {"group-by": GROUP_BY}, matrix_view, "matrix"),
        ReportSpec("threat-coverage", {}, coverage_view, "coverage"),
        ReportSpec("threat-gaps", {}, gaps_view, "gaps"),
        ReportSpec("threat-summary", {}, summary_view, "summary"),
    )
}


def report_view(report: Report, request: ReportRequest) -> Any:
    """The view of one report directive."""
    return REPORTS[request.name].view(report, request)
