"""``sphinx-threats diff OLD NEW``: what changed between two builds, and what got worse.

The comparison is :mod:`~sphinx_threats.threatsfile.compare`'s; this module
parses the arguments, decides what counts (``--fail-on``) and prints.  This is
the ratchet for CI: keep the main branch's ``threats.json`` as the baseline
and fail a pull request only on what it makes worse.
"""

from __future__ import annotations

import argparse
import textwrap
from collections.abc import Callable
from typing import Any, NamedTuple

from ..threatsfile.compare import WORSENINGS, Change, compare
from ..threatsfile.read import ThreatsFile
from . import _common
from ._gaps import RULES
from ._safe import clean, json_text, markdown_code, markdown_escape, no_commands
from ._term import Style, use_colour, width, wrap

NAME = "diff"

FORMATS = ("text", "json", "markdown")

#: How each change is labelled in text and Markdown (at most 19 characters).
LABELS = {
    "new-gap": "new gap",
    "resolved-gap": "resolved gap",
    "added-threat": "new threat",
    "removed-threat": "removed threat",
    "added-mitigation": "new mitigation",
    "removed-mitigation": "removed mitigation",
    "downgraded-mitigation": "mitigation down",
    "upgraded-mitigation": "mitigation up",
    "reduced-effect": "effect reduced",
    "full-effect": "effect now full",
    "raised-severity": "severity up",
    "lowered-severity": "severity down",
    "worse-status": "status worse",
    "better-status": "status better",
    "added-acceptance": "new acceptance",
    "extended-acceptance": "acceptance extended",
    "removed-acceptance": "removed acceptance",
}

EXAMPLES = f"""\
  sphinx-threats diff base/threats.json _build/html/threats.json
  sphinx-threats diff base.json new.json --format markdown > comment.md
  sphinx-threats diff base.json new.json --fail-on new-gap,removed-mitigation
  sphinx-threats diff base.json new.json --fail-on unmitigated,service-gap

{
    textwrap.fill(
        f"--fail-on takes worsenings ({', '.join(WORSENINGS)}), gap kinds (a new gap of "
        "that kind), 'all' or '' (none). By default every worsening counts, except that a "
        "new gap counts only when it fails the new build (as NEW's threats.json records it).",
        78,
    )
}

exit status: 0 when nothing counted got worse, 1 when something did, 2 on a
usage error.
"""


def add_parser(subparsers: Any) -> None:
    """Register the sub-command."""
    parser = _common.add_subparser(
        subparsers,
        NAME,
        "show what changed between two threats.json, and fail on what got worse",
        "Compare two builds: new and resolved gaps, threats and mitigations added and "
        "removed, mitigations downgraded, raised severities, worse statuses, acceptances "
        "added or extended. Items are matched by ID: a moved item is not a change.",
        EXAMPLES,
    )
    parser.add_argument("old", metavar="OLD", help="the baseline threats.json (e.g. main's)")
    parser.add_argument("new", metavar="NEW", help="the threats.json to check")
    parser.add_argument(
        "--format", choices=FORMATS, default="text", help="output format (default: text)"
    )
    parser.add_argument(
        "--fail-on",
        metavar="WORSENINGS",
        help="which worsenings make the exit status 1 (commas; see below)",
    )
    _common.add_base_dir_option(parser)
    _common.add_color_option(parser)
    parser.set_defaults(run=run)


def counting_rule(new: ThreatsFile, fail_on: str | None) -> Callable[[Change], bool]:
    """Which worsenings count for the exit status under ``--fail-on``."""
    if fail_on is None:
        # every worsening; a new gap when it fails the new build
        return lambda c: c.worse and (c.gap is None or new.build_failing(c.gap))
    kinds = sorted({g.kind for g in new.gaps} | set(RULES))
    names = _common.check_names(
        _common.split_list(fail_on), [*WORSENINGS, *kinds, "all"], "--fail-on"
    )

    def counts(change: Change) -> bool:
        if not change.worse:
            return False
        if change.gap is None:
            return change.change in names or "all" in names
        if change.gap.suppressed:
            return False
        return bool({"all", "new-gap", change.gap.kind} & names)

    return counts


def run(args: argparse.Namespace) -> int:
    """The sub-command with its parsed arguments."""
    return diff(
        args.old,
        args.new,
        output_format=args.format,
        fail_on=args.fail_on,
        base_dir=args.base_dir,
        color=args.color,
    )


def diff(
    old_path: str,
    new_path: str,
    *,
    output_format: str = "text",
    fail_on: str | None = None,
    base_dir: str = "",
    color: str = "auto",
) -> int:
    """Print the changes from ``old_path`` to ``new_path``; 1 when a counted
    worsening is among them."""
    old, new = _common.load(old_path), _common.load(new_path)
    counts = counting_rule(new, fail_on)
    base = _common.base_dir(base_dir)
    comparison = Comparison(old, new, compare(old, new), counts, base)
    if output_format == "json":
        text = as_json(comparison)
    elif output_format == "markdown":
        text = as_markdown(comparison)
    else:
        text = as_text(comparison, Style(use_colour(color)), width())
    _common.write_text(text, None)
    return 1 if any(counts(c) for c in comparison.changes) else 0


