"""Small helpers shared by the pure core and the Sphinx glue."""

from __future__ import annotations

import difflib
import gc
import re
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


#: A URL query parameter whose name says it holds a secret (``?private_token=``,
#: ``?access_token=``, ``?api_key=``, ``X-Amz-Signature``, Azure's ``sig``...).
SECRET_PARAMETER = re.compile(
    r"token|key|secret|passw|pwd|sig|credential|auth|session|code", re.IGNORECASE
)
#: What a secret is shown as.
MASKED = "***"

_USERINFO = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*://)[^/@\s'\"]+@")
_QUERY_PARAMETER = re.compile(r"([?&])([^=&#\s'\"]*)=([^&#\s'\"]*)")


def without_secrets(text: str) -> str:
    """``text`` (a message quoting URLs) with each URL's ``user:token@`` left
    out and each query parameter named like a secret shown as ``***``."""
    text = _USERINFO.sub(r"\1", text)

    def mask(match: re.Match[str]) -> str:
        if SECRET_PARAMETER.search(match.group(2)):
            return f"{match.group(1)}{match.group(2)}={MASKED}"
        return match.group()

    return _QUERY_PARAMETER.sub(mask, text)
