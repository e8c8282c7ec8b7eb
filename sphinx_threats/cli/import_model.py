"""``sphinx-threats import FORMAT FILE -o DIR``: another tool's model as a project.

Reads a Threat Composer, Threat Dragon or Open Threat Model file, and writes a
Sphinx project that builds as it is (``sphinx-build DIR OUT``).  Problems in
the source that do not stop the import (a dangling link) are printed and
listed on the product page; a malformed file is one error naming the JSON
path, exit 2.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import stat
import sys
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from ..importers import FORMATS
from ..importers.model import ImportSettings, SourceError
from ..importers.reading import load
from ..importers.writers import FORMS, render_project
from ._common import UsageError

NAME = "import"

#: Days after the import date of the default ``--due`` and ``--expires``.
DEFAULT_DAYS = 90

EXAMPLES = f"""\
examples:
  sphinx-threats import threat-composer model.tc.json -o docs/threats
  sphinx-threats import threat-dragon demo.json -o docs/threats --to myst
  sphinx-threats import otm model.otm.yaml -o docs/threats --to yaml --due 2026-12-31

Planned and in-progress mitigations get --due, risk acceptances --expires
(both default to {DEFAULT_DAYS} days after today); items so completed are
tagged "imported".  Existing files are never overwritten without --force.
"""


def add_parser(subparsers: Any) -> None:
    """Register the sub-command."""
    parser = subparsers.add_parser(
        NAME,
        help="turn a Threat Composer, Threat Dragon or OTM model into a Sphinx project",
        description=__doc__.split("\n\n")[1] if __doc__ else None,
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "format",
        choices=sorted(FORMATS),
        metavar="FORMAT",
        help=f"source format: {', '.join(sorted(FORMATS))}",
    )
    parser.add_argument("file", type=Path, metavar="FILE", help="the file to import")
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        required=True,
        metavar="DIR",
        help="directory to write the project into",
    )
    parser.add_argument(
        "--to",
        choices=FORMS,
        default="rst",
        help="yaml: one catalogue; rst or myst: pages (default: rst)",
    )
    parser.add_argument("--force", action="store_true", help="overwrite existing files")
    parser.add_argument(
        "--due",
        type=_date,
        metavar="DATE",
        help=f"due date of planned mitigations (default: today + {DEFAULT_DAYS} days)",
    )
    parser.add_argument(
        "--expires",
        type=_date,
        metavar="DATE",
        help=f"expiry of imported acceptances (default: today + {DEFAULT_DAYS} days)",
    )
    parser.add_argument(
        "--owner",
        default="unassigned",
        help="owner of imported acceptances when the source names none (default: unassigned)",
    )
    parser.set_defaults(run=run)


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date (YYYY-MM-DD)") from None


def run(args: argparse.Namespace) -> int:
    """Import, write the project, report what was found."""
    default = dt.date.today() + dt.timedelta(days=DEFAULT_DAYS)
    settings = ImportSettings(
        due=args.due or default, expires=args.expires or default, owner=args.owner
    )
    source_format = FORMATS[args.format]
    source: Path = args.file
    try:
        data = load(source, allow_yaml=source_format.reads_yaml)
        model = source_format.parse(data, settings)
    except SourceError as err:
        raise UsageError(f"{source}: {err}") from None
    command = f"sphinx-threats import {args.format} {source.name} --to {args.to}"
    files = render_project(model, args.to, command)
    out: Path = args.output
    _check_output(out, files, force=args.force)
    _write(out, files)
    for problem in model.problems:
        print(f"sphinx-threats import: note: {problem}", file=sys.stderr)
    counts = ", ".join(
        f"{len(model.of_kind(kind))} {kind}"
        for kind in (
            "threat",
            "mitigation",
            "risk-acceptance",
            "not-applicable",
            "assumption",
            "service",
            "threat-actor",
            "data-store",
            "external-entity",
            "data-flow",
            "trust-boundary",
        )
        if model.of_kind(kind)
    )
    print(f"wrote {len(files)} files to {out} ({counts}); {len(model.problems)} notes")
    return 0


#: Open flags that create a file only where none is, never through a link.
_CREATE = (
    os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_BINARY", 0)
)


def _check_output(out: Path, files: Mapping[str, bytes], *, force: bool) -> None:
    """Refuse, before anything is written, a symbolic link as ``out`` or on
    the way to any file in it (a dangling link would create a file outside
    it, ``--force`` or not), anything but a directory on the way, anything but
    a regular file where a file goes, and existing files without ``force``."""
    existing = []
    for name in files:
        path = out
        parts = PurePosixPath(name).parts
        for depth, part in enumerate(("", *parts)):
            path = path / part if part else path
            try:
                mode = os.lstat(path).st_mode
            except FileNotFoundError:
                break
            if stat.S_ISLNK(mode):
                raise UsageError(
                    f"{path} is a symbolic link: the import never writes through one "
                    "(remove it, or choose another directory)"
                )
            if depth < len(parts) and not stat.S_ISDIR(mode):
                raise UsageError(f"{path} exists and is not a directory")
            if depth == len(parts):
                if not stat.S_ISREG(mode):
                    raise UsageError(f"{path} exists and is not a regular file")
                existing.append(name)
    if existing and not force:
        shown = ", ".join(existing[:3]) + (" ..." if len(existing) > 3 else "")
        raise UsageError(
            f"{out} already has {len(existing)} of the files to write ({shown}); "
            "use --force to overwrite them"
        )


def _write(out: Path, files: Mapping[str, bytes]) -> None:
    """Write ``files`` under ``out`` (checked by :func:`_check_output`).

    An existing file is unlinked and created anew, so a hard link to a file
    elsewhere is not written through; each file is created with ``O_EXCL``
    (and ``O_NOFOLLOW``), which fails on a link that appeared since the check.
    """
    for name, content in files.items():
        target = out / name
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            if os.path.lexists(target):
                os.unlink(target)
            fd = os.open(target, _CREATE, 0o666)
            with os.fdopen(fd, "wb") as stream:
                stream.write(content)
        except OSError as err:
            raise UsageError(f"{target}: cannot write: {err.strerror}") from None
