"""What ``threat-graph`` shows: the model as a graph, as plain records.

Two layouts.  ``threats`` (the default): threat actors -> threats ->
mitigations -> services, with an edge per ``:actors:`` entry, per
``:mitigates:`` entry (its style says the mitigation's state), per service a
mitigation covers, and a red GAP edge from a threat to each service that has
it as a gap.  ``services``: the services with their ``:depends-on:`` edges,
each with its coverage and worst pair status.

Everything here is sorted, so the DOT written from it is the same text on
every build; the view is the page's digest of the graph, so a changed model
rewrites only the pages whose graph shows the change.
"""

from __future__ import annotations

import weakref
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence, Set
from typing import NamedTuple

from ..analysis import Report, expand
from ..figures import service_answers, service_figures
from ..model import Kind, Mitigation, Service, Status, worst_status
from ..schema.options import ID_RE
from .backlinks import GAP_STATUS, Link, link_of
from .request import ReportOption, ReportRequest, selected_threats

#: ``:layout:`` values of ``threat-graph``.
GRAPH_LAYOUTS = ("threats", "services")
#: ``:depth:`` when not given, and the most it may be.
DEFAULT_DEPTH = 2
MAX_DEPTH = 9


class GraphNode(NamedTuple):
    """One node: an item, its computed state, and what its label says."""

    #: Unique in the graph: ``kind:ID``.
    key: str
    link: Link
    #: The state word shown in the label (never colour alone): a computed
    #: status (``unmitigated`` shows as ``GAP``), a mitigation's status, or
    #: ``""`` (an actor).
    state: str
    #: What colours it: a :class:`~.model.Status` value, a mitigation's
    #: status, or ``""``.
    colour: str
    #: Further label lines (a service's coverage, its product threats).
    details: tuple[str, ...] = ()
    #: The box it is drawn in: the other project that declares it (its
    #: ``threats_external`` or ``threats_aggregate`` name), or (``threat-dfd``)
    #: the key of its trust boundary (``""``: none).
    cluster: str = ""


class GraphEdge(NamedTuple):
    """One edge, from ``tail`` to ``head`` (node keys)."""

    tail: str
    head: str
    #: ``actor``, ``mitigates``, ``covers``, ``gap``, ``depends-on``.
    kind: str
    #: ``solid``, ``dashed`` (a partial mitigation), ``dotted`` (one not in effect).
    style: str = "solid"
    #: The item the edge is (a data flow in ``threat-dfd``: labelled and linked
    #: like a node); ``None`` for a relation between items.
    item: GraphNode | None = None
    #: Arrowheads at both ends (a bidirectional flow).
    both: bool = False


class GraphView(NamedTuple):
    """What ``threat-graph`` shows."""

    #: ``threats`` or ``services`` (``threat-graph``), ``dfd`` (``threat-dfd``).
    layout: str
    #: In drawing order: by distance from ``:of:``, then kind, then ID.
    nodes: tuple[GraphNode, ...]
    #: Sorted; only between drawn nodes.
    edges: tuple[GraphEdge, ...]
    #: The ``:of:`` ID (``""``: the whole model).
    of: str = ""
    #: Nodes left out by ``threats_graph_max_nodes``.
    omitted: int = 0
    max_nodes: int = 0
    #: ``:of:`` names no item the graph can show.
    missing: bool = False
    #: Boxes drawn around nodes (``threat-dfd``'s trust boundaries), in
    #: natural ID order: a node (or box) is inside the box whose key is its ``cluster``;
    #: a ``cluster`` naming no box is a plain box of that name (a project).
    clusters: tuple[GraphNode, ...] = ()


def id_option(help: str, kinds: tuple[Kind, ...]) -> ReportOption:
    """An ``:of:`` option naming an item of one of ``kinds``: its value is
    checked to be an ID when read, and to name such an item (``unknown-ref``)
    once the model is known."""
    names = [kind.value.replace("-", " ") for kind in kinds]
    words = ", ".join(names[:-1]) + f" or {names[-1]}" if len(names) > 1 else names[0]
    return ReportOption(
        (),
        help=help,
        takes=f"an ID: a {words}",
        check=id_check(f"a {words}"),
        refers=kinds,
        refers_words=words,
    )


