"""Registration with Sphinx: the domain, directives, roles, config values and events.

Imported by :func:`sphinx_threats.setup` only when Sphinx loads the extension,
so that the model, the analysis and the command line never import Sphinx.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from sphinx.util import logging
from sphinx.util.docutils import is_directive_registered, is_role_registered

from . import __version__

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.config import Config

logger = logging.getLogger(__name__)

#: Bump when the pickled domain data changes shape.
ENV_VERSION = 4


def check_short_names(app: Sphinx) -> None:
    """Say, once per build, which short names another extension holds.

    Run when the builder is ready: every extension's ``config-inited``
    handlers have run by then (sphinx-needs registers its need-type
    directives there, after our ``setup()``), and a short name taken then
    silently turns ``.. threat::`` into the other extension's directive.
    """
    from docutils.parsers.rst import directives, roles

    from .domain import ThreatsDomain

    # the registries are looked up by name, as the parsers do; only names that
    # are registered are asked for, so no language module is needed
    unused: Any = None
    for name, ours in ThreatsDomain.directives.items():
        if (
            is_directive_registered(name)
            and directives.directive(name, unused, unused)[0] is not ours
        ):
            _warn_taken(app, "directive", name)
    for name, role in ThreatsDomain.roles.items():
        registered: Any = (
            roles.role(name, unused, 0, unused)[0] if is_role_registered(name) else role
        )
        if registered is not role:
            _warn_taken(app, "role", name)


def _warn_taken(app: Sphinx, what: str, name: str) -> None:
    from pathlib import Path

    from .events import line_in_conf

    # a sphinx-needs need type is the usual taker: point at its declaration
    need_types = getattr(app.config, "needs_types", None) or ()
    taker = "needs_types" if any(t.get("directive") == name for t in need_types) else ""
    conf_py = Path(app.confdir, "conf.py")
    location = f"{conf_py}:{line_in_conf(conf_py, taker)}" if taker else None
    logger.warning(
        "sphinx-threats: the %s name %r is taken by another extension; use the 'threats:%s' "
        "form (in MyST too)",
        what,
        name,
        name,
        type="threats",
        subtype="invalid",
        location=location,
    )


def start_needs_bridge(app: Sphinx, config: Config) -> None:
    """Bridge to sphinx-needs when it is loaded, wherever it is in ``extensions``
    (every extension is set up by ``config-inited``); never import it otherwise."""
    if "sphinx_needs" in app.extensions:
        from . import needs

        needs.start(app, config)


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the domain, directives, roles, config values and event handlers."""
    from . import config, events, graphs
    from .domain import ThreatsDomain
    from .nodes import PLACEHOLDERS, skip_placeholder
    from .transforms import LatexItemTargets, SingleFileItemAnchors

    # threat-graph pictures are sphinx.ext.graphviz's nodes (and its options)
    app.setup_extension("sphinx.ext.graphviz")
    for spec in config.CONFIG_VALUES:
        rebuild = cast("Any", spec.rebuild)  # a str Literal for Sphinx's typing
        app.add_config_value(
            spec.name, spec.default, rebuild, types=spec.types, description=spec.help
        )

    events.take_command_line(app)

    app.add_domain(ThreatsDomain)
    app.add_event("threats-analysed")
    # (directive, item) -> nodes to add to the item's block: the sphinx-needs
    # bridge's hidden need
    app.add_event("threats-item-declared")

    # Short names too, unless another extension already took the name
    # (check_short_names says so, also for a name taken after this setup()).
    for name, directive in ThreatsDomain.directives.items():
        if not is_directive_registered(name):
            app.add_directive(name, directive)
    for name, role in ThreatsDomain.roles.items():
        if not is_role_registered(name):
            app.add_role(name, role)

    for node in PLACEHOLDERS:
        visit = (skip_placeholder, None)
        app.add_node(node, html=visit, latex=visit, text=visit, man=visit, texinfo=visit)
    app.add_post_transform(LatexItemTargets)
    app.add_post_transform(SingleFileItemAnchors)

    app.connect("config-inited", events.check_config)
    # above 12: sphinx-needs resolves its need types there (see needs.start)
    app.connect("config-inited", start_needs_bridge, priority=13)
    app.connect("env-get-outdated", events.read_catalogs)
    app.connect("env-get-outdated", events.read_externals)
    app.connect("builder-inited", check_short_names)
    app.connect("builder-inited", events.add_css)
    app.connect("builder-inited", events.keep_export_out_of_epub)
    app.connect("doctree-read", events.note_conditional_items)
    app.connect("env-get-updated", events.analyse_build)
    app.connect("doctree-resolved", events.fill_placeholders)
    # after the placeholders are filled: they hold the graphs
    app.connect("doctree-resolved", graphs.draw_graphs, priority=600)
    app.connect("warn-missing-reference", events.silence_missing_reference)
    app.connect("build-finished", events.finish_build)

    return {
        "version": __version__,
        "env_version": ENV_VERSION,
        "parallel_read_safe": True,
        "parallel_write_safe": True,
    }
