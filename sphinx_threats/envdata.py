"""Where the extension's records live in a build, and where pages are.

Small helpers the directives, roles, domain and events share, kept apart from
:mod:`~.domain` so that the domain can declare its directives and roles in its
class body (they need these helpers, the domain needs them).
"""

from __future__ import annotations

import os
from pathlib import PurePath
from typing import TYPE_CHECKING, cast

from sphinx.errors import NoUri

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
    recorded relative to it (posix), like a page; anything else is kept as
    Sphinx prints it.  The docname stays the page being read: links go there.
    """
    if not source or line is None:
        return location_in(env, line or 0)
    path = PurePath(source)
    try:
        file = path.relative_to(env.srcdir).as_posix() if path.is_absolute() else source
    except ValueError:
        file = source  # outside the source directory: as Sphinx shows it
    return Location(file, line, env.docname)


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