class Comparison(NamedTuple):
    """What the printers show: the two files, the changes from one to the
    other, which of them count, and the directory paths are shown from."""

    old: ThreatsFile
    new: ThreatsFile
    changes: list[Change]
    counts: Callable[[Change], bool]
    base: str


def _sections(
    changes: list[Change], counts: Callable[[Change], bool]
) -> list[tuple[str, list[Change]]]:
    counted = [c for c in changes if counts(c)]
    uncounted = [c for c in changes if c.worse and not counts(c)]
    other = [c for c in changes if not c.worse]
    return [
        (title, group)
        for title, group in (
            ("Worse", counted),
            ("Worse, not counted by --fail-on", uncounted),
            ("Other changes", other),
        )
        if group
    ]


def _verdict(changes: list[Change], counts: Callable[[Change], bool]) -> str:
    counted = sum(1 for c in changes if counts(c))
    if not changes:
        return "No changes."
    if not counted:
        return "Nothing counted got worse."
    return f"{counted} {'change is' if counted == 1 else 'changes are'} worse."


def _where(change: Change, base: str) -> str:
    """``file:line`` of the change, as seen from the repository root."""
    path = _common.join_base(base, change.file)
    return f"{path}:{change.lineno}" if change.lineno and path else path


def _subject(change: Change, base: str) -> str:
    """What a change is about, in words, with its place."""
    if change.gap is not None:
        return clean(f"{change.gap.kind} at {_where(change, base)}")
    where = _where(change, base)
    return clean(f"{change.text} ({where})" if where else change.text)


def as_text(diff: Comparison, style: Style, columns: int) -> str:
    """The changes for a terminal, ``columns`` wide."""
    changes, counts, base = diff.changes, diff.counts, diff.base
    lines = [style(clean(f"Changes from {diff.old.path} to {diff.new.path}"), "bold")]
    for title, group in _sections(changes, counts):
        lines += ["", style(f"{title} ({len(group)})", "bold")]
        for change in group:
            label = LABELS[change.change]
            painted = style(label, "red") if counts(change) else style(label, "cyan")
            # wrap the plain label, then paint it: colour codes take no columns
            first = wrap(_subject(change, base), columns, " " * 22, f"  {label:<19} ")
            first[0] = first[0].replace(label, painted, 1)
            lines += first
            if change.gap is not None:
                lines += wrap(clean(change.gap.message), columns, " " * 22)
    lines += ["", style(_verdict(changes, counts), "bold")]
    # wrapping may bring "::" from a message to the start of a line
    return no_commands("\n".join(lines) + "\n")


def as_markdown(diff: Comparison) -> str:
    """The changes as GitHub-flavoured Markdown (a pull-request comment)."""
    changes, counts, base = diff.changes, diff.counts, diff.base
    lines = [
        "## Threat model changes",
        "",
        f"From {markdown_code(diff.old.path)} to {markdown_code(diff.new.path)}: "
        f"**{_verdict(changes, counts)}**",
    ]
    for title, group in _sections(changes, counts):
        lines += [
            "",
            f"### {title} ({len(group)})",
            "",
            "| Change | What | Where |",
            "|:--|:--|:--|",
        ]
        for change in group:
            what = markdown_escape(change.text)
            if change.gap is not None:
                what = (
                    f"**{markdown_escape(change.gap.kind)}**: {markdown_escape(change.gap.message)}"
                )
            where = _where(change, base)
            lines.append(
                f"| {LABELS[change.change]} | {what} | {markdown_code(where) if where else ''} |"
            )
    return no_commands("\n".join(lines) + "\n")


def as_json(diff: Comparison) -> str:
    """The changes as JSON, for scripts."""
    changes, counts, base = diff.changes, diff.counts, diff.base
    entries = []
    for change in changes:
        entry: dict[str, Any] = {
            "change": change.change,
            "worse": change.worse,
            "counted": counts(change),
            "ids": list(change.ids),
            "text": change.text,
            "file": _common.join_base(base, change.file),
            "lineno": change.lineno,
        }
        if change.gap is not None:
            entry["kind"] = change.gap.kind
            entry["message"] = change.gap.message
        if change.old is not None or change.new is not None:
            entry["old"], entry["new"] = change.old, change.new
        entries.append(entry)
    out = {
        "old": diff.old.path,
        "new": diff.new.path,
        "changes": entries,
        "worse": sum(1 for c in changes if c.worse),
        "counted": sum(1 for c in changes if counts(c)),
    }
    return json_text(out)
