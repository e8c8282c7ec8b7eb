"""What the sub-commands share: usage errors, reading ``threats.json``, option
parsing, paths."""

from __future__ import annotations

import argparse
import posixpath
import sys
import textwrap
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..threatsfile.read import FormatError, GapEntry, ThreatsFile, read


class UsageError(Exception):
    """A bad argument or an unreadable input: printed without a traceback, exit 2."""


def load(path: str) -> ThreatsFile:
    """Read and check the ``threats.json`` at ``path``; any problem is a :class:`UsageError`."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise UsageError(
            f"{path}: no such file (a build writes threats.json into its output directory)"
        ) from None
    except IsADirectoryError:
        raise UsageError(f"{path} is a directory; give the threats.json file") from None
    except OSError as err:
        raise UsageError(f"cannot read {path}: {err.strerror or err}") from None
    try:
        return read(data, path)
    except FormatError as err:
        raise UsageError(err.about(path)) from None


#: ``formatter_class`` of every sub-command: keeps the examples of ``epilog``
#: as written (so descriptions are wrapped here, to 78 columns).
HELP_FORMATTER = argparse.RawDescriptionHelpFormatter


def add_subparser(subparsers: Any, name: str, summary: str, description: str, examples: str) -> Any:
    """A sub-command parser with its one-line ``summary`` (for the command's
    ``--help``), a ``description`` and ``examples`` (for its own ``--help``)."""
    return subparsers.add_parser(
        name,
        help=summary,
        description=textwrap.fill(description, 78, break_on_hyphens=False),
        epilog="examples:\n" + examples,
        formatter_class=HELP_FORMATTER,
    )


def add_color_option(parser: argparse.ArgumentParser) -> None:
    """``--color auto|always|never``."""
    parser.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour the text output: auto (default) colours only on a terminal and "
        "never when NO_COLOR is set",
    )


def add_base_dir_option(parser: argparse.ArgumentParser) -> None:
    """``--base-dir DIR``: where the Sphinx source directory is in the repository."""
    parser.add_argument(
        "--base-dir",
        default="",
        metavar="DIR",
        help="the Sphinx source directory relative to the repository root (e.g. docs); "
        "prefixed to every file path shown, so paths start at the repository root",
    )


def base_dir(value: str) -> str:
    """The ``--base-dir`` value as a clean relative POSIX path ('' for none)."""
    if not value:
        return ""
    path = value.replace("\\", "/")
    if path.startswith("/") or (len(path) > 1 and path[1] == ":"):
        raise UsageError(f"--base-dir must be relative to the repository root, not {value!r}")
    norm = posixpath.normpath(path)
    if norm == ".":
        return ""
    if norm == ".." or norm.startswith("../"):
        raise UsageError(f"--base-dir must stay inside the repository, not {value!r}")
    return norm


def join_base(base: str, file: str) -> str:
    """``file`` (relative to the source directory) as seen from the repository root."""
    if not base or not file or file.startswith("/"):
        return file
    return f"{base}/{file}"


def gap_where(gap: GapEntry, base: str = "") -> str:
    """``file:line`` of a gap as seen from the repository root (the file alone
    when the line is unknown)."""
    path = join_base(base, gap.file)
    return f"{path}:{gap.lineno}" if gap.lineno else path


def split_list(value: str) -> list[str]:
    """A ``--fail-on`` value: names separated by commas and/or spaces."""
    return [part for part in value.replace(",", " ").split() if part]


def check_names(names: Iterable[str], allowed: Iterable[str], option: str) -> set[str]:
    """``names`` as a set, or a :class:`UsageError` naming the allowed values."""
    allowed = list(allowed)
    unknown = [n for n in names if n not in allowed]
    if unknown:
        raise UsageError(
            f"{option}: unknown {'value' if len(unknown) == 1 else 'values'} "
            f"{', '.join(unknown)} (allowed: {', '.join(allowed)})"
        )
    return set(names)


def write_text(text: str, output: str | None) -> None:
    """Write ``text`` to the file ``output``, or to standard output when ``None`` or ``-``."""
    if output is None or output == "-":
        sys.stdout.write(text)
        return
    try:
        Path(output).write_text(text, encoding="utf-8")
    except OSError as err:
        raise UsageError(f"cannot write {output}: {err.strerror or err}") from None
