"""Placeholder nodes: inserted while reading, replaced once the model is known.

Like ``todolist`` in ``sphinx.ext.todo``: a directive cannot know what other
pages declare, so it leaves one of these behind and the ``doctree-resolved``
handler (``events.fill_placeholders``, through :mod:`~.placeholders`) fills it
from the analysis of the whole project.
"""

from __future__ import annotations

from typing import Any

from docutils import nodes


class threats_placeholder(nodes.General, nodes.Element):
    """Base of the placeholders (one ``findall`` finds them all).

    Attribute ``docname``: the page it was read from.
    """


class threats_item_computed(threats_placeholder):
    """A computed part of an item block: its fields (status, options, links
    to the items it names) or its back-links, as ``part`` says.

    Attributes: ``part`` (``fields`` or ``links``), ``kind`` (item kind),
    ``item_id``, ``file`` and ``lineno`` (where the item is declared: an
    included file's, not the page's), ``docname``.
    """


class threats_report(threats_placeholder):
    """A report directive's output.

    Attribute ``request``: the :class:`~.views.ReportRequest` (report name,
    filters, options).
    """


class threats_graph(nodes.General, nodes.Element):
    """A drawn ``threat-graph``, before the picture is made.

    Attributes: ``view`` (the :class:`~.views.graph.GraphView`), ``targets``
    (node key -> the page-relative URI of its item, ``#ID`` on the same
    page), ``alt`` (a one-line description), ``legend`` (what the picture's
    shapes, colours and lines mean).  Its children are the
    adjacency list, shown instead of the picture when there is none (text
    builder, no ``dot``); ``graphs.draw_graphs`` replaces it.
    """


PLACEHOLDERS = (threats_placeholder, threats_item_computed, threats_report, threats_graph)


def skip_placeholder(translator: Any, node: nodes.Element) -> None:
    """Writers never see a placeholder (they are replaced before writing); if
    one is left, say nothing rather than fail."""
    raise nodes.SkipNode
