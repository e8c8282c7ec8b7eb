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
import sys
from pathlib import Path
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
    if out.exists() and not out.is_dir():
        raise UsageError(f"{out} exists and is not a directory")
    existing = [path for path in files if (out / path).exists()]
    if existing and not args.force:
        shown = ", ".join(existing[:3]) + (" ..." if len(existing) > 3 else "")
        raise UsageError(
            f"{out} already has {len(existing)} of the files to write ({shown}); "
            "use --force to overwrite them"
        )
    for path, content in files.items():
        target = out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
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
        )
        if model.of_kind(kind)
    )
    print(f"wrote {len(files)} files to {out} ({counts}); {len(model.problems)} notes")
    return 0
