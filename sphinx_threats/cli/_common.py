"""What the sub-commands share."""

from __future__ import annotations


class UsageError(Exception):
    """A bad argument or an unreadable input: printed without a traceback, exit 2."""
