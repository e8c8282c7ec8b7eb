"""The Sphinx side of writing ``threats.json``: where it goes, the page URI
of each item, the coverage badge beside it, the atomic write, and keeping
both out of an epub.  The format itself is :mod:`~.threatsfile` (no Sphinx)."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from sphinx.errors import NoUri
from sphinx.util import logging
from sphinx.util.logging import is_suppressed_warning

from ._util import paused_gc
from .exporters.badge import BADGE_FILE, coverage_badge
from .locations import warning_location
from .members import source_entries
from .model import GapKind, Item
from .sphinx_config import conf_location, project_id, vocabulary
from .threatsfile.write import to_data, to_json

if TYPE_CHECKING:
    from sphinx.application import Sphinx

    from .analysis import Report
    from .domain import ThreatsDomain
    from .model import Gap

logger = logging.getLogger(__name__)


def export_path(app: Sphinx) -> Path | None:
    """Where ``threats.json`` goes (``None``: not exported)."""
    target = app.config.threats_export
    if target is False:
        return None
    return Path(app.outdir, "threats.json" if target is True else target)


def keep_export_out_of_epub(app: Sphinx) -> None:
    """Take the last build's ``threats.json`` and badge out of an epub's output directory.

    The epub builder packs every file it finds there and warns about a type
    it does not know (``epub.unknown_project_files``), so a rebuild into the
    same directory would warn where the first build did not, and pack the
    badge (a type it knows) into the book.  Both are written again, beside
    the ``.epub`` and not in it, when the build ends.
    """
    path = export_path(app)
    if app.builder.name != "epub" or path is None:
        return
    outdir = Path(app.outdir).resolve()
    for written in (path, path.with_name(BADGE_FILE)):
        if written.is_file() and written.resolve().is_relative_to(outdir):
            written.unlink()


def export(app: Sphinx, domain: ThreatsDomain, report: Report, failing: list[Gap]) -> None:
    """Write ``threats.json`` (and, for HTML, its coverage badge) if configured.

    A file that cannot be written is one ``threats.invalid`` warning at
    conf.py's ``threats_export``: the gap summary and the exit status still
    follow (Sphinx would turn the exception into an extension error and lose
    both).
    """
    path = export_path(app)
    if path is None:
        return
    with paused_gc():  # a burst of small dicts and strings
        _export(app, domain, report, failing, path)


def _export(
    app: Sphinx, domain: ThreatsDomain, report: Report, failing: list[Gap], path: Path
) -> None:
    builder = app.builder
    suppress = app.config.suppress_warnings

    # None: not a page of this output; "" is one (dirhtml's root page)
    pages: dict[str, str | None] = {}

    def uri(item: Item) -> str:
        docname = item.location.docname
        if docname not in pages:
            try:
                pages[docname] = builder.get_target_uri(docname) if docname else None
            except NoUri:
                pages[docname] = None
        page = pages[docname]
        if page is None or not domain.anchor_written(builder, docname, item.id):
            return ""
        return f"{page}#{item.id}"

    data = to_data(
        report,
        app.config.project,
        uri,
        lambda gap: is_suppressed_warning("threats", gap.kind.value, suppress),
        fail_on=app.config.threats_fail_on,
        failing=set(failing),
        vocabulary=vocabulary(app.config),
        project_id=project_id(app.config),
        sources=source_entries(domain.externals(), domain.members()),
    )
    try:
        write_if_changed(path, to_json(data))
        if builder.format == "html":
            # a README shows it; the same figure as the summary's
            percent = data["summary"]["coverage"]["percent"]
            write_if_changed(path.with_name(BADGE_FILE), coverage_badge(percent))
    except OSError as err:
        where = conf_location(app, "threats_export")
        logger.warning(
            "threats_export: cannot write %s (%s); the threat model was not exported",
            path,
            err.strerror or err,
            type="threats",
            subtype=GapKind.INVALID.value,
            location=warning_location(app.srcdir, where),
        )


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def write_if_changed(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` through a file beside it (never half a file),
    leaving an identical regular file untouched (its timestamp too).

    Only a regular file is read: whatever else is at the path (a FIFO, a
    device) could block the read, and is replaced.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode("utf-8")
    try:
        if stat.S_ISREG(os.stat(path).st_mode) and path.read_bytes() == data:
            return
    except FileNotFoundError:
        pass
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.chmod(temporary, 0o666 & ~_umask())  # as a plain open() would create it
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
