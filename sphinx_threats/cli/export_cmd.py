"""``sphinx-threats export threat-composer THREATS_JSON -o OUT``: leave for another tool.

Writes the model a build exported (``threats.json``) as a Threat Composer
workspace (``.tc.json``, schema 1): threats, mitigations with their statuses,
risk acceptances, assumptions and their links, so a team is never locked in.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..exporters import threat_composer
from . import _common

NAME = "export"

EXAMPLES = """\
examples:
  sphinx-build docs docs/_build/html
  sphinx-threats export threat-composer docs/_build/html/threats.json -o model.tc.json

Items imported from Threat Composer keep their numbers (TC-T-39 is threat 39);
threats.json holds no item bodies, so a threat's prerequisites and comments
are not exported.
"""

#: Target format → exporter.
TARGETS = {"threat-composer": threat_composer}


def add_parser(subparsers: Any) -> None:
    """Register the sub-command."""
    parser = subparsers.add_parser(
        NAME,
        help="write a built model (threats.json) as a Threat Composer workspace",
        description=__doc__.split("\n\n")[1] if __doc__ else None,
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("format", choices=sorted(TARGETS), metavar="FORMAT", help="threat-composer")
    parser.add_argument("file", metavar="THREATS_JSON", help="a build's threats.json")
    parser.add_argument(
        "-o", "--output", type=Path, required=True, metavar="OUT", help="the file to write"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """The sub-command with its parsed arguments."""
    return export(args.format, args.file, args.output)


def export(target: str, path: str, output: Path) -> int:
    """Write the ``threats.json`` at ``path`` to ``output`` in the ``target`` format."""
    exporter = TARGETS[target]
    workspace = exporter.export(_common.load(path))
    try:
        output.write_text(exporter.to_json(workspace), encoding="utf-8")
    except OSError as err:
        raise _common.UsageError(f"cannot write {output}: {err.strerror}") from None
    print(
        f"wrote {output}: {len(workspace['threats'])} threats, {len(workspace['mitigations'])} "
        f"mitigations, {len(workspace['assumptions'])} assumptions"
    )
    return 0
