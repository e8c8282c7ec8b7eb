"""What ``threat-dfd`` shows: the data-flow diagram, as the records of ``views.graph``.

Nodes are the diagram's nodes (external entities, services as processes, data
stores), edges its data flows (each carrying the flow as a record, so the
edge is labelled and linked like a node), clusters its trust boundaries
(each boundary's ``cluster`` is its direct container, so they nest as
declared).  Every element says how many threats it has and the worst of
their statuses, in words: a service its own threats and the product threats
in scope (the pair's status), a store, an entity or a flow the threats
*about* it (:attr:`~.elements.ElementGraph.about`, their overall status).
The report filters choose which threats count.

Sorted like ``threat-graph``'s view, so the DOT written from it is the same
text on every build and the view is the page's digest of the diagram.
"""

from __future__ import annotations

from collections.abc import Container
from typing import cast

from ..analysis import Report
from ..figures import service_answers
from ..model import NODE_KINDS, DataFlow, Kind, Status, natural_key, worst_status
from .backlinks import GAP_STATUS
from .graph import (
    MAX_DEPTH,
    GraphEdge,
    GraphNode,
    GraphView,
    check_depth,
    distances,
    graph_node,
    id_option,
    key_of,
    neighbours_of,
)
from .request import ReportOption, ReportRequest, selected_threats

#: ``:depth:`` of a ``threat-dfd`` ``:of:`` when not given, and the most it may be.
DEFAULT_DEPTH = 1


#: The report's own options.
OPTIONS: dict[str, ReportOption] = {
    "of": id_option(
        "draw the neighbourhood of this service (or data store, external entity) "
        "or everything inside this trust boundary, with the flows in and out",
        (Kind.SERVICE, Kind.DATA_STORE, Kind.EXTERNAL_ENTITY, Kind.TRUST_BOUNDARY),
    ),
    "depth": ReportOption(
        (),
        help=f"how many flows away from ``:of:`` (default {DEFAULT_DEPTH})",
        takes=f"a whole number from 1 to {MAX_DEPTH}",
        check=check_depth,
    ),
}


def _state(count: int, worst: Status | None) -> tuple[str, str]:
    """The label's state (count and worst status, in words) and the colour key."""
    if not count:
        return "no threats", ""
    word = GAP_STATUS if worst is Status.UNMITIGATED else str(worst)
    return f"{count} threat{'s' if count != 1 else ''}, {word}", str(worst)


def _counted(report: Report, ident: str, kind: Kind, wanted: Container[str]) -> tuple[str, str]:
    if kind is Kind.SERVICE:
        own, in_scope = service_answers(report, ident, wanted)
        answers = [*own, *in_scope]
        return _state(len(answers), worst_status(pair.status for pair in answers))
    statuses = [
        status
        for t in report.elements.about.get(ident, ())
        if t in wanted
        and (status := report.threat_status.get(t, Status.NOT_APPLICABLE))
        is not Status.NOT_APPLICABLE
    ]
    return _state(len(statuses), worst_status(statuses))


def _element(report: Report, kind: Kind, ident: str, wanted: Container[str]) -> GraphNode:
    state, colour = _counted(report, ident, kind, wanted)
    node = graph_node(report, kind, ident, state, colour)
    container = report.elements.container_of.get(ident)
    # inside a boundary: drawn in its cluster (an element of another project
    # keeps its project's cluster)
    return node._replace(cluster=key_of(Kind.TRUST_BOUNDARY, container)) if container else node


def _flow_details(flow: DataFlow) -> tuple[str, ...]:
    return tuple(part for part in (flow.data, flow.protocol) if part)


def dfd_view(report: Report, request: ReportRequest) -> GraphView:
    """The data-flow diagram ``request`` asks for, cut to ``threats_graph_max_nodes``."""
    wanted = {t.id for t in selected_threats(report, request.filter_map)}
    graph = report.elements
    # drawing order: entities, processes, stores, each in natural ID order
    keys: list[str] = []
    kind_of: dict[str, Kind] = {}
    for kind in (Kind.EXTERNAL_ENTITY, Kind.SERVICE, Kind.DATA_STORE):
        for ident in sorted((i.id for i in graph.elements(kind)), key=natural_key):
            keys.append(key_of(kind, ident))
            kind_of[ident] = kind
    flows = cast("list[DataFlow]", graph.elements(Kind.DATA_FLOW))
    edges: list[GraphEdge] = []
    for flow in flows:
        ends = [report.index.get(end) if end else None for end in (flow.from_, flow.to)]
        if not all(end is not None and end.kind in NODE_KINDS for end in ends):
            continue  # an unknown end is its own unknown-ref: nothing to draw
        for end in ends:
            assert end is not None
            if end.id not in kind_of:  # another project's node
                kind_of[end.id] = end.kind
                keys.append(key_of(end.kind, end.id))
        tail, head = (key_of(end.kind, end.id) for end in ends if end is not None)
        state, colour = _counted(report, flow.id, Kind.DATA_FLOW, wanted)
        item = graph_node(report, Kind.DATA_FLOW, flow.id, state, colour)
        item = item._replace(details=_flow_details(flow))
        edges.append(GraphEdge(tail, head, "flow", item=item, both=flow.bidirectional))
    edges.sort(key=lambda e: (e.tail, e.head, e.item.key if e.item else ""))
    of = request.option("of") or ""
    missing = False
    if of:
        start = _start(report, of, keys)
        missing = not start
        depth = int(request.option("depth") or DEFAULT_DEPTH)
        distance = distances(start, neighbours_of(edges), depth, set())
        order = {key: n for n, key in enumerate(keys)}
        keys = sorted(distance, key=lambda k: (distance[k], order[k]))
    limit = report.settings.graph_max_nodes
    drawn = keys[:limit]
    kept = set(drawn)
    nodes = tuple(
        _element(report, kind_of[k.partition(":")[2]], k.partition(":")[2], wanted) for k in drawn
    )
    return GraphView(
        "dfd",
        nodes,
        tuple(e for e in edges if e.tail in kept and e.head in kept),
        of,
        len(keys) - len(kept),
        limit,
        missing,
        clusters=_boundaries(report, nodes, whole=not of and len(kept) == len(keys)),
    )


def _start(report: Report, of: str, keys: list[str]) -> list[str]:
    """Where an ``:of:`` neighbourhood starts: the node, or every node inside the boundary."""
    item = report.index.get(of)
    if item is None:
        return []
    if item.kind is Kind.TRUST_BOUNDARY:
        inside = report.elements.inside
        return [k for k in keys if of in inside(k.partition(":")[2])]
    key = key_of(item.kind, of)
    return [key] if key in keys else []


def _boundaries(report: Report, drawn: tuple[GraphNode, ...], whole: bool) -> tuple[GraphNode, ...]:
    """The trust boundaries around the drawn nodes (every one of this project
    for the whole diagram, so an empty one shows too), each with its direct
    container as its ``cluster``."""
    graph = report.elements
    around: set[str] = set()
    for node in drawn:
        container = graph.container_of.get(node.link.id)
        if container:
            around.add(container)
            around.update(graph.inside(container))
    out = []
    for boundary in graph.elements(Kind.TRUST_BOUNDARY):
        if not whole and boundary.id not in around:
            continue
        node = graph_node(report, Kind.TRUST_BOUNDARY, boundary.id, "", "")
        parent = graph.container_of.get(boundary.id)
        out.append(node._replace(cluster=key_of(Kind.TRUST_BOUNDARY, parent) if parent else ""))
    return tuple(sorted(out, key=lambda n: natural_key(n.link.id)))
