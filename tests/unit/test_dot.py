"""The DOT writer: model text stays a quoted string, labels stay short."""

from __future__ import annotations

from sphinx_threats.render.dot import LINE_CHARS, TITLE_LINES, label_lines, quoted, write_dot
from sphinx_threats.views.backlinks import Link
from sphinx_threats.views.graph import GraphEdge, GraphNode, GraphView


def test_quoted_escapes_quotes_backslashes_and_line_breaks() -> None:
    assert quoted('a "b" \\N c') == '"a \\"b\\" \\\\N c"'
    assert quoted("x\ny\r\x00z") == '"x y z"'
    # an HTML-like label is <...> unquoted: a quoted string never is one
    assert quoted("<b>x</b>") == '"<b>x</b>"'
    assert quoted('"];\nnode [URL="evil"]') == '"\\"]; node [URL=\\"evil\\"]"'


def test_label_lines_shorten_and_wrap() -> None:
    lines = label_lines("word " * 40)
    assert len(lines) == TITLE_LINES
    assert all(len(line) <= LINE_CHARS for line in lines)
    assert lines[-1].endswith(" \u2026")  # cut at a word
    assert label_lines("") == ("",)


def test_write_dot_is_sorted_by_the_view_and_links_only_what_it_is_given() -> None:
    a = GraphNode("threat:T-1", Link("threat", "T-1", 'Say "hi"', "p"), "GAP", "unmitigated")
    b = GraphNode("service:s", Link("service", "s", "S", "p"), "mitigated", "mitigated", (), "up")
    view = GraphView("threats", (a, b), (GraphEdge(a.key, b.key, "gap"),))
    dot = write_dot(view, {a.key: "p.html#T-1"})
    assert '"threat:T-1" [label="T-1\\nSay \\"hi\\"\\n[GAP]"' in dot
    assert 'URL="p.html#T-1", target="_top"' in dot
    assert dot.count("URL=") == 1
    assert 'subgraph "cluster_up" {' in dot
    assert '"threat:T-1" -> "service:s" [color="#b00020", label="GAP"' in dot
    assert dot == write_dot(view, {a.key: "p.html#T-1"})


def _dfd(flows: int) -> GraphView:
    node = GraphNode("service:s", Link("service", "s", "S", "p"), "no threats", "")
    edges = tuple(
        GraphEdge(
            node.key,
            node.key,
            "flow",
            item=GraphNode(f"data-flow:F-{n}", Link("data-flow", f"F-{n}", "F", "p"), "x", ""),
        )
        for n in range(flows)
    )
    return GraphView("dfd", (node,), edges)


def test_a_dfd_labels_its_flows_up_to_a_limit() -> None:
    from sphinx_threats.render.dot import LABELLED_FLOWS

    labelled = write_dot(_dfd(LABELLED_FLOWS), {})
    bare = write_dot(_dfd(LABELLED_FLOWS + 1), {})
    assert labelled.count('[label="F-') == LABELLED_FLOWS
    # more flows: drawn bare, for Graphviz lays labelled edges out slowly
    assert "label=" not in "".join(line for line in bare.splitlines() if "->" in line)
    assert bare.count("->") == LABELLED_FLOWS + 1
