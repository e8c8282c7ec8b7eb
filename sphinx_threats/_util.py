"""Small helpers shared by the pure core and the Sphinx glue."""

from __future__ import annotations

import difflib
import gc
from collections.abc import Iterable, Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector around a burst of allocations.

    The analysis, the filling of pages and the export each allocate many small
    objects at once while a large environment is alive; left on, the
    collector scans that environment again and again for nothing (it doubled
    or tripled their time).  Collection resumes afterwards, so the cyclic
    docutils trees made meanwhile are still freed.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def did_you_mean(value: str, choices: Iterable[str]) -> str:
    """``; did you mean 'x'?`` naming the choice closest to ``value``, or ``""``."""
    choices = list(choices)
    close = difflib.get_close_matches(value, choices, n=1)
    if not close:
        lowered = {c.lower(): c for c in choices}
        close = [lowered[c] for c in difflib.get_close_matches(value.lower(), list(lowered), n=1)]
    return f"; did you mean {close[0]!r}?" if close else ""
