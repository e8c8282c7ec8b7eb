"""Page digests: what a page shows that comes from other pages, hashed, so
that a build rewrites exactly the pages whose computed content changed
(without reading them again)."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from ._util import paused_gc
from .render.registry import report_view
from .views.backlinks import link_of
from .views.items import item_view

if TYPE_CHECKING:
    from sphinx.environment import BuildEnvironment

    from .analysis import Report
    from .domain import ThreatsDomain


def page_digests(domain: ThreatsDomain, report: Report) -> dict[str, str]:
    """Per page, a digest of everything it shows that comes from other pages."""
    digests: dict[str, str] = {}
    data = domain.data
    # whether a link is made depends on the target's `only`/`ifconfig` too;
    # such blocks are few and seldom moved, so every page shares their digest
    conditional = sorted((d, sorted(found.items())) for d, found in domain.conditions().items())
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
    """Pages whose computed content changed since the last build (whose
    digests the domain then keeps for the next)."""
    with paused_gc():  # a view of every item
        new = page_digests(domain, report)
    old = domain.digests()
    changed = [d for d, digest in new.items() if old.get(d) != digest and d in env.all_docs]
    domain.set_digests(new)
    return changed
