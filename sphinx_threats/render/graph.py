"""``threat-graph`` and ``threat-dfd``: the graph (made a picture by
``graphs``), its legend, and the adjacency list that stands in for the
picture where there is none."""

from __future__ import annotations

from docutils import nodes

from ..nodes import threats_graph
from ..views.graph import GraphEdge, GraphNode, GraphView
from ..views.request import FILTERS
from .dot import LABELLED_FLOWS
from .elements import element, para
from .renderer import Renderer

#: How the adjacency list names each edge kind, from its tail.
EDGE_WORDS = {
    "actor": "threatens",
    "mitigates": "mitigated by",
    "covers": "covers",
    "gap": "GAP at",
    "depends-on": "depends on",
    "flow": "flows to",
}

#: The legend: what shapes, colours and lines mean (each node also says its
#: state in words, so no colour is needed to read it).
LEGEND = {
    "threats": (
        "Shapes: rounded box = threat actor, box = threat, note = mitigation, "
        "component = service. Colour and [word] = computed status: red GAP, orange "
        "planned, yellow partial, blue accepted, green mitigated, grey not-applicable. "
        "Lines: solid = in effect, dashed = partial, dotted = planned or in progress; "
        "red GAP = the service has the threat as a gap."
    ),
    "services": (
        "Each service shows its coverage (its own threats and the product threats in "
        "scope) and its worst answer as colour and [word]: red GAP, orange planned, "
        "yellow partial, blue accepted, green mitigated. Arrows: depends on."
    ),
    "dfd": (
        "Shapes: ellipse = service (process), cylinder = data store, box = external "
        "entity; arrows = data flows (labelled with what flows and the protocol; two "
        "heads = both ways); red dashed boxes = trust boundaries. Each element says its "
        "threat count and worst status in words: GAP (red), planned (orange), partial "
        "(yellow), accepted (blue), mitigated (green)."
    ),
}

#: What the picture is, in its alternative text, per layout.
WHAT = {"threats": "Threat graph", "services": "Threat graph", "dfd": "Data-flow diagram"}
#: What ``:of:`` may name, per layout (when it names nothing drawable).
OF_KINDS = {
    "threats": "service, threat, threat actor or mitigation",
    "services": "service, threat, threat actor or mitigation",
    "dfd": "service, data store, external entity or trust boundary",
}


def draw_graph(renderer: Renderer, view: GraphView) -> list[nodes.Node]:
    """Nodes of ``threat-graph`` and ``threat-dfd``: the graph to draw (with its legend and its
    adjacency list), and a note when it is cut to ``threats_graph_max_nodes``."""
    if view.missing:
        return [para(f"No {OF_KINDS[view.layout]} {view.of!r} to draw.")]
    if not view.nodes:
        return [para("Nothing to draw: no item matches.")]
    targets: dict[str, str] = {}
    items = [*view.nodes, *view.clusters, *(e.item for e in view.edges if e.item is not None)]
    for node in items:
        ref = renderer.linker(node.link)
        if ref is not None:
            targets[node.key] = ref.get("refuri") or f"#{ref['refid']}"
    what = f"neighbourhood of {view.of}" if view.of else f"{view.layout} graph"
    if view.layout == "dfd" and not view.of:
        what = "the whole model"
    alt = f"{WHAT[view.layout]}: {what}, {len(view.nodes)} nodes, {len(view.edges)} edges"
    graph = element(
        threats_graph,
        *adjacency_list(renderer, view),
        view=view,
        targets=targets,
        alt=alt,
        legend=LEGEND[view.layout],
    )
    out: list[nodes.Node] = [graph]
    flows = sum(edge.item is not None for edge in view.edges)
    if flows > LABELLED_FLOWS:
        out.append(
            element(
                nodes.paragraph,
                f"The {flows} flows are drawn without labels (more than {LABELLED_FLOWS}): "
                "point at a flow for its name, or draw a part with :of:.",
                classes=["threats-graph-note"],
            )
        )
    if view.omitted:
        shown = len(view.nodes)
        out.append(
            element(
                nodes.paragraph,
                f"Showing the first {shown} of {shown + view.omitted} nodes "
                f"(threats_graph_max_nodes = {view.max_nodes}). Narrow the graph with "
                ":of: and :depth:, or the filters "
                + ", ".join(f":{name}:" for name in FILTERS)
                + ".",
                classes=["threats-graph-note"],
            )
        )
    return out


def adjacency_list(renderer: Renderer, view: GraphView) -> list[nodes.Node]:
    """The graph as text: each node, its state, and where its edges go."""
    by_key = {node.key: node for node in view.nodes}
    outgoing: dict[str, list[GraphEdge]] = {}
    for edge in view.edges:
        outgoing.setdefault(edge.tail, []).append(edge)
    items: list[nodes.Node] = []
    for node in view.nodes:
        item = element(nodes.list_item, para(*_node_text(renderer, node)))
        lines = []
        for kind, word in EDGE_WORDS.items():
            edges = [e for e in outgoing.get(node.key, ()) if e.kind == kind]
            if kind == "flow":  # a flow is an item with its own words: a line each
                for edge in edges:
                    head = [nodes.Text(f"{word}: "), renderer.xref(by_key[edge.head].link)]
                    lines.append(element(nodes.list_item, para(*head, *_flow_text(renderer, edge))))
                continue
            if not edges:
                continue
            parts: list[nodes.Node] = [nodes.Text(f"{word}: ")]
            for n, edge in enumerate(edges):
                if n:
                    parts.append(nodes.Text(", "))
                parts.append(renderer.xref(by_key[edge.head].link))
                if edge.style != "solid":
                    parts.append(nodes.Text(f" ({edge.style})"))
            lines.append(element(nodes.list_item, para(*parts)))
        if lines:
            item.append(element(nodes.bullet_list, *lines))
        items.append(item)
    items += _box_items(renderer, view)
    return [element(nodes.bullet_list, *items, classes=["threats-graph-list"])]


def _flow_text(renderer: Renderer, edge: GraphEdge) -> list[nodes.Node]:
    """`` by F-1 Title (data, protocol) [state]`` after a flow's head."""
    assert edge.item is not None
    flow = edge.item
    words = [", ".join(flow.details)] if flow.details else []
    words += ["both ways"] if edge.both else []
    text = f" ({'; '.join(words)})" if words else ""
    return [nodes.Text(" by "), *renderer.titled(flow.link), nodes.Text(f"{text} [{flow.state}]")]


def _box_items(renderer: Renderer, view: GraphView) -> list[nodes.Node]:
    """A trust boundary per item: what it directly contains among the drawn."""
    out: list[nodes.Node] = []
    for box in view.clusters:
        inside = [n.link for n in (*view.nodes, *view.clusters) if n.cluster == box.key]
        parts: list[nodes.Node] = [nodes.Text(f"{box.link.kind} "), *renderer.titled(box.link)]
        if inside:
            parts.append(nodes.Text(" contains: "))
            for n, link in enumerate(inside):
                if n:
                    parts.append(nodes.Text(", "))
                parts.append(renderer.xref(link))
        out.append(element(nodes.list_item, para(*parts)))
    return out


def _node_text(renderer: Renderer, node: GraphNode) -> list[nodes.Node]:
    parts: list[nodes.Node] = [nodes.Text(f"{node.link.kind} "), *renderer.titled(node.link)]
    words = [f"[{node.state}]"] if node.state else []
    words += node.details
    if node.cluster and ":" not in node.cluster:  # a project's box, not a boundary
        words.append(f"from {node.cluster}")
    if words:
        parts.append(nodes.Text(" " + ", ".join(words)))
    return parts
