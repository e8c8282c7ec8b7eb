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

#: Colour per edge kind.
EDGE_COLOURS = {
    "actor": "#5b2c83",
    "mitigates": "#1b6e2a",
    "covers": "#1f4e9c",
    "gap": "#b00020",
    "depends-on": "#555555",
}

#: How many lines a title may take in a label, and their width.
TITLE_LINES = 2
LINE_CHARS = 24

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")


def quoted(text: str) -> str:
    """``text`` as a quoted DOT string: backslashes and quotes escaped, line
    breaks and other control characters as spaces."""
    text = _CONTROL.sub(" ", text)
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def label_lines(text: str) -> list[str]:
    """A title wrapped into at most :data:`TITLE_LINES` lines, shortened at a
    word (``…``) when longer: a label stays a compact box."""
    text = " ".join(_CONTROL.sub(" ", text).split())
    return textwrap.wrap(
        text, LINE_CHARS, max_lines=TITLE_LINES, placeholder=" \u2026", break_long_words=True
    ) or [""]


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


def _node_line(node: GraphNode, url: str | None) -> str:
    shape, style = SHAPES.get(node.link.kind, ("box", "filled"))
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
        f"tooltip={quoted(_tooltip(node))}",
    ]
    if url:
        attrs += [f"URL={quoted(url)}", 'target="_top"']
    return f"{quoted(node.key)} [{', '.join(attrs)}];"


def _edge_line(edge: GraphEdge) -> str:
    attrs = [f'color="{EDGE_COLOURS.get(edge.kind, "#555555")}"']
    if edge.style != "solid":
        attrs.append(f"style={edge.style}")
    if edge.kind == "gap":
        # the colour's meaning, in words (never colour alone)
        attrs += ['label="GAP"', 'fontcolor="#b00020"', "penwidth=2"]
    return f"{quoted(edge.tail)} -> {quoted(edge.head)} [{', '.join(attrs)}];"


def write_dot(view: GraphView, urls: Mapping[str, str]) -> str:
    """The DOT text of ``view``; ``urls`` gives each node's link (by node key),
    as the output format needs it (none: not linked)."""
    out = [
        "digraph threats {",
        '  graph [rankdir=LR, fontname="sans-serif", fontsize=10, nodesep=0.2, '
        'ranksep=0.45, bgcolor="transparent"];',
        '  node [fontname="sans-serif", fontsize=10, margin="0.1,0.04", penwidth=1.4];',
        '  edge [fontname="sans-serif", fontsize=9, arrowsize=0.7];',
    ]
    clusters: dict[str, list[GraphNode]] = {}
    for node in view.nodes:
        if node.cluster:
            clusters.setdefault(node.cluster, []).append(node)
        else:
            out.append("  " + _node_line(node, urls.get(node.key)))
    for name in sorted(clusters):
        out.append(f"  subgraph {quoted('cluster_' + name)} {{")
        out.append(f'    label={quoted(name)}; style="dashed"; color="#777777";')
        out += ["    " + _node_line(node, urls.get(node.key)) for node in clusters[name]]
        out.append("  }")
    out += ["  " + _edge_line(edge) for edge in view.edges]
    out.append("}")
    return "\n".join(out) + "\n"
