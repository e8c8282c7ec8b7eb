"""The short names of the directives and roles (``.. threat::``,
``:threat:``): registered unless another extension holds the name, and said
once per build when one does (the ``threats:`` names always work)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sphinx.util import logging
from sphinx.util.docutils import is_directive_registered, is_role_registered

from .directives import DIRECTIVES
from .model import GapKind
from .roles import ROLES
from .sphinx_config import conf_py, line_in_conf

if TYPE_CHECKING:
    from sphinx.application import Sphinx

logger = logging.getLogger(__name__)


def register_short_names(app: Sphinx) -> None:
    """Register the short names no extension holds yet (:func:`check_short_names`
    says so for a name taken, also one taken after this)."""
    for name, directive in DIRECTIVES.items():
        if not is_directive_registered(name):
            app.add_directive(name, directive)
    for name, role in ROLES.items():
        if not is_role_registered(name):
            app.add_role(name, role)


def check_short_names(app: Sphinx) -> None:
    """Say which short names another extension holds.

    Run when the builder is ready: every extension's ``config-inited``
    handlers have run by then (sphinx-needs registers its need-type
    directives there, after our ``setup()``), and a short name taken then
    silently turns ``.. threat::`` into the other extension's directive.
    """
    from docutils.parsers.rst import directives, roles

    # the registries are looked up by name, as the parsers do; only names that
    # are registered are asked for, so no language module is needed
    unused: Any = None
    for name, ours in DIRECTIVES.items():
        if (
            is_directive_registered(name)
            and directives.directive(name, unused, unused)[0] is not ours
        ):
            _warn_taken(app, "directive", name)
    for name, role in ROLES.items():
        registered: Any = (
            roles.role(name, unused, 0, unused)[0] if is_role_registered(name) else role
        )
        if registered is not role:
            _warn_taken(app, "role", name)


def _warn_taken(app: Sphinx, what: str, name: str) -> None:
    # a sphinx-needs need type is the usual taker: point at its declaration
    need_types = getattr(app.config, "needs_types", None) or ()
    taker = "needs_types" if any(t.get("directive") == name for t in need_types) else ""
    conf = conf_py(app)
    location = f"{conf}:{line_in_conf(conf, taker)}" if taker else None
    logger.warning(
        "sphinx-threats: the %s name %r is taken by another extension; use the 'threats:%s' "
        "form (in MyST too)",
        what,
        name,
        name,
        type="threats",
        subtype=GapKind.INVALID.value,
        location=location,
    )