def id_check(kinds: str) -> Callable[[str], str]:
    """The check of an ``:of:`` option naming an item of ``kinds`` (words)."""

    def check(value: str) -> str:
        ident = value.partition(":")[2] if ":" in value else value
        if ID_RE.match(ident) and value.isascii():
            return ""
        return f"{value!r} is not an ID ({kinds})"

    return check


def check_depth(value: str) -> str:
    """The check of a ``:depth:`` option (of a graph or a diagram)."""
    if value.isdigit() and 1 <= int(value) <= MAX_DEPTH:
        return ""
    return f"{value!r} is not a whole number from 1 to {MAX_DEPTH}"


#: The report's own options.
OPTIONS: dict[str, ReportOption] = {
    "of": id_option(
        "draw the neighbourhood of this item only",
        (Kind.SERVICE, Kind.THREAT, Kind.THREAT_ACTOR, Kind.MITIGATION),
    ),
    "depth": ReportOption(
        (),
        help=f"how many edges away from ``:of:`` (default {DEFAULT_DEPTH})",
        takes=f"a whole number from 1 to {MAX_DEPTH}",
        check=check_depth,
    ),
    "layout": ReportOption(
        GRAPH_LAYOUTS,
        help="``threats`` (default): actors, threats, mitigations, services; "
        "``services``: the services, their ``:depends-on:`` edges and coverage",
    ),
}

#: The kinds a ``threats`` graph draws, in drawing (left to right) order.
GRAPH_KINDS = (Kind.THREAT_ACTOR, Kind.THREAT, Kind.MITIGATION, Kind.SERVICE)


def key_of(kind: Kind, ident: str) -> str:
    """A node's key."""
    return f"{kind.value}:{ident}"


class _Graph(NamedTuple):
    """A whole graph (before ``:of:`` and the limit), indexed for cutting
    neighbourhoods out of it."""

    #: Node keys in drawing order.
    keys: tuple[str, ...]
    #: Each key's place in ``keys``.
    order: dict[str, int]
    #: Each node's edges (it is their tail or head), sorted, once each.
    touching: dict[str, tuple[GraphEdge, ...]]
    #: Each node's neighbours (either way), sorted: what :func:`distances` walks.
    neighbours: dict[str, tuple[str, ...]]
    #: Where a path stops (:func:`distances`).
    ends: frozenset[str]


def _indexed(keys: Sequence[str], edges: Sequence[GraphEdge], ends: frozenset[str]) -> _Graph:
    touching: dict[str, set[GraphEdge]] = {}
    for edge in edges:
        touching.setdefault(edge.tail, set()).add(edge)
        touching.setdefault(edge.head, set()).add(edge)
    return _Graph(
        tuple(keys),
        {key: n for n, key in enumerate(keys)},
        {key: tuple(sorted(found)) for key, found in touching.items()},
        neighbours_of(edges),
        ends,
    )


# The whole ``threats`` graph of the last report, per filters: every ``:of:``
# graph of a build shares it.  A graph per service page would otherwise walk
# the whole model once per page, twice (for the page digest and for the
# drawing), and index and sort all its edges each time: at S=100, T=20 that
# was most of what 101 graphs added to the build.
# Each view is kept too: a page's graphs are worked out for its digest, then
# again when it is written (measured: 0.2 of the 1 s profiled that 101
# graphs add at S=100, T=20).
_skeletons: dict[tuple[tuple[str, tuple[str, ...]], ...], _Graph] = {}
_views: dict[ReportRequest, GraphView] = {}
_skeletons_of: list[weakref.ref[Report]] = []


def _same_report(report: Report) -> None:
    """Forget the graphs and views of any other report than ``report``."""
    if not _skeletons_of or _skeletons_of[0]() is not report:
        _skeletons.clear()
        _views.clear()
        _skeletons_of[:] = [weakref.ref(report)]


def _skeleton(report: Report, request: ReportRequest) -> _Graph:
    _same_report(report)
    found = _skeletons.get(request.filters)
    if found is None:
        keys, edges = _threats_graph(report, request)
        # in the threats layout a service ends a path: the controls covering
        # one service lead to the others they cover, which are not its story
        service = f"{Kind.SERVICE.value}:"
        ends = frozenset(k for k in keys if k.startswith(service))
        found = _skeletons[request.filters] = _indexed(keys, edges, ends)
    return found


def graph_view(report: Report, request: ReportRequest) -> GraphView:
    """The graph ``request`` asks for, cut to ``threats_graph_max_nodes``."""
    _same_report(report)
    found = _views.get(request)
    if found is None:
        found = _views[request] = _graph_view(report, request)
    return found


