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
    CoveragePercent,
    Gap,
    Report,
    assumption_is_stale,
    overall_coverage,
    service_figures,
    severity_rank,
)
from .model import (
    STATUS_ORDER,
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
    where = item.location
    return Link(kind.value, ident, item.title, where.docname, where.uri)


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
    """A mitigation or decision on a threat, with its state (``implemented, partial``)."""

    link: Link
    state: str


#: ``threat-matrix`` columns by name, in their default order; a ``:columns:``
#: option picks and orders them.
MATRIX_COLUMNS: dict[str, str] = {
    "threat": "the threat: linked ID and title, with its severity and category badges",
    "status": "its computed overall status",
    "services": '"k of n services covered" with the worst service status',
    "mitigations": "its mitigations, linked, with their status",
    "decisions": "its risk acceptances and not-applicable items, with their state",
    "severity": "its severity (then left out of the threat column)",
    "category": "its categories (then left out of the threat column)",
    "owner": "its owning service",
    "tags": "its tags",
}
#: Columns shown without ``:columns:``.
DEFAULT_MATRIX_COLUMNS = ("threat", "status", "services", "mitigations", "decisions")
#: The column each ``:group-by:`` makes redundant.
_GROUPED_COLUMN = {
    "category": "category",
    "severity": "severity",
    "service": "owner",
    "tag": "tags",
}


class MatrixRow(NamedTuple):
    """One threat of ``threat-matrix``."""

    threat: Link
    categories: tuple[str, ...]
    severity: str | None
    #: The owning service, or ``None`` at product level.
    service: Link | None
    mitigations: tuple[MitigationState, ...]
    #: Risk acceptances, then not-applicable items.
    decisions: tuple[MitigationState, ...]
    status: Status | None
    #: Services in scope covered, of those in scope (not counting not-applicable).
    covered: int
    total: int
    worst: Status | None
    tags: tuple[str, ...] = ()


class MatrixGroup(NamedTuple):
    """Rows under one ``:group-by:`` key (``""`` when not grouped)."""

    key: str
    rows: tuple[MatrixRow, ...]


class MatrixView(NamedTuple):
    """What ``threat-matrix`` shows."""

    #: Column names (of :data:`MATRIX_COLUMNS`), in order.
    columns: tuple[str, ...]
    #: Badges the threat column carries (``severity``, ``category``).
    badges: tuple[str, ...]
    groups: tuple[MatrixGroup, ...]


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


def matrix_columns(request: ReportRequest) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The columns of a ``threat-matrix`` and the badges of its threat column."""
    group_by = request.option("group-by")
    chosen = request.option("columns")
    columns = tuple(chosen.split(",")) if chosen else DEFAULT_MATRIX_COLUMNS
    grouped = _GROUPED_COLUMN.get(group_by or "")
    columns = tuple(c for c in columns if c != grouped)
    badges = tuple(b for b in ("severity", "category") if b not in columns and b != grouped)
    return columns, badges


def matrix_view(report: Report, request: ReportRequest) -> MatrixView:
    """Rows of ``threat-matrix``, grouped."""
    group_by = request.option("group-by")
    groups: dict[str, list[MatrixRow]] = defaultdict(list)
    for threat in selected_threats(report, request.filter_map):
        counted = [
            c for c in report.threat_coverage(threat.id) if c.status is not Status.NOT_APPLICABLE
        ]
        decisions = [
            MitigationState(link_of(report, Kind.RISK_ACCEPTANCE, a), _acc_state(report, a))
            for a in report.acceptances_of.get(threat.id, ())
        ]
        decisions += [
            MitigationState(link_of(report, Kind.NOT_APPLICABLE, n), _na_state(report, n))
            for n in report.exclusions_of.get(threat.id, ())
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
            tuple(decisions),
            report.threat_status.get(threat.id),
            sum(1 for c in counted if c.status.covered),
            len(counted),
            worst_status(c.status for c in counted),
            threat.tags,
        )
        for key in _group_keys(threat, group_by):
            groups[key].append(row)
    order = _group_order(report, group_by, groups)
    columns, badges = matrix_columns(request)
    return MatrixView(columns, badges, tuple(MatrixGroup(key, tuple(groups[key])) for key in order))


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


def _coverage_scope(report: Report, request: ReportRequest) -> tuple[list[str], set[str], set[str]]:
    """Services shown, threats wanted, and the statuses asked for."""
    filters = request.filter_map
    threat_filters = {k: v for k, v in filters.items() if k not in ("service", "status")}
    wanted = {t.id for t in selected_threats(report, threat_filters)}
    services = filters.get("service") or report.services
    return sorted(set(services) & set(report.services)), wanted, set(filters.get("status") or ())


def _status_wanted(status: Status, statuses: set[str]) -> bool:
    shown = GAP_STATUS if status is Status.UNMITIGATED else status.value
    return not statuses or shown in statuses or status.value in statuses


def coverage_view(
    report: Report, request: ReportRequest
) -> tuple[ServiceCoverage, ...] | CoverageGrid:
    """Per service, its threats in scope and their status (``threat-coverage``)."""
    if request.option("layout") == "grid":
        return coverage_grid(report, request)
    services, wanted, statuses = _coverage_scope(report, request)
    out = []
    for s in services:
        rows = []
        for cov in report.service_coverage(s):
            if cov.threat not in wanted or not _status_wanted(cov.status, statuses):
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
                cells.append(GridCell(status, True, tuple(_by_link(report, b) for b in by)))
            elif s in pairs:
                pair = pairs[s]
                cells.append(
                    GridCell(pair.status, False, tuple(_by_link(report, b) for b in pair.by))
                )
            else:
                cells.append(None)
        if any(c is not None and _status_wanted(c.status, statuses) for c in cells):
            rows.append(
                GridRow(link_of(report, Kind.THREAT, threat.id), threat.severity, tuple(cells))
            )
    return CoverageGrid(tuple(link_of(report, Kind.SERVICE, s) for s in services), tuple(rows))


class RiskCell(NamedTuple):
    """One cell of the risk map."""

    #: The cell's row and column values (``high``, ``medium``; ``critical``, ``planned``).
    row: str
    column: str
    #: The severity that colours the cell (``None``: not coloured).
    severity: str | None
    threats: tuple[BackLink, ...]
    #: How many of them are open (not mitigated, accepted or not-applicable).
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
        axes = ("severity", "status")
        rows = settings.severities
        if any(t.severity not in rows for t in threats):
            rows = (*rows, "unknown")
        columns = tuple(s.value for s in STATUS_ORDER)
        for t in threats:
            severity = t.severity if t.severity in settings.severities else "unknown"
            status = report.threat_status.get(t.id, Status.UNMITIGATED)
            keyed[(severity, status.value)].append(t)

        def colour(row: str, column: str) -> str | None:
            return row if row != "unknown" else None

    def cell(row: str, column: str) -> RiskCell:
        members = keyed.get((row, column), [])
        return RiskCell(
            row,
            column,
            colour(row, column),
            _threat_links(report, (t.id for t in members)),
            sum(1 for t in members if report.threat_status.get(t.id) not in _CLOSED),
        )

    return RiskMap(
        axes,
        tuple(rows),
        tuple(columns),
        tuple(tuple(cell(r, c) for c in columns) for r in rows),
        _threat_links(report, (t.id for t in unplaced)),
    )


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
    """Coverage of one service: own threats, product threats in scope, total."""

    service: Link
    own: CoveragePercent
    in_scope: CoveragePercent
    total: CoveragePercent


class SummaryView(NamedTuple):
    """What ``threat-summary`` shows."""

    severities: tuple[str, ...]
    statuses: tuple[StatusCounts, ...]
    #: Worst coverage first.
    services: tuple[ServiceSummary, ...]
    #: (gap kind, count), by kind.
    gap_counts: tuple[tuple[str, int], ...]
    #: Coverage of the whole model (as in ``threats.json``'s summary).
    overall: CoveragePercent | None = None


def _worst_first(row: ServiceSummary) -> tuple[bool, float, float, str]:
    total = row.total
    # services with nothing to answer go last
    return (
        total.percent is None,
        total.percent or 0.0,
        total.weighted or 0.0,
        row.service.id,
    )


def summary_view(report: Report, request: ReportRequest) -> SummaryView:
    """Counts by status and severity; coverage per service (``threat-summary``)."""
    filters = request.filter_map
    severities = report.settings.severities
    threats = selected_threats(report, filters)
    counts: Counter[tuple[str, str]] = Counter()
    for t in threats:
        # the counts are this project's threats; another project's threats
        # (threats_external) count only where they are in scope of a service
        if not t.location.external:
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
        figures = service_figures(report, s, wanted)
        per_service.append(
            ServiceSummary(
                link_of(report, Kind.SERVICE, s), figures.own, figures.in_scope, figures.total
            )
        )
    per_service.sort(key=_worst_first)
    gap_counts = Counter(g.kind.value for g in report.gaps)
    # the overall figure is the model's, like the badge's; a filtered summary
    # does not show it (it would not be the same figure)
    overall = None if any(filters.values()) else overall_coverage(report)
    return SummaryView(
        tuple(severity_cols),
        status_rows,
        tuple(per_service),
        tuple(sorted(gap_counts.items())),
        overall,
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


class ReportOption(NamedTuple):
    """One of a report's own options: the values it allows."""

    values: tuple[str, ...]
    #: Takes a comma list of values (kept in the order given), not one value.
    many: bool = False
    help: str = ""


class ReportSpec(NamedTuple):
    """One report directive: its own options and how its view is computed."""

    name: str
    #: Its own options (besides the filters).
    options: Mapping[str, ReportOption]
    view: Callable[[Report, ReportRequest], Any]
    #: The :class:`~.render.Renderer` method drawing the view.
    draw: str


#: Every report directive, by name: read by the directives, the events,
#: the renderer and the reference documentation.
REPORTS: dict[str, ReportSpec] = {
    spec.name: spec
    for spec in (
        ReportSpec(
            "threat-matrix",
            {
                "columns": ReportOption(
                    tuple(MATRIX_COLUMNS), many=True, help="which columns, in this order"
                ),
                "group-by": ReportOption(
                    GROUP_BY, help="one table per value; the grouped column is left out"
                ),
            },
            matrix_view,
            "matrix",
        ),
        ReportSpec(
            "threat-coverage",
            {
                "layout": ReportOption(
                    COVERAGE_LAYOUTS,
                    help="``list`` (default): one block per service; ``grid``: threats "
                    "as rows, services as columns",
                )
            },
            coverage_view,
            "coverage",
        ),
        ReportSpec("threat-gaps", {}, gaps_view, "gaps"),
        ReportSpec("threat-summary", {}, summary_view, "summary"),
        ReportSpec("threat-risk-map", {}, risk_map_view, "risk_map"),
    )
}


def report_view(report: Report, request: ReportRequest) -> Any:
    """The view of one report directive."""
    return REPORTS[request.name].view(report, request)
