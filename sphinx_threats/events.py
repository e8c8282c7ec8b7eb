"""The build pipeline: analyse once per build, warn, fill placeholders, export, fail.

Sphinx emits ``env-get-updated`` on every build, after all documents are read
and merged and before anything is written, even when no document changed.
That is where the analysis runs: its warnings therefore come on every build,
in one sorted order whatever ``-j`` was, and it can ask Sphinx to rewrite the
pages whose computed content changed without re-reading them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import glob
import hashlib
import os
import re
import stat
import tempfile
import weakref
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from docutils import nodes
from sphinx.errors import NoUri
from sphinx.util import logging
from sphinx.util.fileutil import copy_asset_file
from sphinx.util.logging import is_suppressed_warning

from . import config as config_module
from ._util import paused_gc
from .analysis import Gap, Report, Settings
from .catalog import Catalog, read_catalog
from .config import category_labels
from .directives import catalog_file
from .directives import vocabulary as vocabulary_of
from .domain import ThreatsDomain
from .envdata import (
    PageLinks,
    anchor_written,
    conditional_anchors,
    threats_domain,
    warning_location,
)
from .export import BADGE_FILE, coverage_badge, to_data, to_json
from .figures import fails
from .model import GapKind, Kind, Location, Problem
from .nodes import threats_item_status, threats_placeholder, threats_report
from .render.elements import element
from .render.items import item_fields, item_links
from .render.registry import draw_report, report_view
from .render.renderer import Linker, Renderer
from .sources import read_sources
from .views.items import item_view
from .views.links import Link, link_of
from .views.request import ReportRequest

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.builders import Builder
    from sphinx.config import Config
    from sphinx.environment import BuildEnvironment

logger = logging.getLogger(__name__)

#: Builders that do not need the analysis (they neither show nor check it).
SKIP_BUILDERS = ("linkcheck", "gettext")

STATIC = Path(__file__).parent / "static"
CSS_FILE = "sphinx-threats.css"

# Per application, found before the environment exists: the raw ``-D`` values,
# and the conf.py problems (reported with the other problems on every build).
_command_line: weakref.WeakKeyDictionary[Sphinx, dict[str, str]] = weakref.WeakKeyDictionary()
_config_problems: weakref.WeakKeyDictionary[Sphinx, list[Gap]] = weakref.WeakKeyDictionary()


def settings_of(config: Config, env: BuildEnvironment | None = None) -> Settings:
    """Analysis settings from the (validated) configuration."""
    today = config.threats_today
    return Settings(
        today=dt.date.fromisoformat(today) if today else dt.date.today(),
        expiry_notice_days=config.threats_expiry_notice_days,
        acceptance_requires_approval=config.threats_acceptance_requires_approval,
        severities=tuple(config.threats_severities),
        likelihoods=tuple(config.threats_likelihoods),
        impacts=tuple(config.threats_impacts),
        risk_matrix=tuple(
            (likelihood, impact, severity)
            for likelihood, row in (config.threats_risk_matrix or {}).items()
            for impact, severity in row.items()
        ),
        graph_max_nodes=config.threats_graph_max_nodes,
        is_external=_intersphinx_lookup(env) if env is not None else Settings.is_external,
    )


def _intersphinx_entries(env: BuildEnvironment) -> Any:
    """The intersphinx inventory entry of an ID (``None``: in no project loaded)."""
    inventory: dict[str, dict[str, Any]] = getattr(env, "intersphinx_inventory", None) or {}
    named: dict[str, dict[str, dict[str, Any]]] = (
        getattr(env, "intersphinx_named_inventory", None) or {}
    )

    def entry(kind: str, ident: str) -> Any:
        objtype = f"threats:{kind}"
        if ident in inventory.get(objtype, {}):
            return inventory[objtype][ident]
        # ``project:ID`` names one inventory explicitly
        prefix, _, rest = ident.partition(":")
        return named.get(prefix, {}).get(objtype, {}).get(rest) if rest else None

    return entry


def _intersphinx_lookup(env: BuildEnvironment) -> Any:
    """Whether an ID is in a project loaded through intersphinx."""
    entry = _intersphinx_entries(env)

    def known(kind: Kind, ident: str) -> bool:
        return entry(kind.value, ident) is not None

    return known


def intersphinx_uri(env: BuildEnvironment, fromdocname: str) -> Any:
    """The URI of an ID's page in a project loaded through intersphinx, from
    ``fromdocname`` (``""``: in none), as intersphinx links a role to it."""
    entry = _intersphinx_entries(env)

    def uri(kind: str, ident: str) -> str:
        found = entry(kind, ident)
        if found is None:
            return ""
        # Sphinx 8.1 keeps tuples (project, version, uri, name); later, objects
        target: str = found.uri if hasattr(found, "uri") else found[2]
        if "://" not in target:  # a local inventory: relative to the page, as intersphinx does
            target = "../" * fromdocname.count("/") + target
        return target

    return uri


# -- configuration -----------------------------------------------------------


def take_command_line(app: Sphinx) -> None:
    """Take the raw ``-D threats_*=...`` strings before Sphinx converts them.

    Sphinx converts a ``-D`` value by the type of its default as soon as
    anything reads the configuration (even a debug ``repr`` before
    ``config-inited``): ``-D threats_acceptance_requires_approval=true`` would
    stop the build and ``-D threats_expiry_notice_days=soon`` warn outside our
    warning type.  Our own check (:func:`check_config`) handles them instead.
    """
    overrides = app.config.overrides
    names = {spec.name for spec in config_module.CONFIG_VALUES}
    _command_line[app] = {
        name: overrides.pop(name)
        for name in list(overrides)
        if name in names and isinstance(overrides[name], str)
    }


def check_config(app: Sphinx, config: Config) -> None:
    """Replace bad values by their defaults before Sphinx checks (or converts) them.

    ``-D`` values come raw, from :func:`take_command_line`.
    """
    command_line = _command_line.get(app, {})
    values = {
        spec.name: spec.default if spec.name in command_line else config[spec.name]
        for spec in config_module.CONFIG_VALUES
    }
    checked, problems = config_module.validate_named(values, command_line)
    for name, value in checked.items():
        config[name] = value
    conf_py = Path(app.confdir, "conf.py")
    _config_problems[app] = [
        Gap(
            GapKind.INVALID,
            message,
            (),
            Location(str(conf_py), line_in_conf(conf_py, name) if name not in command_line else 1),
        )
        for name, message in problems
    ]


def line_in_conf(conf_py: Path, name: str) -> int:
    """The line assigning ``name`` in conf.py (1 when not found)."""
    try:
        lines = conf_py.read_text(encoding="utf-8").splitlines()
    except OSError:
        return 1
    for number, line in enumerate(lines, 1):
        if re.match(rf"{re.escape(name)}\s*[:=]", line):
            return number
    return 1


# -- catalogues ------------------------------------------------------------------------


def catalog_paths(app: Sphinx) -> tuple[list[Path], list[str]]:
    """The files ``threats_catalogs`` names (globs expanded, sorted, once each),
    and the patterns that match no file."""
    confdir = Path(app.confdir)
    found: dict[Path, None] = {}
    unmatched: list[str] = []
    for pattern in app.config.threats_catalogs:
        if glob.has_magic(pattern):
            matches = sorted(Path(p) for p in glob.glob(str(confdir / pattern), recursive=True))
        else:
            matches = [confdir / pattern]
        matches = [m for m in matches if m.is_file()]
        if not matches:
            unmatched.append(pattern)
        found.update((m.resolve(), None) for m in matches)
    return list(found), unmatched


def read_catalogs(
    app: Sphinx, env: BuildEnvironment, added: set[str], changed: set[str], removed: set[str]
) -> list[str]:
    """Read every catalogue, before any document; return the pages that render
    a catalogue that changed, so that they are read again."""
    domain = threats_domain(env)
    old = {file: catalog.digest for file, catalog in domain.catalogs().items()}
    paths, unmatched = catalog_paths(app)
    vocabulary = vocabulary_of(app.config)
    catalogs: dict[str, Catalog] = {}
    for path in paths:
        file = catalog_file(str(path), str(app.srcdir))
        catalogs[file] = read_catalog(path, file, vocabulary)
    conf_py = Path(app.confdir, "conf.py")
    where = Location(str(conf_py), line_in_conf(conf_py, "threats_catalogs"))
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


def read_externals(
    app: Sphinx, env: BuildEnvironment, added: set[str], changed: set[str], removed: set[str]
) -> list[str]:
    """Read every ``threats_external`` source, once per build, before any document.

    No page needs reading again: what an external item changes on a page
    (a title, a status, a link) is computed content, and the analysis asks
    for exactly the pages whose computed content changed.
    """
    conf_py = Path(app.confdir, "conf.py")
    where = Location(str(conf_py), line_in_conf(conf_py, "threats_external"))
    models, problems = read_sources(app, vocabulary_of(app.config), where)
    threats_domain(env).set_externals(models, problems)
    return []


def note_conditional_items(app: Sphinx, doctree: nodes.document) -> None:
    """Record the page's items whose blocks only some builders write
    (inside ``only`` or ``ifconfig``): links to them are left out elsewhere."""
    found = conditional_anchors(doctree)
    if found:
        threats_domain(app.env).note_conditions(app.env.docname, found)


# -- analysis ------------------------------------------------------------------


def analyse_build(app: Sphinx, env: BuildEnvironment) -> list[str]:
    """Analyse, warn, tell other extensions, and return the pages whose
    computed content changed."""
    if app.builder.name in SKIP_BUILDERS:
        return []
    domain = threats_domain(env)
    report = domain.analyse(settings_of(app.config, env))
    config_problems = _config_problems.get(app, [])
    if report.gaps or config_problems:
        # Sphinx left its "looking for now-outdated files..." line open
        logger.info("")
    for gap in [*config_problems, *report.gaps]:
        # the file the line is in, which for a catalogue item rendered on a
        # page is the catalogue, not the page
        location = warning_location(app.srcdir, gap.location)
        logger.warning(gap.message, type="threats", subtype=gap.kind.value, location=location)
    app.emit("threats-analysed", report)
    return pages_to_rewrite(env, domain, report)


def failing_gaps(app: Sphinx, report: Report) -> list[Gap]:
    """The reported gaps (conf.py problems first) that fail this build."""
    config = app.config
    suppress = config.suppress_warnings
    severities = report.settings.severities
    return [
        gap
        for gap in [*_config_problems.get(app, []), *report.gaps]
        if not is_suppressed_warning("threats", gap.kind.value, suppress)
        and fails(
            gap,
            config.threats_fail_on,
            config.threats_fail_min_severity,
            severities,
        )
    ]


def page_digests(domain: ThreatsDomain, report: Report) -> dict[str, str]:
    """Per page, a digest of everything it shows that comes from other pages."""
    digests: dict[str, str] = {}
    data = domain.data
    # whether a link is made depends on the target's `only`/`ifconfig` too;
    # such blocks are few and seldom moved, so every page shares their digest
    conditional = sorted((d, sorted(found.items())) for d, found in data["conditions"].items())
    for docname in sorted(domain.pages()):
        # the views are not kept for writing: drawn again then, they cost less
        # than the garbage collector's passes over them in between
        parts: list[Any] = [item_view(report, item) for item in domain.items_of(docname)]
        parts.append(conditional)
        for ref in data["references"].get(docname, ()):
            parts.append(link_of(report, ref.kind, domain.target(ref.target)))
        for request in data["reports"].get(docname, ()):
            parts.append(report_view(report, request))
        digests[docname] = hashlib.sha256(repr(parts).encode()).hexdigest()
    return digests


def pages_to_rewrite(env: BuildEnvironment, domain: ThreatsDomain, report: Report) -> list[str]:
    """Pages whose computed content changed since the last build."""
    with paused_gc():  # a view of every item
        new = page_digests(domain, report)
    old: dict[str, str] = domain.data["digests"]
    changed = [d for d, digest in new.items() if old.get(d) != digest and d in env.all_docs]
    domain.data["digests"] = new
    return changed


# -- writing -------------------------------------------------------------------


def make_linker(builder: Builder, fromdocname: str) -> Linker:
    """Links from ``fromdocname`` to items, with the builder's own URIs."""
    pages = PageLinks(builder, fromdocname)
    elsewhere = intersphinx_uri(builder.env, fromdocname)

    def link(target: Link) -> nodes.reference | None:
        ref = element(nodes.reference, internal=True, reftitle=f"{target.kind} {target.id}")
        if not target.docname:
            # another project's: from threats_external, else through intersphinx
            uri = target.uri or elsewhere(target.kind, target.id)
            if not uri:
                return None  # on no page here: shown, not linked
            ref["internal"] = False
            ref["refuri"] = uri
            return ref
        base = pages.item_uri(target.docname, target.id)
        if base is None:
            return None  # a page this output leaves out, or a block in a false `only`
        if base:
            ref["refuri"] = f"{base}#{target.id}"
        else:
            ref["refid"] = target.id
        return ref

    return link


