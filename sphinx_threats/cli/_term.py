"""Text output: colour only where it helps, lines that fit the terminal."""

from __future__ import annotations

import os
import shutil
import sys
import textwrap
from typing import TextIO

#: Narrowest and widest text layout, whatever the terminal says.
MIN_WIDTH, MAX_WIDTH = 40, 120

_CODES = {"bold": "1", "dim": "2", "red": "31", "green": "32", "yellow": "33", "cyan": "36"}


def use_colour(choice: str, stream: TextIO | None = None) -> bool:
    """Whether to colour: ``always``/``never`` as asked; ``auto`` only on a
    terminal and only when ``NO_COLOR`` is unset or empty (https://no-color.org)."""
    if choice != "auto":
        return choice == "always"
    stream = stream or sys.stdout
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def width() -> int:
    """Columns to lay text out in: ``COLUMNS``, else the terminal's, else 80."""
    columns = shutil.get_terminal_size((80, 24)).columns
    return max(MIN_WIDTH, min(MAX_WIDTH, columns))


class Style:
    """ANSI styles, or none at all."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    def __call__(self, text: str, *styles: str) -> str:
        """``text`` in ``styles`` (names of :data:`_CODES`)."""
        if not self.enabled or not styles or not text:
            return text
        codes = ";".join(_CODES[s] for s in styles)
        return f"\x1b[{codes}m{text}\x1b[0m"


def wrap(text: str, columns: int, indent: str, first: str | None = None) -> list[str]:
    """``text`` wrapped to ``columns``, lines indented by ``indent`` (the first
    by ``first`` when given); long words (paths, IDs) are never broken."""
    return textwrap.wrap(
        text,
        width=columns,
        initial_indent=indent if first is None else first,
        subsequent_indent=indent,
        break_long_words=False,
        break_on_hyphens=False,
    ) or [(indent if first is None else first).rstrip()]
