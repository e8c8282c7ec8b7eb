"""sphinx-threats: write your threat model inside your Sphinx docs.

This module holds only the version and a ``setup()`` that imports the Sphinx
side lazily (as MyST-Parser does), so ``import sphinx_threats.cli`` or
``.analysis`` loads neither Sphinx nor docutils.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._version import __version__

__all__ = ["__version__", "setup"]

if TYPE_CHECKING:
    from sphinx.application import Sphinx


def setup(app: Sphinx) -> dict[str, Any]:
    """Register the extension with Sphinx (see :mod:`sphinx_threats.extension`)."""
    from .extension import setup as register

    return register(app)