def fill_placeholders(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Replace item and report placeholders with their computed content.

    Done at ``doctree-resolved`` (like ``todolist`` in ``sphinx.ext.todo``):
    the builder is known there, so links are made directly instead of as
    ``pending_xref`` nodes for the resolver to copy and resolve one by one.
    """
    found = list(doctree.findall(threats_placeholder))
    if not found:
        return
    with paused_gc():  # a burst of node allocation
        _fill(app, doctree, docname, found)


def _fill(
    app: Sphinx, doctree: nodes.document, docname: str, found: list[threats_placeholder]
) -> None:
    env = app.env
    domain = threats_domain(env)
    report = domain.report(settings_of(app.config, env))
    labels = category_labels(app.config.threats_categories)
    renderers: dict[str, Renderer] = {}
    page_views: dict[str, dict[tuple[str, str, str, int], Any]] = {}
    for node in found:
        # singlehtml and latex merge pages: link from the page the node came from
        origin = node.get("docname") or docname
        renderer = renderers.get(origin)
        if renderer is None:
            renderer = renderers[origin] = Renderer(
                make_linker(app.builder, origin), labels, app.builder.format, origin
            )
        if isinstance(node, threats_item_status):
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


def silence_missing_reference(app: Sphinx, domain: Any, node: nodes.Element) -> bool | None:
    """Unknown IDs are reported once, as ``threats.unknown-ref``, by the analysis."""
    if domain is not None and domain.name == "threats":
        return True
    return None


# -- after writing -----------------------------------------------------------------


def add_css(app: Sphinx) -> None:
    """Link the stylesheet in HTML builds, and put it in place before any page
    is written (so every page links it with the same checksum)."""
    if app.builder.format == "html":
        app.add_css_file(CSS_FILE)
        static = Path(app.outdir, "_static")
        static.mkdir(parents=True, exist_ok=True)
        copy_asset_file(STATIC / CSS_FILE, static, force=True)


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


def finish_build(app: Sphinx, exception: BaseException | None) -> None:
    """Write ``threats.json`` and fail the build on gaps."""
    if exception is not None or app.builder.name in SKIP_BUILDERS:
        return
    env = app.env
    domain = threats_domain(env)
    report = domain.report(settings_of(app.config, env))
    failing = failing_gaps(app, report)
    with paused_gc():  # a burst of small dicts and strings
        _export(app, report, failing)
    if failing:
        counts = Counter(g.kind.value for g in failing)
        first = ", ".join(f"{g.location.file}:{g.location.lineno}" for g in failing[:3])
        logger.info(
            "threat model: %d gap(s) fail the build (%s); first at %s",
            len(failing),
            ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items())),
            first,
        )
        app.statuscode = 1


def _export(app: Sphinx, report: Report, failing: list[Gap]) -> None:
    path = export_path(app)
    if path is None:
        return
    builder = app.builder
    suppress = app.config.suppress_warnings

    # None: not a page of this output; "" is one (dirhtml's root page)
    pages: dict[str, str | None] = {}

    def uri(item: Any) -> str:
        docname = item.location.docname
        if docname not in pages:
            try:
                pages[docname] = builder.get_target_uri(docname) if docname else None
            except NoUri:
                pages[docname] = None
        page = pages[docname]
        if page is None or not anchor_written(builder, docname, item.id):
            return ""
        return f"{page}#{item.id}"

    data = to_data(
        report,
        app.config.project,
        uri,
        lambda gap: is_suppressed_warning("threats", gap.kind.value, suppress),
        fail_on=app.config.threats_fail_on,
        failing=set(failing),
    )
    try:
        write_if_changed(path, to_json(data))
        if builder.format == "html":
            # a README shows it; the same figure as the summary's
            percent = data["summary"]["coverage"]["percent"]
            write_if_changed(path.with_name(BADGE_FILE), coverage_badge(percent))
    except OSError as err:
        # the gap summary and the exit status still follow; Sphinx would turn
        # the exception into an extension error and lose both
        conf_py = Path(app.confdir, "conf.py")
        logger.warning(
            "threats_export: cannot write %s (%s); the threat model was not exported",
            path,
            err.strerror or err,
            type="threats",
            subtype="invalid",
            location=f"{conf_py}:{line_in_conf(conf_py, 'threats_export')}",
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
