"""The elements of the model as a data-flow diagram: containment, crossing, aboutness.

Pure (no Sphinx).  Services (the processes), data stores, external entities
and data flows are the *elements*; trust boundaries contain them.  From the
declarations alone this module computes, once per build:

* containment: each element's or boundary's one direct container (a second
  container, or a cycle, is ``invalid`` and is not followed);
* crossing: a flow crosses a boundary when exactly one of its ends is inside
  it, directly or through nested boundaries (computed, never declared);
* scope through elements: the services a threat's ``:applies-to:`` reaches
  through a data store (its service) or a flow (each end that is a service,
  or a store of one), a boundary naming every flow that crosses it;
* what each threat is *about*: what its ``:applies-to:`` names by ID (never
  through ``*``), its owning service and the services listing it in
  ``:exposed-to:``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Protocol, cast

from .model import (
    ELEMENT_KINDS,
    NODE_KINDS,
    DataFlow,
    DataStore,
    Gap,
    GapKind,
    Item,
    Kind,
    Location,
    Service,
    Threat,
    TrustBoundary,
)


class Declared(Protocol):
    """What this module reads of the analysis' declarations (the first
    declaration of every ID); a protocol, since the analysis sits above it."""

    @property
    def index(self) -> dict[str, Item]:
        """The first declaration of every ID."""
        ...

    @property
    def known(self) -> dict[Kind, set[str]]:
        """Declared IDs per kind."""
        ...

    @property
    def services(self) -> Mapping[str, Service]:
        """Declared services by ID."""
        ...

    @property
    def threats(self) -> Mapping[str, Threat]:
        """Declared threats by ID, in model order."""
        ...

    def items(self, kind: Kind) -> list[Item]:
        """The first declarations of ``kind``."""
        ...


def _fmt(location: Location) -> str:
    return f"{location.file}:{location.lineno}"


@dataclass(frozen=True)
class ElementGraph:
    """The diagram the declarations draw: who contains what, which flows cross
    which boundaries, what touches what; derived, recomputed every build."""

    decl: Declared
    #: The direct container (a trust boundary) of each element or boundary.
    container_of: dict[str, str]
    #: What each boundary directly contains, as declared (and kept).
    contents: dict[str, tuple[str, ...]]
    #: The boundaries each flow crosses (innermost first, its source's side first).
    crosses: dict[str, tuple[str, ...]]
    #: The flows crossing each boundary, in model order.
    crossed_by: dict[str, list[str]]
    #: Flows leaving and entering each node (a bidirectional flow both ways).
    flows_out: dict[str, list[str]]
    flows_in: dict[str, list[str]]
    #: The data stores of each service, in model order.
    stores_of: dict[str, list[str]]
    #: ``invalid`` for a second container or a cycle.
    gaps: list[Gap]

    @property
    def active(self) -> bool:
        """Whether the model declares any store, flow or boundary (else scope is
        the services' alone, and nothing here need be asked)."""
        known = self.decl.known
        return bool(known[Kind.DATA_STORE] or known[Kind.DATA_FLOW] or known[Kind.TRUST_BOUNDARY])

    def kind_of(self, ident: str) -> Kind | None:
        """The kind of the item declared as ``ident`` (``None``: none)."""
        item = self.decl.index.get(ident)
        return None if item is None else item.kind

    def inside(self, ident: str) -> tuple[str, ...]:
        """The boundaries ``ident`` is inside, innermost first."""
        return _ancestors(self.container_of, ident)

    def services_of(self, ident: str) -> set[str]:
        """The services an element's threats are in scope for: a service itself,
        a store's service, each end of a flow that is a service or a store of one."""
        item = self.decl.index.get(ident)
        if item is None:
            return set()
        if item.kind is Kind.SERVICE:
            return {ident}
        if isinstance(item, DataStore):
            return {item.service} if item.service else set()
        if isinstance(item, DataFlow):
            out: set[str] = set()
            for end in item.ends:
                end_item = self.decl.index.get(end)
                if end_item is None:
                    continue
                if end_item.kind is Kind.SERVICE:
                    out.add(end)
                elif isinstance(end_item, DataStore) and end_item.service:
                    out.add(end_item.service)
            return out
        return set()

    def named(self, terms: Iterable[str]) -> list[str]:
        """The elements ``:applies-to:`` terms name by ID, a boundary naming the
        flows that cross it (``*`` and ``!ID`` name nothing here)."""
        out: list[str] = []
        index = self.decl.index
        for term in terms:
            item = index.get(term)
            if item is None:
                continue
            if item.kind is Kind.TRUST_BOUNDARY:
                out += self.crossed_by.get(term, ())
            elif item.kind in ELEMENT_KINDS:
                out.append(term)
        return list(dict.fromkeys(out))

    def services_named(self, terms: Sequence[str], services: set[str]) -> set[str]:
        """The services of ``services`` in scope through the stores, flows and
        boundaries that ``terms`` name (less the ``!ID`` removals)."""
        out: set[str] = set()
        for element in self.named(terms):
            out |= self.services_of(element)
        removed = {term[1:] for term in terms if term.startswith("!")}
        return (out & services) - removed

    @cached_property
    def about(self) -> dict[str, list[str]]:
        """The threats about each element, in model order (see the module doc).

        Built on first use: only completeness and the element blocks ask."""
        decl = self.decl
        out: dict[str, list[str]] = defaultdict(list)
        exposed: dict[str, list[str]] = defaultdict(list)
        for s, service in decl.services.items():
            for t in service.exposed_to:
                exposed[t].append(s)
        for t, threat in decl.threats.items():
            about: list[str] = self.named(threat.applies_to) if threat.applies_to else []
            if threat.service:
                about.append(threat.service)
            about += exposed.get(t, ())
            for element in dict.fromkeys(about):
                out[element].append(t)
        return dict(out)

    def elements(self, kind: Kind) -> list[Item]:
        """This project's elements of ``kind`` (not another project's), in model order."""
        return [i for i in self.decl.items(kind) if not i.location.external]


def element_graph(decl: Declared) -> ElementGraph:
    """Containment, crossing and the flows of every node, from the declarations."""
    container_of, contents, gaps = _containment(decl)
    graph = ElementGraph(
        decl, container_of, contents, {}, defaultdict(list), defaultdict(list),
        defaultdict(list), defaultdict(list), gaps,
    )  # fmt: skip
    for store in cast("list[DataStore]", decl.items(Kind.DATA_STORE)):
        if store.service:
            graph.stores_of[store.service].append(store.id)
    index = decl.index
    flows_out, flows_in = graph.flows_out, graph.flows_in
    crosses, crossed_by = graph.crosses, graph.crossed_by
    # the boundaries each node is inside, once per node (a node ends many flows)
    inside: dict[str, tuple[str, ...]] = {}
    for flow in cast("list[DataFlow]", decl.items(Kind.DATA_FLOW)):
        ident, source, target = flow.id, flow.from_, flow.to
        if source:
            flows_out[source].append(ident)
        if target:
            flows_in[target].append(ident)
        if flow.bidirectional and source and target:
            flows_out[target].append(ident)
            flows_in[source].append(ident)
        # an unknown end (or one of another kind) is its own unknown-ref: the
        # flow crosses nothing, so that no scope or completeness gap follows
        if not (_is_node(index, source) and _is_node(index, target)):
            continue
        assert source is not None and target is not None
        near = inside.get(source)
        if near is None:
            near = inside[source] = _ancestors(container_of, source)
        far = inside.get(target)
        if far is None:
            far = inside[target] = _ancestors(container_of, target)
        if near == far:
            continue  # both ends in the same place: the common case
        crossed = tuple(b for b in near if b not in far) + tuple(b for b in far if b not in near)
        crosses[ident] = crossed
        for boundary in crossed:
            crossed_by[boundary].append(ident)
    return graph


def _containment(
    decl: Declared,
) -> tuple[dict[str, str], dict[str, tuple[str, ...]], list[Gap]]:
    """Each element's or boundary's one direct container, in model order: a
    second container, or one that closes a cycle, is ``invalid`` and not kept."""
    container_of: dict[str, str] = {}
    contents: dict[str, tuple[str, ...]] = {}
    gaps: list[Gap] = []
    index = decl.index
    for boundary in cast("list[TrustBoundary]", decl.items(Kind.TRUST_BOUNDARY)):
        b = boundary.id
        kept: list[str] = []
        for member in dict.fromkeys(boundary.contains):
            first = container_of.get(member)
            where = boundary.location_of("contains")
            if first is not None:
                other = index[first].location
                message = (
                    f"trust boundary {b!r} contains {member!r}, which trust boundary {first!r} "
                    f"({_fmt(other)}) already contains; an element or boundary has one direct "
                    "container: list it in the innermost one only"
                )
                gaps.append(Gap(GapKind.INVALID, message, (b, member, first), where))
                continue
            if member == b or member in _ancestors(container_of, b):
                message = (
                    f"trust boundary {b!r} contains {member!r}, which contains {b!r}: "
                    "boundaries nest without cycles; remove one of the two"
                )
                gaps.append(Gap(GapKind.INVALID, message, (b, member), where))
                continue
            container_of[member] = b
            kept.append(member)
        contents[b] = tuple(kept)
    return container_of, contents, gaps


def _is_node(index: Mapping[str, Item], ident: str | None) -> bool:
    """Whether ``ident`` is a declared node of the diagram (a flow's end)."""
    item = index.get(ident) if ident else None
    return item is not None and item.kind in NODE_KINDS


def _ancestors(container_of: dict[str, str], ident: str) -> tuple[str, ...]:
    """The boundaries ``ident`` is inside, innermost first (the map has no cycle:
    :func:`_containment` keeps none; the guard is for safety)."""
    chain: list[str] = []
    current = container_of.get(ident)
    while current is not None and current not in chain:
        chain.append(current)
        current = container_of.get(current)
    return tuple(chain)
