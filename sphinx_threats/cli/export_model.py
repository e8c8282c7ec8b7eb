"""``sphinx-threats export threat-composer THREATS_JSON -o OUT``: leave for another tool.

Writes the model a build exported (``threats.json``) as a Threat Composer
workspace (``.tc.json``, schema 1): threats, mitigations with their statuses,
risk acceptances, assumptions and their links, so a team is never locked in.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from ..exporters import threat_composer
from ..importers.model import SourceError
from ._common import UsageError

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
    parser.add_argument("file", type=Path, metavar="THREATS_JSON", help="a build's threats.json")
    parser.add_argument(
        "-o", "--output", type=Path, required=True, metavar="OUT", help="the file to write"
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """Read threats.json, write the workspace."""
    source: Path = args.file
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
    except OSError as err:
        raise UsageError(f"cannot read {source}: {err.strerror}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise UsageError(f"{source} is not a JSON file ({err})") from None
    try:
        workspace = threat_composer.export(data)
    except SourceError as err:
        raise UsageError(f"{source}: {err}") from None
    out: Path = args.output
    try:
        out.write_text(threat_composer.to_json(workspace), encoding="utf-8")
    except OSError as err:
        raise UsageError(f"cannot write {out}: {err.strerror}") from None
    print(
        f"wrote {out}: {len(workspace['threats'])} threats, {len(workspace['mitigations'])} "
        f"mitigations, {len(workspace['assumptions'])} assumptions"
    )
    return 0
