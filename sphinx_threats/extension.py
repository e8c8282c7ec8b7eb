"""Registration with Sphinx: the domain, directives, roles, config values and events.

Imported by :func:`sphinx_threats.setup` only when Sphinx loads the extension,
so that the model, the analysis and the command line never import Sphinx.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from . import config, events, graphs
from ._version import __version__
from .directives import DIRECTIVES
from .domain import ENV_VERSION, ThreatsDomain
from .nodes import PLACEHOLDERS, skip_placeholder
from .roles import ROLES
from .short_names import register_short_names
from .sphinx_config import take_command_line
from .transforms import LatexItemTargets, SingleFileItemAnchors

if TYPE_CHECKING:
    from sphinx.application import Sphinx


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the domain, directives, roles, config values and event handlers."""
    # threat-graph pictures are sphinx.ext.graphviz's nodes (and its options)
    app.setup_extension("sphinx.ext.graphviz")
    for spec in config.CONFIG_VALUES:
        rebuild = cast("Any", spec.rebuild)  # a str Literal for Sphinx's typing
        app.add_config_value(
            spec.name, spec.default, rebuild, types=spec.types, description=spec.help
        )

    take_command_line(app)

    app.add_domain(ThreatsDomain)
    for name, directive in DIRECTIVES.items():
        app.add_directive_to_domain(ThreatsDomain.name, name, directive)
    for name, role in ROLES.items():
        app.add_role_to_domain(ThreatsDomain.name, name, role)
    # Short names too, unless another extension already took the name
    # (events.check_short_names says so, also for a name taken after this setup()).
    register_short_names(app)

    app.add_event("threats-analysed")
    # (item, ItemBlock) -> nodes to add to the item's block: the sphinx-needs
    # bridge's hidden need (see api.ItemBlock)
    app.add_event("threats-item-declared")

    for node in PLACEHOLDERS:
        visit = (skip_placeholder, None)
        app.add_node(node, html=visit, latex=visit, text=visit, man=visit, texinfo=visit)
    app.add_node(graphs.threats_picture, html=(graphs.visit_picture, None))
    app.add_post_transform(LatexItemTargets)
    app.add_post_transform(SingleFileItemAnchors)

    app.connect("config-inited", events.check_config)
    # above 12: sphinx-needs resolves its need types there (see needs.start)
    app.connect("config-inited", events.start_needs_bridge, priority=13)
    # before the catalogues and the external models are recorded (same
    # priority: handlers run in the order connected)
    app.connect("env-get-outdated", events.open_records)
    app.connect("env-get-outdated", events.read_catalogs)
    app.connect("env-get-outdated", events.read_externals)
    app.connect("env-get-outdated", events.read_evidence)
    app.connect("builder-inited", events.check_short_names)
    app.connect("builder-inited", events.add_css)
    app.connect("builder-inited", events.keep_export_out_of_epub)
    app.connect("doctree-read", events.note_conditional_items)
    app.connect("env-get-updated", events.analyse_build)
    app.connect("doctree-resolved", events.fill_placeholders)
    # after the placeholders are filled: they hold the graphs
    app.connect("doctree-resolved", graphs.draw_graphs, priority=600)
    app.connect("warn-missing-reference", events.silence_missing_reference)
    app.connect("html-collect-pages", graphs.finish_pictures)
    app.connect("build-finished", graphs.stop_pictures, priority=400)
    app.connect("build-finished", events.finish_build)

    return {
        "version": __version__,
        "env_version": ENV_VERSION,
        "parallel_read_safe": True,
        "parallel_write_safe": True,
    }
