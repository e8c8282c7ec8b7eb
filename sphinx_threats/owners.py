"""Who owns a gap: the ``owner`` of the item it is located at, so that
``sphinx-threats report --group-by owner`` pages the right team."""

from __future__ import annotations

from .analysis import Report
from .model import Gap, Item, Service


def owner_of(report: Report, item: Item) -> str:
    """``item``'s ``:owner:``; for an item without one (a threat), its owning
    service's (``""``: none known)."""
    owner = getattr(item, "owner", "")
    if isinstance(owner, str) and owner:
        return owner
    service = report.index.get(getattr(item, "service", None) or "")
    return service.owner if isinstance(service, Service) else ""


def gap_owner(report: Report, gap: Gap) -> str:
    """The owner of the item ``gap`` is located at (``""``: none known)."""
    where = gap.location
    for ident in gap.ids:
        item = report.index.get(ident)
        if item is None:
            continue
        at = item.location
        if (at.file, at.project) == (where.file, where.project) and (
            at.lineno == where.lineno or any(line == where.lineno for _, line in item.option_lines)
        ):
            return owner_of(report, item)
    return ""
