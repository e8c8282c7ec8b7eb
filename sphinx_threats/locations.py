"""Where an item is: a line of the page being read, through ``include``,
``rst_prolog`` and autodoc docstrings, as the model records it and as
Sphinx's own warnings print it."""

from __future__ import annotations

import os
from pathlib import Path, PurePath
from typing import TYPE_CHECKING

from .model import Location

if TYPE_CHECKING:
    from sphinx.environment import BuildEnvironment


#: How Sphinx names the text of a translated message it parses again.
TRANSLATED_SUFFIX = ":<translated>"


def location_in(env: BuildEnvironment, lineno: int) -> Location:
    """A line of the document being read, as the model records it."""
    docname = env.docname
    return Location(PurePath(env.doc2path(docname, base=False)).as_posix(), lineno, docname)


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
