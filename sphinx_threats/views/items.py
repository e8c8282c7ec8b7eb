"""What an item block shows: its fields and its computed back-links."""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from ..analysis import Coverage, Report, assumption_is_stale
from ..evidence import TEST_PREFIX
from ..model import (
    Assumption,
    DataFlow,
    DataStore,
    ExternalEntity,
    Item,
    Kind,
    Mitigation,
    NotApplicable,
    RiskAcceptance,
    Service,
    Status,
    Threat,
    ThreatActor,
    TrustBoundary,
    natural_key,
    severity_word,
)
from ..review import decision_links
from .backlinks import (
    BackLink,
    Link,
    acceptance_state,
    decided_by,
    exclusion_state,
    link_of,
    mitigation_state,
    mitigation_status,
    review_notes,
    threat_links,
)

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


class VerifiedBy(NamedTuple):
    """``:verified-by:`` entries, each shown as written (linked when an http(s)
    URL) with its test result when judged; then the tests that name the
    mitigation in their ``mitigates`` property."""

    #: (entry, result): the result is ``None`` for an entry nothing judges.
    entries: tuple[tuple[str, str | None], ...]


#: What a field can show.
FieldValue = (
    str | Link | Links | StatusValue | Badge | Categories | Tags | ScopeTerms | Numbers | VerifiedBy
)


class Field(NamedTuple):
    """One row of an item's field list."""

    name: str
    value: FieldValue


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
            BackLinks("Threats", threat_links(report, report.threats_of_actor.get(item.id, ())))
        )
    elif isinstance(item, Service):
        fields = _text_fields(Owner=item.owner)
        fields += _refs_field("Exposed to", report, Kind.THREAT, item.exposed_to)
        fields += _refs_field("Relies on", report, Kind.MITIGATION, item.relies_on)
        fields += _refs_field("Depends on", report, Kind.SERVICE, item.depends_on)
        own = report.threats_of_service.get(item.id, ())
        links.append(BackLinks("Own threats", threat_links(report, own)))
        in_scope = _pair_rows(report, report.service_coverage(item.id), Kind.THREAT)
        links.append(BackLinks("Product threats in scope", in_scope))
        fields += _inside_field(report, item.id)
        links += _node_links(report, item.id, threats=False)
        stores = report.elements.stores_of.get(item.id, ())
        links.append(BackLinks("Data stores", _element_rows(report, stores)))
    elif isinstance(item, DataStore | ExternalEntity | DataFlow | TrustBoundary):
        fields, links = _element_view(report, item)
    elif isinstance(item, Threat):
        fields, links = _threat_view(report, item)
    elif isinstance(item, Mitigation):
        fields = [
            Field("Status", Badge("mitigation", mitigation_status(report, item))),
            Field("Effect", item.effect),
            *_text_fields(Due=item.due.isoformat() if item.due else ""),
            # the threats it mitigates are listed below, with titles and statuses
            _owner_field(report, item.service, "product level"),
            *_scope_field(item.applies_to),
            *_text_fields(Owner=item.owner),
        ]
        fields += _verified_by(report, item)
        links.append(BackLinks("Threats", threat_links(report, dict.fromkeys(item.mitigates))))
        relied = sorted(report.relied_on_by.get(item.id, ()), key=natural_key)
        links.append(
            BackLinks(
                "Relied on by", tuple(BackLink(link_of(report, Kind.SERVICE, s)) for s in relied)
            )
        )
    elif isinstance(item, RiskAcceptance):
        fields = [Field("Status", Badge("acceptance", acceptance_state(report, item.id)))]
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
        if item.elements:  # a decision about elements (see Completeness)
            fields.append(Field("Elements", Links(_element_links(report, item.elements))))
            fields.append(Field("Categories", Categories(item.categories)))
        else:
            fields.append(_owner_field(report, item.service, "whole product"))
        fields += _text_fields(Owner=item.owner)
    if item.tags:
        fields.append(Field("Tags", Tags(item.tags)))
    if report.reviews:
        fields += _text_fields(Review=review_notes(report, item.id, decision_links(item)))
    if isinstance(item, Threat | Mitigation):
        links.append(_rests_on(report, item.id))
    return ItemView(item.kind.value, item.id, tuple(fields), tuple(links))


