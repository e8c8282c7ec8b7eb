"""Small helpers shared by the pure core and the Sphinx glue."""

from __future__ import annotations

import gc
from collections.abc import Iterator
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