def _graph_view(report: Report, request: ReportRequest) -> GraphView:
    if request.option("layout") == "services":
        nodes, edges = _services_graph(report, request)
        graph = _indexed([n.key for n in nodes], edges, frozenset())
        make = {n.key: n for n in nodes}.__getitem__
        layout = "services"
    else:
        graph = _skeleton(report, request)
        layout = "threats"

        def make(key: str) -> GraphNode:
            return _threats_node(report, key)

    of = request.option("of") or ""
    keys: Sequence[str] = graph.keys
    missing = False
    if of:
        start = [key_of(kind, of) for kind in GRAPH_KINDS if key_of(kind, of) in graph.order]
        missing = not start
        depth = int(request.option("depth") or DEFAULT_DEPTH)
        distance = distances(start, graph.neighbours, depth, graph.ends)
        keys = sorted(distance, key=lambda k: (distance[k], graph.order[k]))
    limit = report.settings.graph_max_nodes
    kept = set(keys[:limit])
    # the drawn nodes' own edges, not every edge of the model filtered
    own_edges = {
        e for key in kept for e in graph.touching.get(key, ()) if e.tail in kept and e.head in kept
    }
    return GraphView(
        layout,
        tuple(make(key) for key in keys[:limit]),
        tuple(sorted(own_edges)),
        of,
        len(keys) - len(kept),
        limit,
        missing,
    )


def neighbours_of(edges: Iterable[GraphEdge]) -> dict[str, tuple[str, ...]]:
    """Each node's neighbours along ``edges`` (either way), sorted."""
    found: dict[str, set[str]] = {}
    for edge in edges:
        found.setdefault(edge.tail, set()).add(edge.head)
        found.setdefault(edge.head, set()).add(edge.tail)
    return {key: tuple(sorted(others)) for key, others in found.items()}


def distances(
    start: list[str], neighbours: Mapping[str, Sequence[str]], depth: int, ends: Set[str]
) -> dict[str, int]:
    """Nodes at most ``depth`` edges (either way) from ``start``, with their
    distance (``neighbours``: :func:`neighbours_of`); a path stops at a node
    of ``ends`` (other than a start), and when a start is one of ``ends``,
    the other ``ends`` are left out."""
    skip_ends = any(key in ends for key in start)
    distance = dict.fromkeys(start, 0)
    queue = deque(start)
    while queue:
        key = queue.popleft()
        if distance[key] == depth or (key in ends and key not in start):
            continue
        for other in neighbours.get(key, ()):
            if other not in distance and not (other in ends and skip_ends):
                distance[other] = distance[key] + 1
                queue.append(other)
    return distance


def _state_word(status: Status | None) -> str:
    if status is None:
        return "nothing to answer"
    return GAP_STATUS if status is Status.UNMITIGATED else status.value


def graph_node(report: Report, kind: Kind, ident: str, state: str, colour: str) -> GraphNode:
    """The node of one item, in the box of the project that declares it."""
    link = link_of(report, kind, ident)
    item = report.index.get(ident)
    project = item.location.foreign if item is not None else ""
    return GraphNode(key_of(kind, ident), link, state, colour, (), project)