def _verified_by(report: Report, mit: Mitigation) -> list[Field]:
    """The ``Verified by`` field: each entry, and each judged test with its result."""
    evidence = report.evidence.get(mit.id)
    results = {t.test: t.result for t in evidence.tests} if evidence else {}
    entries: list[tuple[str, str | None]] = []
    for line in mit.verified_by.splitlines():
        test = line.removeprefix(TEST_PREFIX).strip() if line.startswith(TEST_PREFIX) else None
        entries.append((line, results.pop(test, None) if test is not None else None))
    # the tests naming it in their ``mitigates`` property, after what it names
    entries += [(f"{TEST_PREFIX}{test}", result) for test, result in results.items()]
    return [Field("Verified by", VerifiedBy(tuple(entries)))] if entries else []


def _element_link(report: Report, ident: str) -> Link:
    """A link to an element or boundary, whatever its kind."""
    item = report.index.get(ident)
    return link_of(report, item.kind if item is not None else Kind.SERVICE, ident)


def _element_links(report: Report, ids: Sequence[str]) -> tuple[Link, ...]:
    return tuple(_element_link(report, i) for i in ids)


def _element_rows(report: Report, ids: Sequence[str]) -> tuple[BackLink, ...]:
    return tuple(BackLink(_element_link(report, i)) for i in ids)


def _inside_field(report: Report, ident: str) -> list[Field]:
    """The trust boundary directly containing an element or boundary."""
    container = report.elements.container_of.get(ident)
    return [Field("Inside", _element_link(report, container))] if container else []


def _node_links(report: Report, ident: str, *, threats: bool = True) -> list[BackLinks]:
    """The threats about a node of the diagram and its flows in and out."""
    graph = report.elements
    links = []
    if threats:
        links.append(BackLinks("Threats", threat_links(report, graph.about.get(ident, ()))))
    links.append(BackLinks("Data flows in", _element_rows(report, graph.flows_in.get(ident, ()))))
    links.append(BackLinks("Data flows out", _element_rows(report, graph.flows_out.get(ident, ()))))
    return links


def _element_view(
    report: Report, item: DataStore | ExternalEntity | DataFlow | TrustBoundary
) -> tuple[list[Field], list[BackLinks]]:
    """A data store, external entity, data flow or trust boundary: its fields,
    and what it touches, crosses or contains."""
    graph = report.elements
    if isinstance(item, DataStore):
        fields = [_owner_field(report, item.service, "no service"), *_text_fields(Data=item.data)]
        return fields + _inside_field(report, item.id), _node_links(report, item.id)
    if isinstance(item, ExternalEntity):
        fields = _text_fields(Description=item.description)
        return fields + _inside_field(report, item.id), _node_links(report, item.id)
    if isinstance(item, DataFlow):
        fields = [
            Field(name, _element_link(report, end))
            for name, end in (("From", item.from_), ("To", item.to))
            if end
        ]
        fields += _text_fields(Data=item.data, Protocol=item.protocol)
        if item.bidirectional:
            fields.append(Field("Bidirectional", "yes"))
        crosses = BackLinks("Crosses", _element_rows(report, graph.crosses.get(item.id, ())))
        about = graph.about.get(item.id, ())
        return fields, [crosses, BackLinks("Threats", threat_links(report, about))]
    fields = []
    if item.contains:
        fields.append(Field("Contains", Links(_element_links(report, item.contains))))
    fields += _inside_field(report, item.id)
    crossed = _element_rows(report, graph.crossed_by.get(item.id, ()))
    return fields, [BackLinks("Crossed by", crossed)]


def _threat_view(report: Report, item: Threat) -> tuple[list[Field], list[BackLinks]]:
    fields = [
        Field("Status", StatusValue(report.threat_status.get(item.id))),
        Field("Severity", Badge("severity", severity_word(item.severity))),
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
                BackLink(link_of(report, kind, i), state(report, i))
                for i in sorted(index.get(item.id, ()), key=natural_key)
            ),
        )
        for title, kind, index, state in (
            ("Mitigations", Kind.MITIGATION, report.mitigations_of, mitigation_state),
            ("Risk acceptances", Kind.RISK_ACCEPTANCE, report.acceptances_of, acceptance_state),
            ("Not applicable", Kind.NOT_APPLICABLE, report.exclusions_of, exclusion_state),
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
    """Back-link rows of (threat, service) pairs: the other side (in natural
    ID order), the pair's status and what decides it."""

    def side(c: Coverage) -> str:
        return c.threat if other is Kind.THREAT else c.service

    return tuple(
        BackLink(
            link_of(report, other, side(c)),
            c.status,
            tuple(decided_by(report, b) for b in c.by),
        )
        for c in sorted(pairs, key=lambda c: natural_key(side(c)))
    )


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
        for a in sorted(report.rests_on.get(ident, ()), key=natural_key)
    )
    return BackLinks("Rests on", rows)
