"""The public API of sphinx-threats for other Sphinx extensions (and ``conf.py``).

Small and typed, as sphinx-needs' ``api``: what is here keeps its name and
meaning; the other modules of the package may change.

* :func:`get_report`: the analysis of a built environment, once it has run.
* The ``threats-analysed`` event, ``(app, report)``: the same report, once per
  build, after the analysis and before any page is written.
* The ``threats-item-declared`` event, ``(app, item, block)``: emitted while a
  page is read, once per item block, with the item's record (an :class:`Item`)
  and where its block is written (an :class:`ItemBlock`); each listener
  returns a list of nodes to put in the block.

Records cannot be made once the analysis has run, and the report cannot be
had before: both raise :class:`PhaseError`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .analysis import Report
from .directives import ItemBlock
from .domain import PhaseError, threats_domain
from .model import Item, Kind

if TYPE_CHECKING:
    from sphinx.environment import BuildEnvironment

__all__ = ["Item", "ItemBlock", "Kind", "PhaseError", "Report", "get_report"]


def get_report(env: BuildEnvironment) -> Report:
    """The analysis report of ``env``'s build: the model (``report.model``),
    the computed statuses and the gaps.

    Available from ``env-get-updated`` (after every page is read) on, so in
    ``threats-analysed`` listeners, while pages are resolved and written, and
    at ``build-finished``.

    :raises PhaseError: before the analysis has run (while pages are read).
    """
    return threats_domain(env).report()
