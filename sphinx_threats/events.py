"""The event handlers: a few lines each, calling the modules that own the concern.

Sphinx emits ``env-get-updated`` on every build, after all documents are read
and merged and before anything is written, even when no document changed.
That is where the analysis runs: its warnings therefore come on every build,
in one sorted order whatever ``-j`` was, and it can ask Sphinx to rewrite the
pages whose computed content changed without re-reading them.

Nothing imports this module but :mod:`~.extension`, which connects it.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sphinx.util.fileutil import copy_asset_file

from . import (
    catalog_files,
    digests,
    evidence_files,
    lock_file,
    outcome,
    placeholders,
    publish,
    short_names,
    sources,
    sphinx_config,
)
from .domain import threats_domain
from .links import conditional_anchors

if TYPE_CHECKING:
    from docutils import nodes
    from sphinx.application import Sphinx
    from sphinx.config import Config
    from sphinx.environment import BuildEnvironment

#: Builders that show no analysis of their own (no warnings, no export, no
#: event); the analysis still runs, silently, for the pages they resolve.
SKIP_BUILDERS = ("linkcheck", "gettext")

STATIC = Path(__file__).parent / "static"
CSS_FILE = "sphinx-threats.css"


# -- configuration -----------------------------------------------------------


def check_config(app: Sphinx, config: Config) -> None:
    """Replace bad values by their defaults before Sphinx checks them (``config-inited``)."""
    sphinx_config.check_config(app, config)


def start_needs_bridge(app: Sphinx, config: Config) -> None:
    """Bridge to sphinx-needs when it is loaded, wherever it is in ``extensions``
    (every extension is set up by ``config-inited``); never import it otherwise."""
    if "sphinx_needs" in app.extensions:
        from . import needs

        needs.start(app, config)


def check_short_names(app: Sphinx) -> None:
    """Say which short names another extension holds (``builder-inited``)."""
    short_names.check_short_names(app)


# -- reading -------------------------------------------------------------------


def open_records(
    app: Sphinx, env: BuildEnvironment, added: set[str], changed: set[str], removed: set[str]
) -> list[str]:
    """A build starts reading (``env-get-outdated``, before the other handlers):
    the domain takes records again, and conf.py's problems first."""
    domain = threats_domain(env)
    domain.open_records()
    domain.set_config_problems(sphinx_config.config_problems(app))
    return []


def read_catalogs(
    app: Sphinx, env: BuildEnvironment, added: set[str], changed: set[str], removed: set[str]
) -> list[str]:
    """Read every catalogue, before any document; return the pages that render
    a catalogue that changed, so that they are read again."""
    return catalog_files.read_catalogs(app, env, threats_domain(env))


def read_externals(
    app: Sphinx, env: BuildEnvironment, added: set[str], changed: set[str], removed: set[str]
) -> list[str]:
    """Read every ``threats_external`` source and ``threats_aggregate`` member,
    once per build, before any document.

    No page needs reading again: what another project's item changes on a
    page (a title, a status, a link) is computed content, and the analysis
    asks for exactly the pages whose computed content changed.
    """
    where = {
        value: sphinx_config.conf_location(app, value)
        for value in ("threats_external", "threats_aggregate")
    }
    project_id = sphinx_config.project_id(app.config)
    read = sources.read_sources(app, sphinx_config.vocabulary(app.config), where, project_id)
    threats_domain(env).set_externals(read.externals, read.problems, read.members, project_id)
    return []


def read_evidence(
    app: Sphinx, env: BuildEnvironment, added: set[str], changed: set[str], removed: set[str]
) -> list[str]:
    """Read the ``threats_evidence`` test results, once per build, before any
    document; no page needs reading again (see :mod:`~.evidence_files`)."""
    evidence_files.read_evidence(app, threats_domain(env))
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
    domain = threats_domain(env)
    settings = sphinx_config.settings_of(app.config, env)
    report = domain.analyse(
        replace(settings, lock=lock_file.read_lock(app)),
        sphinx_config.conf_location(app, "threats_aggregate"),
    )
    if app.builder.name in SKIP_BUILDERS:
        return []
    outcome.warn_gaps(app, report)
    app.emit("threats-analysed", report)
    return digests.pages_to_rewrite(env, domain, report)


# -- writing -------------------------------------------------------------------


def add_css(app: Sphinx) -> None:
    """Link the stylesheet in HTML builds, and put it in place before any page
    is written (so every page links it with the same checksum)."""
    if app.builder.format == "html":
        app.add_css_file(CSS_FILE)
        static = Path(app.outdir, "_static")
        static.mkdir(parents=True, exist_ok=True)
        copy_asset_file(STATIC / CSS_FILE, static, force=True)


def keep_export_out_of_epub(app: Sphinx) -> None:
    """Take the last build's ``threats.json`` and badge out of an epub's output
    directory (``builder-inited``; see :func:`~.publish.keep_export_out_of_epub`)."""
    publish.keep_export_out_of_epub(app)


def fill_placeholders(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    """Replace item and report placeholders with their computed content
    (``doctree-resolved``)."""
    placeholders.fill_placeholders(app, threats_domain(app.env), doctree, docname)


def silence_missing_reference(app: Sphinx, domain: Any, node: nodes.Element) -> bool | None:
    """Unknown IDs are reported once, as ``threats.unknown-ref``, by the analysis."""
    if domain is not None and domain.name == "threats":
        return True
    return None


# -- after writing -------------------------------------------------------------


def finish_build(app: Sphinx, exception: BaseException | None) -> None:
    """Write ``threats.json`` and fail the build on gaps."""
    if exception is not None or app.builder.name in SKIP_BUILDERS:
        return
    domain = threats_domain(app.env)
    report = domain.report()
    failing = outcome.failing_gaps(app, report)
    publish.export(app, domain, report, failing)
    outcome.fail_build(app, failing)
