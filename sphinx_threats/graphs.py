"""``threat-graph`` pictures: through ``sphinx.ext.graphviz``, or the list.

The report's drawing (``render.graph``) leaves a :class:`~.nodes.threats_graph`
holding the view, the page-relative URI of each node's item and the
adjacency list.  Here, once the page is resolved, it becomes
``sphinx.ext.graphviz``'s own node (a subclass: so every builder renders it
the Sphinx way, and its file cache, named by a hash of the DOT text, spares ``dot``
runs for unchanged graphs), or stays the adjacency list: in the text builder,
and when ``dot`` is missing (one warning per build, saying how to install it).
"""

from __future__ import annotations

import posixpath
import shutil
import weakref
from typing import TYPE_CHECKING

from docutils import nodes
from sphinx.ext.graphviz import graphviz, html_visit_graphviz
from sphinx.util import logging
from sphinx.util.osutil import relative_uri

from ._util import paused_gc
from .nodes import threats_graph
from .render.dot import write_dot
from .views.graph import GraphView

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.builders import Builder
    from sphinx.writers.html5 import HTML5Translator

logger = logging.getLogger(__name__)

#: Builders whose ``graphviz`` visitor draws a picture (text and man print
#: ``[graph]``: they get the adjacency list instead).
PICTURE_FORMATS = ("html", "latex", "texinfo")

# Per builder (one build): whether ``dot`` runs, looked up once, not per graph.
_dot_found: weakref.WeakKeyDictionary[Builder, bool] = weakref.WeakKeyDictionary()


def dot_found(app: Sphinx, where: nodes.Element) -> bool:
    """Whether ``graphviz_dot`` names a program; the first time it does not,
    one warning (at the graph ``where``) says how to install Graphviz."""
    builder = app.builder
    found = _dot_found.get(builder)
    if found is None:
        program = app.config.graphviz_dot
        found = _dot_found[builder] = bool(program) and shutil.which(program) is not None
        if not found:
            view: GraphView = where["view"]
            logger.warning(
                "%s: the Graphviz program %r (graphviz_dot) is not installed, so "
                "graphs are shown as lists; install Graphviz (apt-get install graphviz, "
                "brew install graphviz, or https://graphviz.org/download/) or set "
                "graphviz_dot to its path",
                "threat-dfd" if view.layout == "dfd" else "threat-graph",
                program,
                type="threats",
                location=where,
            )
    return found


class threats_picture(graphviz):
    """A graph's picture: ``sphinx.ext.graphviz``'s node, drawn as it is in
    HTML with the garbage collector paused (:func:`visit_picture`), and by
    ``graphviz``'s own visitors elsewhere (Sphinx's translators look a
    visitor up along the node's bases)."""


def visit_picture(self: HTML5Translator, node: threats_picture) -> None:
    """Draw the picture as ``sphinx.ext.graphviz`` does, with the collector paused.

    ``sphinx.ext.graphviz`` parses each SVG it makes and writes it again
    (``fix_svg_relative_paths``): a service's graph is a thousand XML
    elements, and allocating them while the whole environment is alive set
    off full collections, each a scan of that environment.  Measured at
    S=100, T=20 with 101 graphs: 13 full collections instead of the 11 of
    the build without graphs, about 1 s; paused, 11.  The elements are
    freed by reference counting before collection resumes.
    """
    with paused_gc():
        html_visit_graphviz(self, node)


def draw_graphs(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Make each graph of the page a ``graphviz`` picture, or its adjacency list."""
    found = list(doctree.findall(threats_graph))
    if not found:
        return
    builder = app.builder
    fmt = builder.format
    picture = fmt in PICTURE_FORMATS and dot_found(app, found[0])
    svg_paths: dict[str, str] = {}  # for _from_svg: the page's graphs link few pages
    for node in found:
        listing = list(node.children)
        if not picture:
            node.replace_self(listing)
            continue
        view: GraphView = node["view"]
        targets: dict[str, str] = node["targets"]
        if fmt == "html" and app.config.graphviz_output_format == "svg":
            urls = {
                key: _from_svg(builder, docname, uri, svg_paths) for key, uri in targets.items()
            }
        elif fmt == "html":
            urls = targets  # a PNG's image map is part of the page: page-relative
        else:
            # a PDF included by LaTeX loses its links: the list below has them
            urls = {}
        picture_node = threats_picture()
        picture_node["code"] = write_dot(view, urls)
        picture_node["options"] = {"docname": docname}
        picture_node["alt"] = node["alt"]
        picture_node["classes"] = ["threats-graph"]
        legend = nodes.paragraph("", node["legend"], classes=["threats-graph-legend"])
        node.replace_self([picture_node, legend, *(listing if fmt != "html" else [])])


def _page_file(builder: Builder, docname: str) -> str:
    """The output file the page is written to, relative to the output directory."""
    if builder.name == "singlehtml":
        suffix: str = getattr(builder, "out_suffix", ".html")
        return f"{builder.config.root_doc}{suffix}"
    uri = builder.get_target_uri(docname)
    return uri + "index.html" if uri == "" or uri.endswith("/") else uri


def _from_svg(builder: Builder, docname: str, uri: str, known: dict[str, str]) -> str:
    """A page-relative ``uri`` as the SVG must hold it (``known``: the paths
    worked out so far for the same page's graphs).

    Links in the SVG resolve against the SVG's own place (the images
    directory), and ``sphinx.ext.graphviz`` rewrites every relative link of a
    new SVG as if it were relative to the page's *source* directory
    (``fix_svg_relative_paths``), which for ``dirhtml`` is not where the page
    is written.  So the link is first made relative to the images directory,
    then taken back through that rewriting's inverse: it comes out right for
    every HTML builder.

    Worked out once per page linked, not per link: a service's graph at
    S=100, T=20 links some 75 items on about 27 pages, and each path takes
    a dozen path operations (a profiled build of 101 graphs: 0.74 s per
    link, 0.26 s per page).
    """
    if "://" in uri or uri.startswith("/"):
        return uri
    path, _, fragment = uri.partition("#")
    inverse = known.get(path)
    if inverse is None:
        inverse = known[path] = _svg_path(builder, docname, path)
    return inverse + (f"#{fragment}" if fragment else "")


def _svg_path(builder: Builder, docname: str, path: str) -> str:
    """The path part of :func:`_from_svg`."""
    page = _page_file(builder, docname)
    target = posixpath.normpath(posixpath.join(posixpath.dirname(page), path)) if path else page
    if target.endswith("/") or not posixpath.splitext(target)[1]:
        target = posixpath.join(target, "index.html")  # a dirhtml directory: the file itself
    # what the rewriting computes from: the page's source directory and image
    # path, under a root deep enough that no ``..`` climbs out of it
    root = "/" + "/".join(["_"] * 64)
    source_dir = posixpath.normpath(posixpath.join(root, posixpath.dirname(docname)))
    images = posixpath.normpath(posixpath.join(source_dir, relative_uri(page, builder.imagedir)))
    from_images = posixpath.relpath(
        posixpath.join(root, target), posixpath.join(root, builder.imagedir)
    )
    return posixpath.relpath(posixpath.normpath(posixpath.join(images, from_images)), source_dir)
