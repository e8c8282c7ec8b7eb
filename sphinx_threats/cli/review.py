"""``sphinx-threats review THREATS_JSON --lock FILE --by NAME IDS...``: record reviews.

A review says that a decision (a mitigation, risk acceptance or
not-applicable) still answers the threats it links to, as they read now: the
lock file (``threats_lock``) gets one line per link with the threat's current
digest.  ``--check`` changes nothing and exits 1 when a link is suspect (its
threat changed since its last review).
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..review import DECISION_LINKS, Lock, Verdict, format_lock, judge, parse_lock, record
from ..threatsfile.read import ItemEntry, ThreatsFile
from . import _common

NAME = "review"

EXAMPLES = """\
  sphinx-threats review _build/html/threats.json --lock threats.lock --by alice M-1 RA-2
  sphinx-threats review _build/html/threats.json --lock threats.lock --by alice TM-7
  sphinx-threats review _build/html/threats.json --lock threats.lock --check

A threat's ID names its links to every decision answering it. Let git merge
the lock file line by line: add 'threats.lock merge=union' to .gitattributes.
"""

#: The ``threats.json`` list and the option naming the threats, per kind of decision.
_DECISIONS = {kind.plural: option for kind, option in DECISION_LINKS.items()}

Link = tuple[str, str]


def add_parser(subparsers: Any) -> None:
    """Register the sub-command."""
    parser = _common.add_subparser(
        subparsers,
        NAME,
        "record that decisions still answer the threats they link to (threats_lock)",
        "Record in the lock file (threats_lock) the current digest of each link of the "
        "named decisions (mitigations, risk acceptances, not-applicable) to its threats; "
        "a threat's ID names its links to every decision answering it. The file is "
        "rewritten sorted, without duplicates or links that no longer exist. With "
        "--check, nothing is written and the exit status is 1 when a link is suspect.",
        EXAMPLES,
    )
    parser.add_argument("file", metavar="THREATS_JSON", help="a threats.json written by a build")
    parser.add_argument("ids", nargs="*", metavar="ID", help="decision or threat IDs")
    parser.add_argument("--lock", required=True, metavar="FILE", help="the lock file")
    parser.add_argument("--by", metavar="NAME", help="who reviewed (required to record)")
    parser.add_argument("--all", action="store_true", help="every decision of the project")
    parser.add_argument("--check", action="store_true", help="report suspect links only")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    """The sub-command with its parsed arguments."""
    if args.check:
        if args.ids or args.all or args.by:
            raise _common.UsageError("--check takes no IDs, --all or --by")
        return check(args.file, args.lock)
    if bool(args.ids) == bool(args.all):
        raise _common.UsageError("name the decisions or threats to record, or give --all")
    if not args.by or not args.by.strip() or not args.by.isprintable():
        raise _common.UsageError("--by NAME: who reviewed (one line of text)")
    return review(args.file, args.lock, args.by.strip(), args.ids, everything=args.all)


class _Model:
    """What a ``threats.json`` says of links: this project's decisions and
    every threat's digest."""

    def __init__(self, data: ThreatsFile) -> None:
        self.digests = {i: e.digest for i, e in data.of("threats").items()}
        self.decisions: dict[str, ItemEntry] = {}
        self.links: dict[Link, None] = {}
        for key, option in _DECISIONS.items():
            for ident, entry in data.own(key).items():
                self.decisions.setdefault(ident, entry)
                for threat in entry.texts(option):
                    if threat in self.digests and _writable(ident, threat):
                        self.links[ident, threat] = None

    def named(self, ids: Sequence[str], everything: bool) -> list[Link]:
        """The links the IDs name (a threat's: its links to every decision)."""
        if everything:
            return list(self.links)
        unknown = [i for i in ids if i not in self.decisions and i not in self.digests]
        if unknown:
            raise _common.UsageError(
                f"unknown ID {', '.join(map(_shown, unknown))}: neither a decision of this "
                "project nor a threat in the file"
            )
        wanted = set(ids)
        return [link for link in self.links if link[0] in wanted or link[1] in wanted]


def _writable(*ids: str) -> bool:
    # a lock line is split on whitespace: an ID with any (a placeholder of a
    # file with spaces) has no line of its own
    return all(i and not any(c.isspace() for c in i) for i in ids)


def _shown(text: str) -> str:
    """Text from the file as data: no control character reaches the terminal."""
    return "".join(c if c.isprintable() else "?" for c in text)


def _read_lock(path: str) -> Lock:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return Lock(path)
    except (OSError, UnicodeDecodeError) as err:
        raise _common.UsageError(
            f"cannot read {path}: {getattr(err, 'strerror', None) or err}"
        ) from None
    lock = parse_lock(text, path)
    if lock.problems:
        number, message = lock.problems[0]
        raise _common.UsageError(f"{path}:{number}: {message}; fix the line first")
    return lock


def review(path: str, lock_path: str, by: str, ids: Sequence[str], *, everything: bool) -> int:
    """Record the links that ``ids`` name (every link with ``everything``) as
    reviewed today by ``by``; rewrite the lock file."""
    model = _Model(_common.load(path))
    named = model.named(ids, everything)
    lock = _read_lock(lock_path)
    today = dt.date.today().isoformat()
    recorded = {link: model.digests[link[1]] for link in named if model.digests[link[1]]}
    lines = record(lock.lines, recorded, model.links, today, by)
    _common.write_text(format_lock(lines), lock_path)
    print(f"{lock_path}: recorded {len(recorded)} link(s) as reviewed by {by} on {today}")
    for decision, threat in sorted(recorded):
        print(f"  {_shown(decision)} -> {_shown(threat)}")
    return 0


def check(path: str, lock_path: str) -> int:
    """Print every suspect link; 1 when there is one."""
    model = _Model(_common.load(path))
    lock = _read_lock(lock_path)
    counts = dict.fromkeys(Verdict, 0)
    for decision, threat in model.links:
        review = judge(lock.of(decision, threat), model.digests[threat])
        counts[review.verdict] += 1
        if review.verdict is Verdict.SUSPECT and review.latest is not None:
            entry = model.decisions[decision]
            where = f"{entry.file}:{entry.lineno}" if entry.lineno else entry.file
            print(
                f"{_shown(where)}: suspect-link: {_shown(decision)} answers "
                f"{_shown(threat)}, which changed since its review on "
                f"{_shown(review.latest.date)} by {_shown(review.latest.reviewer)}"
            )
    print(", ".join(f"{n} {verdict.value}" for verdict, n in counts.items()) + " link(s)")
    return 1 if counts[Verdict.SUSPECT] else 0
