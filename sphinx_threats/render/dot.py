"""A ``threat-graph`` view as Graphviz DOT text: deterministic and escaped.

No Sphinx and no docutils here.  Nodes and edges come sorted from the view,
so the same model writes the same text (and ``sphinx.ext.graphviz``, which
names its files by a hash of the text, reuses the same picture).  Every piece
of model text (titles, IDs, URLs) is written as a quoted DOT string with its
quotes and backslashes escaped, so it can never become DOT syntax, an
HTML-like label (those are only ``<...>``, never quoted) or a ``\\N``-style
substitution.
"""

from __future__ import annotations

import functools
import re
import textwrap
from collections.abc import Mapping

from ..model import Kind
from ..views.graph import GraphEdge, GraphNode, GraphView

#: (fill, border) per colour key: a status, a mitigation's status, or a kind.
#: Light fills keep black text legible; the border carries the strong colour.
PALETTE: dict[str, tuple[str, str]] = {
    "unmitigated": ("#fde2e4", "#b00020"),
    "planned": ("#fff0d6", "#a05000"),
    "in-progress": ("#fff0d6", "#a05000"),
    "partial": ("#fff7c2", "#7a6000"),
    "accepted": ("#e3ecfb", "#1f4e9c"),
    "mitigated": ("#e1f3e3", "#1b6e2a"),
    "implemented": ("#e1f3e3", "#1b6e2a"),
    "verified": ("#e1f3e3", "#1b6e2a"),
    "not-applicable": ("#eeeeee", "#666666"),
    Kind.THREAT_ACTOR.value: ("#efe6f7", "#5b2c83"),
    "": ("#ffffff", "#555555"),
}

#: Shape and style per kind (the legend says which is which).
SHAPES: dict[str, tuple[str, str]] = {
    Kind.THREAT_ACTOR.value: ("box", "rounded,filled"),
    Kind.THREAT.value: ("box", "filled"),
    Kind.MITIGATION.value: ("note", "filled"),
    Kind.SERVICE.value: ("component", "filled"),
}

#: Shape and style per kind in the data-flow diagram (``threat-dfd``): the
#: usual DFD notation (processes round, stores cylinders, entities boxes).
DFD_SHAPES: dict[str, tuple[str, str]] = {
    Kind.SERVICE.value: ("ellipse", "filled"),
    Kind.DATA_STORE.value: ("cylinder", "filled"),
    Kind.EXTERNAL_ENTITY.value: ("box", "filled"),
}

#: Colour per edge kind.
EDGE_COLOURS = {
    "actor": "#5b2c83",
    "mitigates": "#1b6e2a",
    "covers": "#1f4e9c",
    "gap": "#b00020",
    "depends-on": "#555555",
}

#: The most flows a ``threat-dfd`` labels: above it, flows are drawn bare
#: (their words in the tooltip and the link).  ``dot`` lays a labelled edge
#: out as an extra node: measured on ``bench/run.py --elements`` (150 nodes,
#: 249 flows), 87 s with labels, 6.5 s without; the messenger's 9 flows take
#: 0.08 s either way.
LABELLED_FLOWS = 60

#: How many lines a title may take in a label, and their width.
TITLE_LINES = 2
LINE_CHARS = 24

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def quoted(text: str) -> str:
    """``text`` as a quoted DOT string: backslashes and quotes escaped, line
    breaks and other control characters as spaces."""
    text = _CONTROL.sub(" ", text)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


@functools.lru_cache(maxsize=4096)
def label_lines(text: str) -> tuple[str, ...]:
    """A title wrapped into at most :data:`TITLE_LINES` lines, shortened at a
    word (``…``) when longer: a label stays a compact box.

    Kept for the build: a threat's title is drawn on the graph of every
    service it applies to (profiled at S=100, T=20: 0.22 s for 7,500 labels,
    most of them the same few hundred titles)."""
    text = " ".join(_CONTROL.sub(" ", text).split())
    lines = textwrap.wrap(
        text, LINE_CHARS, max_lines=TITLE_LINES, placeholder=" \u2026", break_long_words=True
    )
    return tuple(lines) or ("",)


def _label(node: GraphNode) -> str:
    """The node's label: ID, shortened title, state word, details (DOT-escaped, ``\\n``-joined)."""
    link = node.link
    lines = [link.id]
    if link.title and link.title != link.id:
        lines += label_lines(link.title)
    if node.state:
        lines.append(f"[{node.state}]")
    lines += node.details
    return "\\n".join(quoted(line)[1:-1] for line in lines)


def _tooltip(node: GraphNode) -> str:
    title = node.link.title or ""
    state = f" ({node.state})" if node.state else ""
    return f"{node.link.kind} {node.link.id}: {title}{state}"


def _link_attrs(node: GraphNode, url: str | None) -> list[str]:
    # Graphviz reads a tooltip's backslashes twice (its escapes, then ``\N``,
    # ``\G``... naming the node): each is doubled again, so a title's
    # ``\N`` is shown as written, not replaced by the node's name
    attrs = [f"tooltip={quoted(_tooltip(node).replace(chr(92), chr(92) * 2))}"]
    if url:
        attrs += [f"URL={quoted(url)}", 'target="_top"']
    return attrs


