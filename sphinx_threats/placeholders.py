"""Filling the placeholders a page was read with (item fields and back-links,
reports) from the analysis of the whole project, once the builder is known.

Done at ``doctree-resolved`` (like ``todolist`` in ``sphinx.ext.todo``): the
builder is known there, so links are made directly instead of as
``pending_xref`` nodes for the resolver to copy and resolve one by one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._util import paused_gc
from .config import category_labels
from .links import make_linker
from .nodes import threats_item_computed, threats_placeholder, threats_report
from .render.items import item_fields, item_links
from .render.registry import draw_report
from .render.renderer import Renderer
from .views.items import item_view
from .views.request import ReportRequest

if TYPE_CHECKING:
    from docutils import nodes
    from sphinx.application import Sphinx

    from .domain import ThreatsDomain


def fill_placeholders(
    app: Sphinx, domain: ThreatsDomain, doctree: nodes.document, docname: str
) -> None:
    """Replace every placeholder of ``doctree`` (page ``docname``) with its
    computed content."""
    found = list(doctree.findall(threats_placeholder))
    if not found:
        return
    with paused_gc():  # a burst of node allocation
        _fill(app, domain, docname, found)


def _fill(
    app: Sphinx, domain: ThreatsDomain, docname: str, found: list[threats_placeholder]
) -> None:
    report = domain.report()
    builder = app.builder
    labels = category_labels(app.config.threats_categories)
    conditions = domain.conditions()
    renderers: dict[str, Renderer] = {}
    page_views: dict[str, dict[tuple[str, str, str, int], Any]] = {}
    for node in found:
        # singlehtml and latex merge pages: link from the page the node came from
        origin = node.get("docname") or docname
        renderer = renderers.get(origin)
        if renderer is None:
            renderer = renderers[origin] = Renderer(
                make_linker(builder, origin, conditions), labels, builder.format, origin
            )
        if isinstance(node, threats_item_computed):
            item_views = page_views.get(origin)
            if item_views is None:
                item_views = page_views[origin] = {
                    (item.kind.value, item.id, item.location.file, item.location.lineno): (
                        item_view(report, item)
                    )
                    for item in domain.items_of(origin)
                }
            key = (node["kind"], node["item_id"], node["file"], node["lineno"])
            view = item_views.get(key)
            if view is None:
                node.replace_self([])
            elif node["part"] == "fields":
                node.replace_self(item_fields(renderer, view))
            else:
                node.replace_self(item_links(renderer, view))
        elif isinstance(node, threats_report):
            request: ReportRequest = node["request"]
            drawn = draw_report(renderer, report, request)
            drawn.source, drawn.line = node.source, node.line  # its warnings point here
            node.replace_self(drawn)
