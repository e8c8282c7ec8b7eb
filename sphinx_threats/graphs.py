"""``threat-graph`` pictures: through ``sphinx.ext.graphviz``, or the list.

The report's drawing (``render.graph``) leaves a :class:`~.nodes.threats_graph`
holding the view, the page-relative URI of each node's item and the
adjacency list.  Here, once the page is resolved, it becomes
``sphinx.ext.graphviz``'s own node (a subclass: so every builder renders it
the Sphinx way, and its file cache, named by a hash of the DOT text, spares ``dot``
runs for unchanged graphs), or stays the adjacency list: in the text builder,
and when ``dot`` is missing (one warning per build, saying how to install it).

In HTML with SVG pictures (``graphviz_output_format = "svg"``), the picture's
``dot`` starts here, in the background (``dot_runs``), and the page is
written meanwhile with the markup ``sphinx.ext.graphviz`` would write; the
links in the DOT text are relative to the images directory, where the SVG
is, so the SVG is not parsed and written again afterwards as
``sphinx.ext.graphviz`` does with its own.  Measured at S=100, T=20 with
101 pictures (``bench/README.md``).
"""

from __future__ import annotations

import posixpath
import shutil
import weakref
from hashlib import sha1
from typing import TYPE_CHECKING

from docutils import nodes
from sphinx.ext.graphviz import graphviz, html_visit_graphviz
from sphinx.util import logging

from .dot_runs import DotRuns, Failure
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
    """A graph's picture: ``sphinx.ext.graphviz``'s node, drawn by its own
    visitors (Sphinx's translators look a visitor up along the node's bases)
    except in HTML with SVG pictures, where ``dot`` is started in the
    background when the page is resolved (:func:`visit_picture`)."""


def visit_picture(self: HTML5Translator, node: threats_picture) -> None:
    """The markup ``sphinx.ext.graphviz`` writes for an SVG picture, naming the
    file whose ``dot`` run :func:`draw_graphs` started (or its own visitor,
    for a PNG)."""
    name = node.get("threats_file")
    if not name:
        html_visit_graphviz(self, node)
        return
    src = posixpath.join(self.builder.imgpath, name)
    classes = " ".join(["graphviz", *node.get("classes", [])])
    self.body.append('<div class="graphviz">')
    self.body.append(f'<object data="{self.attval(src)}" type="image/svg+xml" class="{classes}">\n')
    self.body.append(f'<p class="warning">{self.encode(node["alt"])}</p>')
    self.body.append("</object></div>\n")
    raise nodes.SkipNode


# Per builder (one build): the ``dot`` runs started, waited for by :func:`finish_pictures`.
_runs: weakref.WeakKeyDictionary[Builder, DotRuns] = weakref.WeakKeyDictionary()


def _start_svg(app: Sphinx, picture: threats_picture, where: str | None) -> None:
    """Start ``dot`` for ``picture``'s SVG, named as ``sphinx.ext.graphviz``
    names it (a hash of the DOT text, its options and the ``dot`` command), so
    an unchanged picture is not drawn again.

    This reproduces ``sphinx.ext.graphviz``'s ``render_dot`` file naming and
    ``render_dot_html`` markup for SVG (Sphinx 9.0; :func:`visit_picture`)
    instead of calling them, because they run ``dot`` and wait for it, then
    parse and rewrite the SVG: measured at S=100, T=20 with 101 pictures,
    the build with graphs went from 1.43 to 1.18 times the build without
    (``bench/README.md``, "Graphs").  A change of either in Sphinx changes
    file names or markup only, which ``tests/test_graph.py`` checks."""
    builder, config = app.builder, app.config
    runs = _runs.get(builder)
    if runs is None:
        runs = _runs[builder] = DotRuns([config.graphviz_dot, *config.graphviz_dot_args])
    code, options = picture["code"], picture["options"]
    key = "".join((code, str(options), str(config.graphviz_dot), str(config.graphviz_dot_args)))
    name = f"graphviz-{sha1(key.encode(), usedforsecurity=False).hexdigest()}.svg"
    picture["threats_file"] = name
    cwd = (builder.srcdir / options["docname"]).parent
    runs.start(code, "svg", builder.outdir / builder.imagedir / name, cwd, where)


def finish_pictures(app: Sphinx, *_args: object) -> list[object]:
    """Wait for the build's ``dot`` runs (at ``html-collect-pages``: before the
    builder packs its output, an EPUB's included)."""
    runs = _runs.pop(app.builder, None)
    if runs is not None:
        _warn_undrawn(runs.finish())
    return []


def stop_pictures(app: Sphinx, exception: BaseException | None) -> None:
    """At ``build-finished``: a build that stopped early leaves no ``dot``
    running; one that did not finish the pictures (a builder without
    ``html-collect-pages``) waits for them."""
    runs = _runs.pop(app.builder, None)
    if runs is None:
        return
    if exception is not None:
        runs.stop()
    else:
        _warn_undrawn(runs.finish())


def _warn_undrawn(failures: list[Failure]) -> None:
    """One warning, at the graph, per picture ``dot`` did not draw."""
    for failure in failures:
        logger.warning(
            "the picture was not drawn: %s", failure.why, type="threats", location=failure.where
        )


def draw_graphs(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Make each graph of the page a ``graphviz`` picture, or its adjacency list."""
    found = list(doctree.findall(threats_graph))
    if not found:
        return
    builder = app.builder
    fmt = builder.format
    picture = fmt in PICTURE_FORMATS and dot_found(app, found[0])
    svg_paths: dict[str, str] = {}  # for _from_images: the page's graphs link few pages
    for node in found:
        listing = list(node.children)
        if not picture:
            node.replace_self(listing)
            continue
        view: GraphView = node["view"]
        targets: dict[str, str] = node["targets"]
        svg = fmt == "html" and app.config.graphviz_output_format == "svg"
        if svg:
            urls = {
                key: _from_images(builder, docname, uri, svg_paths) for key, uri in targets.items()
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
        if svg:
            _start_svg(app, picture_node, logging.get_node_location(node))
        legend = nodes.paragraph("", node["legend"], classes=["threats-graph-legend"])
        node.replace_self([picture_node, legend, *(listing if fmt != "html" else [])])


def _page_file(builder: Builder, docname: str) -> str:
    """The output file the page is written to, relative to the output directory."""
    if builder.name == "singlehtml":
        suffix: str = getattr(builder, "out_suffix", ".html")
        return f"{builder.config.root_doc}{suffix}"
    uri = builder.get_target_uri(docname)
    return uri + "index.html" if uri == "" or uri.endswith("/") else uri


def _from_images(builder: Builder, docname: str, uri: str, known: dict[str, str]) -> str:
    """A page-relative ``uri`` as the SVG must hold it: relative to the
    images directory, where the SVG is (``known``: the paths worked out so
    far for the same page's graphs; a service's graph at S=100, T=20 links
    some 75 items on about 27 pages)."""
    if "://" in uri or uri.startswith("/"):
        return uri
    path, _, fragment = uri.partition("#")
    moved = known.get(path)
    if moved is None:
        page = _page_file(builder, docname)
        target = posixpath.normpath(posixpath.join(posixpath.dirname(page), path)) if path else page
        if target.endswith("/") or not posixpath.splitext(target)[1]:
            target = posixpath.join(target, "index.html")  # a dirhtml directory: the file itself
        root = "/" + "/".join(["_"] * 64)  # deep enough that no ``..`` climbs out of it
        moved = known[path] = posixpath.relpath(
            posixpath.join(root, target), posixpath.join(root, builder.imagedir)
        )
    return moved + (f"#{fragment}" if fragment else "")
