"""The Sphinx side of ``threats_lock``: the lock file, read once per build
for the analysis.  Reading and judging it is :mod:`~.review` (no Sphinx).

Nothing of a page is read again when the lock changes: a review's mark is
computed content, so the pages whose marks changed are rewritten (their
digests differ, see :mod:`~.digests`) and no other.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from .review import Lock, parse_lock

if TYPE_CHECKING:
    from sphinx.application import Sphinx


def read_lock(app: Sphinx) -> Lock | None:
    """The ``threats_lock`` file (``None`` when not configured); a missing
    file records no review yet, an unreadable one is one problem at it."""
    name = app.config.threats_lock
    if not name:
        return None
    path = Path(app.confdir, name)
    file = Path(os.path.relpath(path, app.srcdir)).as_posix()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Lock(file)
    except (OSError, UnicodeDecodeError) as err:
        reason = getattr(err, "strerror", None) or str(err)
        return Lock(file, problems=((0, f"threats_lock: cannot read {file}: {reason}"),))
    return parse_lock(text, file)
