"""The ``sphinx-threats`` command (``python -m sphinx_threats``).

Every sub-command lives in a module of this package exposing ``NAME``,
``add_parser(subparsers)`` (which sets ``run``: the parsed arguments to the
sub-command's typed function, e.g. :func:`.diff.diff`) and that function;
nothing here imports Sphinx or docutils, so the command starts fast and works
on a ``threats.json`` from any build.  Every error is a
:class:`~._common.UsageError`, printed here (exit 2); a worsening (``diff``) or
a failing gap (``report``) exits 1.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Sequence

from .._version import __version__
from ._common import UsageError
from ._safe import clean

#: The sub-command modules, in the order ``--help`` lists them: named for the
#: sub-command (``_cmd`` where that name is a keyword or a package's).
SUBCOMMANDS = ("report", "diff", "sarif", "review", "import_model", "export_cmd")


class _SubcommandParser(argparse.ArgumentParser):
    """A sub-command's parser: options and positionals in any order, so that
    ``review FILE --lock LOCK --by NAME ID...`` reads the IDs after the options
    (argparse takes a run of positionals once, and would refuse them)."""

    _intermixing = False

    def parse_known_args(  # type: ignore[override]
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> tuple[argparse.Namespace, list[str]]:
        if self._intermixing:  # the intermixed parse's own passes
            return super().parse_known_args(args, namespace)
        self._intermixing = True
        try:
            return self.parse_known_intermixed_args(args, namespace)
        finally:
            self._intermixing = False


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command."""
    parser = argparse.ArgumentParser(
        prog="sphinx-threats",
        description="Work with the threats.json that a sphinx-threats build writes.",
    )
    parser.add_argument("--version", action="version", version=f"sphinx-threats {__version__}")
    subparsers = parser.add_subparsers(
        dest="command", metavar="COMMAND", parser_class=_SubcommandParser
    )
    for name in SUBCOMMANDS:
        module = importlib.import_module(f"{__name__}.{name}")
        module.add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command; return the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        status: int = args.run(args)
    except UsageError as err:
        # one line, whatever a file name or a value in the message holds
        print(f"sphinx-threats {args.command}: error: {clean(str(err))}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # the reader stopped early (``| head``): no traceback, and none at exit
        # when Python flushes stdout again
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    return status
