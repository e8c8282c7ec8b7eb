"""The Sphinx side of the catalogues: the files ``threats_catalogs`` names,
read once per build before any document, and the pages to read again when
one changes.  Reading a catalogue itself is :mod:`~.catalog` (no Sphinx)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from .catalog import Catalog, read_catalog
from .model import GapKind, Problem
from .sphinx_config import conf_location, config_paths, vocabulary

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.environment import BuildEnvironment

    from .domain import ThreatsDomain


def catalog_file(path: str, srcdir: str) -> str:
    """How a catalogue is named in items and warnings: relative to the source directory."""
    return Path(os.path.relpath(path, srcdir)).as_posix()


def catalog_paths(app: Sphinx) -> tuple[list[Path], list[str]]:
    """The files ``threats_catalogs`` names (globs expanded, sorted, once each),
    and the patterns that match no file."""
    return config_paths(app, "threats_catalogs")


def read_catalogs(app: Sphinx, env: BuildEnvironment, domain: ThreatsDomain) -> list[str]:
    """Read every catalogue into the domain; return the pages that render a
    catalogue that changed since the last build, so that they are read again."""
    old = {file: catalog.digest for file, catalog in domain.catalogs().items()}
    paths, unmatched = catalog_paths(app)
    allowed = vocabulary(app.config)
    catalogs: dict[str, Catalog] = {}
    for path in paths:
        file = catalog_file(str(path), str(app.srcdir))
        catalogs[file] = read_catalog(path, file, allowed)
    where = conf_location(app, "threats_catalogs")
    for pattern in unmatched:
        message = f"threats_catalogs names {pattern!r}, which matches no file"
        catalogs[pattern] = Catalog(pattern, "", (), (Problem(GapKind.INVALID, message, where),))
    domain.set_catalogs(catalogs)
    new = {file: catalog.digest for file, catalog in catalogs.items()}
    stale = {file for file in old.keys() | new.keys() if old.get(file) != new.get(file)}
    return sorted(
        docname
        for docname, renders in domain.data["renders"].items()
        if docname in env.found_docs and any(render.file in stale for render in renders)
    )
