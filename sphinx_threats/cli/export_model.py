"""``sphinx-threats export``: not built yet (its issue is open)."""

from __future__ import annotations

import argparse
from typing import Any

NAME = "export"


def add_parser(subparsers: Any) -> None:
    """Register the sub-command."""
    parser = subparsers.add_parser(NAME, help="not built yet")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Say that the sub-command is not built yet."""
    print(f"sphinx-threats {NAME}: not built yet")
    return 2
