"""``sphinx-threats sarif FILE -o OUT``: the gaps as SARIF 2.1.0, for code scanning.

One rule per gap kind, one result per gap at its source line.  A result's
fingerprint hashes its kind and sorted IDs, not its file or line, so a
code-scanning tool follows a gap across commits even when its item moves.
Suppressed gaps are kept, with a SARIF ``suppressions`` entry.
"""

from __future__ import annotations

import argparse
import hashlib
from collections import Counter
from typing import Any
from urllib.parse import quote

from .._version import __version__
from ..threatsfile.read import GapEntry, ThreatsFile
from . import _common
from ._gaps import RULES, kinds_in_order, level, rule_of
from ._safe import clean, json_text

NAME = "sarif"

#: Where the reference documents each gap kind: ``<base>#gap-<kind>``.  The
#: project's published docs; ``--help-uri-base`` points elsewhere.
HELP_URI_BASE = "https://sphinx-threats.readthedocs.io/en/latest/reference/cli.html"

#: The ``uriBaseId`` of every location: the repository root.
SRCROOT = "%SRCROOT%"

#: The name of our fingerprint in ``partialFingerprints`` (versioned, so a
#: change of the recipe does not look like every gap moving).
FINGERPRINT = "sphinxThreatsGap/v1"

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"

EXAMPLES = """\
  sphinx-threats sarif _build/html/threats.json -o threats.sarif --base-dir docs
  sphinx-threats sarif threats.json -o - | jq '.runs[0].results | length'

Upload the file with github/codeql-action/upload-sarif (see the CI how-to).
"""


def add_parser(subparsers: Any) -> None:
    """Register the sub-command."""
    parser = _common.add_subparser(
        subparsers,
        NAME,
        "write the gaps of a threats.json as SARIF 2.1.0",
        "Write SARIF 2.1.0 for code-scanning tools: one rule per gap kind, one result per "
        "gap at its source line, stable fingerprints, suppressed gaps marked as suppressed.",
        EXAMPLES,
    )
    parser.add_argument("file", metavar="FILE", help="a threats.json written by a build")
    parser.add_argument(
        "-o", "--output", required=True, metavar="OUT", help="the SARIF file to write ('-': stdout)"
    )
    _common.add_base_dir_option(parser)
    parser.add_argument(
        "--help-uri-base",
        default=HELP_URI_BASE,
        metavar="URL",
        help="the page documenting the gap kinds; each rule's helpUri is URL#gap-KIND "
        f"(default: {HELP_URI_BASE})",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """The sub-command with its parsed arguments."""
    return sarif(args.file, args.output, base_dir=args.base_dir, help_uri_base=args.help_uri_base)


def sarif(path: str, output: str, *, base_dir: str = "", help_uri_base: str = HELP_URI_BASE) -> int:
    """Write the SARIF log of the ``threats.json`` at ``path`` to ``output``
    (``-``: standard output)."""
    data = _common.load(path)
    log = to_sarif(data, _common.base_dir(base_dir), help_uri_base)
    _common.write_text(json_text(log), output)
    return 0


def fingerprints(gaps: tuple[GapEntry, ...]) -> list[str]:
    """A stable fingerprint per gap: a hash of its kind and sorted IDs.

    Two gaps of one kind on the same IDs (two roles naming the same unknown
    ID) are told apart by a count, in the order of their messages.
    """
    order = sorted(
        range(len(gaps)), key=lambda n: (gaps[n].key, gaps[n].message, gaps[n].file, gaps[n].lineno)
    )
    seen: Counter[tuple[str, tuple[str, ...]]] = Counter()
    prints = [""] * len(gaps)
    for n in order:
        key = gaps[n].key
        seen[key] += 1
        text = "\0".join([key[0], *key[1]])
        digest = hashlib.sha256(text.encode()).hexdigest()[:32]
        prints[n] = digest if seen[key] == 1 else f"{digest}:{seen[key]}"
    return prints


def rule_descriptor(kind: str, help_uri_base: str) -> dict[str, Any]:
    """The SARIF ``reportingDescriptor`` of a gap kind."""
    rule = rule_of(kind)
    return {
        "id": f"threats.{kind}",
        "name": "".join(part.capitalize() for part in kind.split("-")),
        "shortDescription": {"text": rule.title},
        "fullDescription": {"text": rule.when},
        "help": {"text": rule.fix, "markdown": rule.fix},
        "helpUri": f"{help_uri_base}#gap-{kind}",
        # a gap's level is its build's (see _gaps.level), not its kind's
        "defaultConfiguration": {"level": "warning"},
        "properties": {"tags": ["security", "threat-model"]},
    }


def to_sarif(data: ThreatsFile, base: str, help_uri_base: str = HELP_URI_BASE) -> dict[str, Any]:
    """The SARIF log of a ``threats.json``."""
    kinds = kinds_in_order(set(RULES) | {g.kind for g in data.gaps})
    index = {kind: n for n, kind in enumerate(kinds)}
    results = []
    # a member's gap is located in the member's repository, not this one's:
    # only one that failed this build (threats_aggregate_fail_on) is a result here
    gaps = tuple(g for g in data.gaps if not g.project or data.build_failing(g))
    for gap, fingerprint in zip(gaps, fingerprints(gaps), strict=True):
        location: dict[str, Any] = {
            "artifactLocation": {
                "uri": quote(_common.join_base(base, gap.file) or "conf.py"),
                "uriBaseId": SRCROOT,
            }
        }
        if gap.lineno:
            location["region"] = {"startLine": gap.lineno}
        result: dict[str, Any] = {
            "ruleId": f"threats.{gap.kind}",
            "ruleIndex": index[gap.kind],
            "level": level(gap, data.build_failing),
            # a viewer shows the text as it is: no control or bidi character
            "message": {"text": clean(gap.message)},
            "locations": [{"physicalLocation": location}],
            "partialFingerprints": {FINGERPRINT: fingerprint},
            "properties": {"ids": list(gap.ids), "severity": data.gap_severity(gap)},
        }
        if gap.suppressed:
            # suppress_warnings in conf.py: outside the source that has the gap
            result["suppressions"] = [
                {"kind": "external", "justification": f"suppress_warnings: threats.{gap.kind}"}
            ]
        results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "sphinx-threats",
                        "version": __version__,
                        "informationUri": help_uri_base.split("/reference/")[0] + "/",
                        "rules": [rule_descriptor(kind, help_uri_base) for kind in kinds],
                    }
                },
                "originalUriBaseIds": {
                    SRCROOT: {"description": {"text": "The root of the repository."}}
                },
                "results": results,
            }
        ],
    }