def _threats_graph(report: Report, request: ReportRequest) -> tuple[list[str], list[GraphEdge]]:
    """Every node (its key) and edge of the ``threats`` layout (before
    ``:of:`` and the limit)."""
    threats = selected_threats(report, request.filter_map)
    edges: list[GraphEdge] = []
    actors: set[str] = set()
    mitigations: set[str] = set()
    services: set[str] = set()
    known_services = set(report.services)
    for threat in threats:
        t_key = key_of(Kind.THREAT, threat.id)
        for actor in dict.fromkeys(threat.actors):
            if report.get(actor, Kind.THREAT_ACTOR) is not None:
                actors.add(actor)
                edges.append(GraphEdge(key_of(Kind.THREAT_ACTOR, actor), t_key, "actor"))
        in_scope = set(report.scope.get(threat.id, ()))
        owner = {threat.service} & known_services if threat.service else set()
        for m in report.mitigations_of.get(threat.id, ()):
            mit = report.get(m, Kind.MITIGATION)
            if not isinstance(mit, Mitigation):
                continue
            mitigations.add(m)
            style = "solid" if mit.in_effect and mit.is_full else "dashed"
            style = style if mit.in_effect else "dotted"
            m_key = key_of(Kind.MITIGATION, m)
            edges.append(GraphEdge(t_key, m_key, "mitigates", style))
            for s in sorted(_covered(report, mit, known_services) & (in_scope | owner)):
                services.add(s)
                edges.append(GraphEdge(m_key, key_of(Kind.SERVICE, s), "covers", style))
        for pair in report.threat_coverage(threat.id):
            if pair.status is Status.UNMITIGATED:
                services.add(pair.service)
                edges.append(GraphEdge(t_key, key_of(Kind.SERVICE, pair.service), "gap"))
        if owner and report.threat_status.get(threat.id) is Status.UNMITIGATED:
            services |= owner
            edges += [GraphEdge(t_key, key_of(Kind.SERVICE, s), "gap") for s in owner]
    keys = [key_of(Kind.THREAT_ACTOR, a) for a in sorted(actors)]
    keys += [key_of(Kind.THREAT, t.id) for t in threats]
    keys += [key_of(Kind.MITIGATION, m) for m in sorted(mitigations)]
    keys += [key_of(Kind.SERVICE, s) for s in sorted(services)]
    return keys, edges


def _threats_node(report: Report, key: str) -> GraphNode:
    """The node of ``key`` in the ``threats`` layout: its computed state."""
    kind, _, ident = key.partition(":")
    if kind == Kind.THREAT.value:
        status = report.threat_status.get(ident)
        return graph_node(report, Kind.THREAT, ident, _state_word(status), str(status))
    if kind == Kind.MITIGATION.value:
        mit = report.get(ident, Kind.MITIGATION)
        state = (mit.status or "planned") if isinstance(mit, Mitigation) else "unknown"
        partial = isinstance(mit, Mitigation) and not mit.is_full
        return graph_node(
            report, Kind.MITIGATION, ident, f"{state}, partial" if partial else state, state
        )
    if kind == Kind.SERVICE.value:
        return _service_node(report, ident, None)
    return graph_node(report, Kind.THREAT_ACTOR, ident, "", "")


def _covered(report: Report, mit: Mitigation, services: set[str]) -> set[str]:
    """The services ``mit`` covers: its own, its ``:applies-to:``, those relying on it."""
    covered = expand(mit.applies_to, services)
    if mit.service:
        covered.add(mit.service)
    covered.update(report.relied_on_by.get(mit.id, ()))
    return covered


def _service_node(report: Report, ident: str, wanted: set[str] | None) -> GraphNode:
    """A service: coloured by its worst answer, labelled with its coverage."""
    own, in_scope = service_answers(report, ident, wanted)
    worst = worst_status(pair.status for pair in [*own, *in_scope])
    node = graph_node(report, Kind.SERVICE, ident, _state_word(worst), str(worst or ""))
    if wanted is None:
        return node
    total = service_figures(report, ident, wanted).total
    coverage = f"coverage {total.percent:g}%" if total.percent is not None else "coverage -"
    count = len(in_scope)
    threats = f"{count} product threat{'s' if count != 1 else ''}"
    return node._replace(details=(coverage, threats))


def _services_graph(
    report: Report, request: ReportRequest
) -> tuple[list[GraphNode], list[GraphEdge]]:
    """Every node and edge of the ``services`` layout."""
    filters = request.filter_map
    threat_filters = {k: v for k, v in filters.items() if k != "service"}
    wanted = {t.id for t in selected_threats(report, threat_filters)}
    shown = sorted(set(filters.get("service") or report.services) & set(report.services))
    nodes = [_service_node(report, s, wanted) for s in shown]
    edges: list[GraphEdge] = []
    extra: set[str] = set()
    for s in shown:
        service = report.get(s, Kind.SERVICE)
        if not isinstance(service, Service):
            continue
        for d in dict.fromkeys(service.depends_on):
            edges.append(GraphEdge(key_of(Kind.SERVICE, s), key_of(Kind.SERVICE, d), "depends-on"))
            if d not in shown:
                extra.add(d)
    # a dependency the filters leave out (or declared nowhere) is still drawn, plainly
    for d in sorted(extra):
        node = graph_node(report, Kind.SERVICE, d, "", "")
        nodes.append(node._replace(state="not shown" if d in report.services else "unknown"))
    return nodes, edges
