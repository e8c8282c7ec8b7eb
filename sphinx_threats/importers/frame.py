"""The frame every importer shares: what a source format is, and the decisions
every import makes the same way whatever the source.

A format (:class:`SourceFormat`) maps its tool's fields onto the neutral
model; what the import fills in where the source has nothing (the owner and
expiry of a risk acceptance, the due date of a control not yet in effect, the
``imported`` tag that lets a reviewer find all of them)
is decided here, once, so the three importers cannot drift apart.

Pure: no Sphinx, no docutils.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Protocol

from ..model import IN_EFFECT_STATUSES, Kind
from .mapping import MappingRow
from .model import Block, ImportedItem, ImportedModel, ImportSettings, options, tags

#: The tag an item gets when the import filled in a value the source did not
#: have (a ``:due:`` or ``:expires:`` date, an owner), so a reviewer can find
#: every such item with ``:tags: imported``.  A severity is never filled in: a
#: threat the source does not rate is unrated.
IMPORTED_TAG = "imported"


class SourceFormat(Protocol):
    """One foreign tool's file format, as ``sphinx-threats import`` reads it."""

    @property
    def name(self) -> str:
        """The ``sphinx-threats import`` argument (``threat-dragon``)."""

    @property
    def label(self) -> str:
        """The tool's name as its users know it (``Threat Dragon``)."""

    @property
    def reads_yaml(self) -> bool:
        """Whether the file may be YAML as well as JSON."""

    def parse(self, data: Any, settings: ImportSettings) -> ImportedModel:
        """The neutral model of one parsed file.

        Raises :class:`~.model.SourceError` naming the JSON path of a value
        that does not have the shape the format requires.
        """

    def mapping_rows(self) -> list[MappingRow]:
        """The documented mapping, built from the tables the import uses."""


def mitigation(
    item_id: str,
    title: str,
    settings: ImportSettings,
    *,
    mitigates: tuple[str, ...],
    status: str,
    effect: str | None = None,
    service: str | None = None,
    applies_to: tuple[str, ...] = (),
    source_tags: Iterable[str] = (),
    body: tuple[Block, ...] = (),
) -> ImportedItem:
    """A mitigation of ``mitigates``; one not yet in effect (planned, in
    progress) gets ``--due`` and the ``imported`` tag."""
    due = settings.due if status not in IN_EFFECT_STATUSES else None
    return ImportedItem(
        Kind.MITIGATION.value,
        item_id,
        title,
        options(
            {
                "mitigates": mitigates,
                "status": status,
                "due": due,
                "effect": effect,
                "service": service,
                "applies-to": applies_to,
                "tags": tags([*source_tags, IMPORTED_TAG] if due else source_tags),
            }
        ),
        body,
    )


def risk_acceptance(
    item_id: str,
    title: str,
    settings: ImportSettings,
    *,
    threats: tuple[str, ...],
    service: str | None = None,
    source_tags: Iterable[str] = (),
    body: tuple[Block, ...] = (),
) -> ImportedItem:
    """An acceptance of the risk of ``threats``: no tool records who accepted
    it until when, so ``--owner`` and ``--expires`` do, tagged ``imported``."""
    return ImportedItem(
        Kind.RISK_ACCEPTANCE.value,
        item_id,
        title,
        options(
            {
                "threats": threats,
                "service": service,
                "owner": settings.owner,
                "expires": settings.expires,
                "tags": tags([*source_tags, IMPORTED_TAG]),
            }
        ),
        body,
    )


def not_applicable(
    item_id: str,
    title: str,
    *,
    threats: tuple[str, ...],
    reason: Block,
    service: str | None = None,
) -> ImportedItem:
    """A statement that ``threats`` do not apply (to ``service`` only, when
    given), with the source's ``reason`` as its body."""
    return ImportedItem(
        Kind.NOT_APPLICABLE.value,
        item_id,
        title,
        options({"threats": threats, "service": service}),
        (reason,),
    )
