"""Items of other projects loaded through intersphinx: whether an ID is one,
and the URI of its page, as intersphinx links a role to it."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sphinx.environment import BuildEnvironment

    from .model import Kind


def _entries(env: BuildEnvironment) -> Callable[[str, str], Any]:
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


def is_external(env: BuildEnvironment) -> Callable[[Kind, str], bool]:
    """Whether an ID is in a project loaded through intersphinx."""
    entry = _entries(env)

    def known(kind: Kind, ident: str) -> bool:
        return entry(kind.value, ident) is not None

    return known


def intersphinx_uri(env: BuildEnvironment, fromdocname: str) -> Callable[[str, str], str]:
    """The URI of an ID's page in a project loaded through intersphinx, from
    ``fromdocname`` (``""``: in none), as intersphinx links a role to it."""
    entry = _entries(env)

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
