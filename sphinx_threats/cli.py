"""The ``sphinx-threats`` command (``python -m sphinx_threats``).

The ``report``, ``diff`` and ``sarif`` sub-commands read ``threats.json``;
they come with their own issue. For now the command prints its help and version.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from . import __version__


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; return the exit status."""
    parser = argparse.ArgumentParser(
        prog="sphinx-threats",
        description="Work with the threats.json that a sphinx-threats build writes.",
    )
    parser.add_argument("--version", action="version", version=f"sphinx-threats {__version__}")
    parser.parse_args(argv)
    parser.print_help()
    return 0