def _node_line(node: GraphNode, url: str | None, shapes: Mapping[str, tuple[str, str]]) -> str:
    shape, style = shapes.get(node.link.kind, ("box", "filled"))
    colour = node.colour if node.colour in PALETTE else ""
    if node.link.kind == Kind.THREAT_ACTOR.value:
        colour = Kind.THREAT_ACTOR.value
    fill, border = PALETTE[colour]
    attrs = [
        f'label="{_label(node)}"',
        f"shape={shape}",
        f'style="{style}"',
        f'fillcolor="{fill}"',
        f'color="{border}"',
        *_link_attrs(node, url),
    ]
    return f"{quoted(node.key)} [{', '.join(attrs)}];"


def _edge_line(edge: GraphEdge, urls: Mapping[str, str], labelled: bool) -> str:
    if edge.item is not None:
        return _flow_line(edge, edge.item, urls.get(edge.item.key), labelled)
    attrs = [f'color="{EDGE_COLOURS.get(edge.kind, "#555555")}"']
    if edge.style != "solid":
        attrs.append(f"style={edge.style}")
    if edge.kind == "gap":
        # the colour's meaning, in words (never colour alone)
        attrs += ['label="GAP"', 'fontcolor="#b00020"', "penwidth=2"]
    return f"{quoted(edge.tail)} -> {quoted(edge.head)} [{', '.join(attrs)}];"


def _flow_line(edge: GraphEdge, flow: GraphNode, url: str | None, labelled: bool) -> str:
    """A data flow: an edge labelled (ID, title, data, protocol, state) and linked."""
    border = PALETTE[flow.colour if flow.colour in PALETTE else ""][1]
    # what flows may be a sentence: wrapped like a title, so the label stays compact
    flow = flow._replace(details=tuple(line for d in flow.details for line in label_lines(d)))
    # the line carries the colour; the label stays dark, legible on any background
    attrs = [
        *([f'label="{_label(flow)}"'] if labelled else []),
        f'color="{border}"',
        'fontcolor="#333333"',
        "fontsize=10",
        "penwidth=1.4",
    ]
    if edge.both:
        attrs.append("dir=both")
    attrs += _link_attrs(flow, url)
    return f"{quoted(edge.tail)} -> {quoted(edge.head)} [{', '.join(attrs)}];"


def _boxes(
    view: GraphView, urls: Mapping[str, str], shapes: Mapping[str, tuple[str, str]]
) -> list[str]:
    """The clusters: the view's boxes nested as declared (each linked to its
    item), then plain boxes for the other ``cluster`` names (projects)."""
    inside: dict[str, list[GraphNode]] = {}
    for node in view.nodes:
        inside.setdefault(node.cluster, []).append(node)
    within: dict[str, list[GraphNode]] = {}
    boxes = {box.key for box in view.clusters}
    for box in view.clusters:
        within.setdefault(box.cluster if box.cluster in boxes else "", []).append(box)

    def box_lines(box: GraphNode, indent: str) -> list[str]:
        label = "\\n".join(
            quoted(line)[1:-1] for line in [box.link.id, *label_lines(box.link.title or "")]
        )
        out = [f"{indent}subgraph {quoted('cluster_' + box.key)} {{"]
        attrs = [
            f'label="{label}"',
            'style="dashed,rounded"',
            'color="#b00020"',
            'fontcolor="#b00020"',
            "penwidth=1.6",
        ]
        attrs += _link_attrs(box, urls.get(box.key))
        out.append(f"{indent}  graph [{', '.join(attrs)}];")
        out += [
            f"{indent}  " + _node_line(n, urls.get(n.key), shapes) for n in inside.get(box.key, ())
        ]
        for child in within.get(box.key, ()):
            out += box_lines(child, indent + "  ")
        if not inside.get(box.key) and not within.get(box.key):
            # an empty cluster is not drawn: a point keeps the boundary visible
            out.append(f'{indent}  {quoted(box.key)} [shape=point, style=invis, label=""];')
        out.append(f"{indent}}}")
        return out

    out: list[str] = []
    for box in within.get("", ()):
        out += box_lines(box, "  ")
    for name in sorted(set(inside) - boxes - {""}):
        out.append(f"  subgraph {quoted('cluster_' + name)} {{")
        out.append(f'    label={quoted(name)}; style="dashed"; color="#777777";')
        out += ["    " + _node_line(node, urls.get(node.key), shapes) for node in inside[name]]
        out.append("  }")
    return out


def write_dot(view: GraphView, urls: Mapping[str, str]) -> str:
    """The DOT text of ``view``; ``urls`` gives each node's link (by node key),
    as the output format needs it (none: not linked)."""
    out = [
        f"digraph {'dfd' if view.layout == 'dfd' else 'threats'} {{",
        '  graph [rankdir=LR, fontname="sans-serif", fontsize=10, nodesep=0.2, '
        'ranksep=0.45, bgcolor="transparent"];',
        '  node [fontname="sans-serif", fontsize=10, margin="0.1,0.04", penwidth=1.4];',
        '  edge [fontname="sans-serif", fontsize=9, arrowsize=0.7];',
    ]
    shapes = DFD_SHAPES if view.layout == "dfd" else SHAPES
    out += ["  " + _node_line(n, urls.get(n.key), shapes) for n in view.nodes if not n.cluster]
    out += _boxes(view, urls, shapes)
    labelled = sum(edge.item is not None for edge in view.edges) <= LABELLED_FLOWS
    out += ["  " + _edge_line(edge, urls, labelled) for edge in view.edges]
    out.append("}")
    return "\n".join(out) + "\n"
