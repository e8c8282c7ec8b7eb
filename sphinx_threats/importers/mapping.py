"""What every importer shares: the rows of its documented mapping table and
the small helpers that turn source text into titles and bodies."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import NamedTuple

from .model import Block, Fields, Text


class MappingRow(NamedTuple):
    """One row of an importer's documented mapping (the how-to shows them)."""

    #: The source field or value, as the source tool names it.
    source: str
    #: What it becomes here (option, item kind or value).
    ours: str
    #: Anything a reader should know.
    note: str = ""


def rows_from(
    field: str, table: Mapping[str, str | None], ours: str, note: str = ""
) -> list[MappingRow]:
    """A row per value of a value table (``field = value`` → ``ours value``)."""
    return [
        MappingRow(f"{field} = {source}", f"{ours} {value}" if value else "(nothing)", note)
        for source, value in table.items()
    ]


def short_title(text: str, limit: int = 100) -> tuple[str, bool]:
    """A one-line title from ``text`` and whether it was shortened.

    Text longer than ``limit`` is cut at a word boundary and ends in "…"; the
    caller then keeps the full text in the body.
    """
    line = " ".join(text.split())
    if len(line) <= limit:
        return line, False
    cut = line[:limit].rsplit(" ", 1)[0].rstrip(",;:.")
    return f"{cut}…", True


def capitalised(text: str) -> str:
    """``text`` with its first letter in upper case (statement parts start lower)."""
    text = " ".join(text.split())
    return text[:1].upper() + text[1:]


def fields_block(rows: list[tuple[str, str]]) -> list[Block]:
    """A :class:`Fields` block of the non-empty rows (none when all are empty)."""
    kept = tuple((label, value) for label, value in rows if value.strip())
    return [Fields(kept)] if kept else []


def text_block(text: str) -> list[Block]:
    """A :class:`Text` block, or none for blank text."""
    return [Text(text.strip())] if text.strip() else []


_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def label(key: str) -> str:
    """A source key as a label: ``storesCredentials`` → ``stores credentials``."""
    return _CAMEL.sub(" ", key).replace("_", " ").lower()
