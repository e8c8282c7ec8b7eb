"""Where the extension's records live in a build, and where pages are.

Small helpers the directives, roles, domain and events share, kept apart from
:mod:`~.domain` so that the domain can declare its directives and roles in its
class body (they need these helpers, the domain needs them).
"""

from __future__ import annotations

import os
import weakref
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, NamedTuple, cast

from docutils import nodes
from sphinx import addnodes
from sphinx.errors import NoUri
from sphinx.ext.ifconfig import ifconfig

from .model import Location

if TYPE_CHECKING:
    from sphinx.builders import Builder
    from sphinx.environment import BuildEnvironment

    from .domain import ThreatsDomain


def threats_domain(env: BuildEnvironment) -> ThreatsDomain:
    """The ``threats`` domain of ``env``."""
    return cast("ThreatsDomain", env.domains["threats"])


def location_in(env: BuildEnvironment, lineno: int) -> Location:
    """A line of the document being read, as the model records it."""
    docname = env.docname
    return Location(PurePath(env.doc2path(docname, base=False)).as_posix(), lineno, docname)


#: How Sphinx names the text of a translated message it parses again.
TRANSLATED_SUFFIX = ":<translated>"


def source_location(env: BuildEnvironment, source: str | None, line: int | None) -> Location:
    """Where docutils says a line comes from, as the model records it.

    ``source`` is what ``get_source_and_line`` gives: the file an
    ``include`` read (or the page itself), or autodoc's
    ``module.py:docstring of name``.  A file inside the source directory is
    recorded relative to it (posix), like a page, however docutils named it
    (absolute, or relative to the working directory); another file by its
    absolute path; anything else is kept as Sphinx prints it.  The docname
    stays the page being read: links go there.
    """
    if not source or line is None:
        return location_in(env, line or 0)
    path = Path(source)
    if not path.is_absolute():
        if not path.is_file():
            return Location(source, line, env.docname)  # not a file: as Sphinx shows it
        # docutils' include names the file it read relative to the working
        # directory when the two share a parent (docutils.utils.relative_path)
        path = Path(os.path.abspath(path))
        source = str(path)
    srcdir = Path(env.srcdir)
    if not path.is_relative_to(srcdir):  # perhaps through a symbolic link
        path, srcdir = path.resolve(), srcdir.resolve()
        if not path.is_relative_to(srcdir):
            return Location(source, line, env.docname)  # outside the source directory
    return Location(path.relative_to(srcdir).as_posix(), line, env.docname)


def warning_location(srcdir: str | PurePath, location: Location) -> str:
    """``file:line`` as Sphinx's own warnings print it: files of the project
    (pages, catalogues) under the source directory, ``<rst_prolog>`` and
    absolute paths as recorded."""
    file = location.file
    if not file.startswith("<"):
        file = os.path.normpath(os.path.join(srcdir, file))
    return f"{file}:{location.lineno}"


def single_file_pages(builder: Builder) -> set[str]:
    """The pages a single-file build contains: the root and its toctrees."""
    env = builder.env
    root = builder.config.root_doc
    seen = {root}
    todo = [root]
    while todo:
        for child in env.toctree_includes.get(todo.pop(), ()):
            if child not in seen:
                seen.add(child)
                todo.append(child)
    return seen


class Condition(NamedTuple):
    """A directive an item's block is inside, whose condition Sphinx decides
    for each builder when it writes the page."""

    #: ``only`` (a tag expression) or ``ifconfig`` (Python over the configuration).
    directive: str
    #: Its argument, as written.
    expr: str


def conditional_anchors(doctree: nodes.document) -> dict[str, tuple[Condition, ...]]:
    """The item anchors of a page read now whose block is inside ``only`` or
    ``ifconfig``, with the conditions around it (outermost first).

    Taken from the page as read, before any builder decides the conditions:
    the item counts everywhere (the SPEC), its anchor only where written.
    """
    found: dict[str, tuple[Condition, ...]] = {}
    for block in doctree.findall(nodes.admonition):
        if "threats-item" not in block["classes"] or not block["ids"]:
            continue
        conditions: list[Condition] = []
        parent = block.parent
        while parent is not None:
            if isinstance(parent, addnodes.only):
                conditions.append(Condition("only", parent["expr"]))
            elif isinstance(parent, ifconfig):
                conditions.append(Condition("ifconfig", parent["expr"]))
            parent = parent.parent
        if conditions:
            for anchor in block["ids"]:
                found[anchor] = tuple(reversed(conditions))
    return found


# Per builder, each condition decided once: the tags and the configuration
# do not change while a builder writes.
_decided: weakref.WeakKeyDictionary[Builder, dict[Condition, bool]] = weakref.WeakKeyDictionary()


def _holds(builder: Builder, condition: Condition) -> bool:
    """Whether Sphinx writes what ``condition`` guards, decided as Sphinx does."""
    if condition.directive == "only":
        try:
            return bool(builder.tags.eval_condition(condition.expr))
        except Exception:
            return True  # Sphinx warns and keeps the content (process_only_nodes)
    # as sphinx.ext.ifconfig's process_ifconfig_nodes evaluates it
    config = builder.config
    namespace = {value.name: value.value for value in config}
    namespace.update(config.__dict__.copy())
    namespace["builder"] = builder.name
    try:
        # the page's own expression, which Sphinx evaluates the same way anyway
        return bool(eval(condition.expr, namespace))
    except Exception:
        return False  # Sphinx puts an error message in its place


def anchor_written(builder: Builder, docname: str, anchor: str) -> bool:
    """Whether this builder writes the anchor ``anchor`` of page ``docname``:
    not when the item's block is inside an ``only`` or ``ifconfig`` whose
    condition is false for it."""
    conditions = threats_domain(builder.env).data["conditions"].get(docname, {}).get(anchor)
    if not conditions:
        return True
    decided = _decided.setdefault(builder, {})
    for condition in conditions:
        if condition not in decided:
            decided[condition] = _holds(builder, condition)
        if not decided[condition]:
            return False
    return True


class PageLinks:
    """URIs from one page to the pages holding items, as the builder makes them.

    :meth:`uri` is ``""`` when the target is in the same output file (a bare
    ``#ID`` fragment), the relative URI of the target page otherwise, and
    ``None`` when the output leaves that page out.  On ``singlehtml`` every
    included page is in one file: Sphinx 9 would build ``#document-page#ID``,
    which no browser resolves, so a bare fragment is used instead.
    """

    def __init__(self, builder: Builder, fromdocname: str) -> None:
        self.builder = builder
        self.fromdocname = fromdocname
        self.single_file = single_file_pages(builder) if builder.name == "singlehtml" else None
        self._uris: dict[str, str | None] = {}

    def uri(self, todocname: str) -> str | None:
        """The URI of ``todocname`` from this page (see the class doc)."""
        if todocname == self.fromdocname:
            return ""
        if self.single_file is not None:
            return "" if todocname in self.single_file else None
        if todocname not in self._uris:
            try:
                self._uris[todocname] = self.builder.get_relative_uri(self.fromdocname, todocname)
            except NoUri:
                self._uris[todocname] = None  # a page this output leaves out
        return self._uris[todocname]

    def item_uri(self, todocname: str, ident: str) -> str | None:
        """:meth:`uri` of the page holding the item ``ident``; ``None`` also
        when this output leaves the item's block out (see :func:`anchor_written`)."""
        if not anchor_written(self.builder, todocname, ident):
            return None
        return self.uri(todocname)
