"""``sphinx-threats diff OLD NEW``: what changed between two builds, and what got worse.

Items are matched by ID and gaps by kind and IDs, never by page or line: an
item moved to another page is not a change.  This is the ratchet for CI: keep
the main branch's ``threats.json`` as the baseline and fail a pull request
only on what it makes worse.
"""

from __future__ import annotations

import argparse
import json
import textwrap
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from . import _common
from ._data import (
    GapEntry,
    ThreatsFile,
    load,
    mitigation_rank,
    severity_rank,
    status_rank,
)
from ._gaps import RULES
from ._term import Style, markdown_code, markdown_escape, use_colour, width, wrap

NAME = "diff"

FORMATS = ("text", "json", "markdown")

#: The worsenings ``--fail-on`` can name, in the order they are shown, with
#: what each means (the reference is generated from this).
WORSENINGS = {
    "new-gap": "a gap that the old build did not have (by kind and IDs)",
    "removed-mitigation": "a mitigation removed while a threat it mitigated remains",
    "downgraded-mitigation": "a mitigation's status went down "
    "(verified > implemented > in-progress > planned)",
    "reduced-effect": "a mitigation's effect went from full to partial",
    "raised-severity": "a threat's severity went up",
    "worse-status": "a threat's computed status, or a (threat, service) pair's, got worse",
    "added-acceptance": "a risk acceptance was added",
    "extended-acceptance": "a risk acceptance expires later, accepts more threats, or "
    "no longer names one service",
}

#: What the other changes are called (shown, never counted).
OTHER_CHANGES = (
    "resolved-gap",
    "added-threat",
    "removed-threat",
    "added-mitigation",
    "removed-mitigation",
    "upgraded-mitigation",
    "full-effect",
    "lowered-severity",
    "better-status",
    "removed-acceptance",
)

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

# removed-mitigation is in both lists: worse or not, it sorts as a worsening
_ORDER = {name: n for n, name in enumerate(dict.fromkeys([*WORSENINGS, *OTHER_CHANGES]))}

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


@dataclass(frozen=True)
class Change:
    """One difference between the two builds."""

    #: A key of :data:`WORSENINGS` or one of :data:`OTHER_CHANGES`.
    change: str
    #: Whether it makes the model worse.
    worse: bool
    #: The IDs it concerns.
    ids: tuple[str, ...]
    #: What changed, in words.
    text: str
    #: Where to look: the new build's place, or the old one's for a removal.
    file: str = ""
    lineno: int = 0
    #: The old and new values, when a value changed.
    old: Any = None
    new: Any = None
    #: The gap, for new and resolved gaps.
    gap: GapEntry | None = field(default=None, compare=False)

    def where(self, base: str = "") -> str:
        """``file:line`` of the change, as seen from the repository root."""
        path = _common.join_base(base, self.file)
        return f"{path}:{self.lineno}" if self.lineno and path else path


def compare(old: ThreatsFile, new: ThreatsFile) -> list[Change]:
    """Every change from ``old`` to ``new``, worsenings first, each group in a
    stable order."""
    changes = [
        *_gaps(old, new),
        *_threats(old, new),
        *_mitigations(old, new),
        *_statuses(old, new),
        *_acceptances(old, new),
    ]
    return sorted(changes, key=lambda c: (not c.worse, _ORDER[c.change], c.ids, c.file, c.lineno))


def _at(entry: dict[str, Any]) -> dict[str, Any]:
    return {"file": entry.get("file", ""), "lineno": entry.get("lineno", 0)}


def _name(ident: str, entry: dict[str, Any]) -> str:
    title = entry.get("title")
    return f"{ident} ({title})" if isinstance(title, str) and title and title != ident else ident


def _gaps(old: ThreatsFile, new: ThreatsFile) -> Iterator[Change]:
    """New and resolved gaps: matched by kind and IDs; among gaps with the
    same kind and IDs, equal messages pair first."""
    before: dict[tuple[str, tuple[str, ...]], list[GapEntry]] = defaultdict(list)
    for gap in old.gaps:
        before[gap.key].append(gap)
    after: dict[tuple[str, tuple[str, ...]], list[GapEntry]] = defaultdict(list)
    for gap in new.gaps:
        after[gap.key].append(gap)
    for key in sorted(set(before) | set(after)):
        olds, news = list(before[key]), list(after[key])
        for gap in list(news):
            same = next((g for g in olds if g.message == gap.message), None)
            if same is not None:
                olds.remove(same)
                news.remove(gap)
        # what is left pairs up in order; the rest is new or resolved
        pairs = min(len(olds), len(news))
        for gap in news[pairs:]:
            yield Change("new-gap", True, gap.ids, gap.kind, gap.file, gap.lineno, gap=gap)
        for gap in olds[pairs:]:
            yield Change("resolved-gap", False, gap.ids, gap.kind, gap.file, gap.lineno, gap=gap)


def _threats(old: ThreatsFile, new: ThreatsFile) -> Iterator[Change]:
    # another project's items change with that project, not with this change
    before, after = old.own("threats"), new.own("threats")
    for ident in sorted(after.keys() - before.keys()):
        entry = after[ident]
        yield Change("added-threat", False, (ident,), _name(ident, entry), **_at(entry))
    for ident in sorted(before.keys() - after.keys()):
        entry = before[ident]
        yield Change("removed-threat", False, (ident,), _name(ident, entry), **_at(entry))
    for ident in sorted(before.keys() & after.keys()):
        was, now = before[ident].get("severity"), after[ident].get("severity")
        if was == now:
            continue
        raised = severity_rank(now) < severity_rank(was)
        lowered = severity_rank(now) > severity_rank(was)
        if raised or lowered:
            yield Change(
                "raised-severity" if raised else "lowered-severity",
                raised,
                (ident,),
                f"{_name(ident, after[ident])}: {was or 'none'} -> {now or 'none'}",
                old=was,
                new=now,
                **_at(after[ident]),
            )


def _mitigations(old: ThreatsFile, new: ThreatsFile) -> Iterator[Change]:
    before, after = old.own("mitigations"), new.own("mitigations")
    threats_now = new.of("threats")
    # a mitigation moved between this project and another is neither added
    # nor removed
    for ident in sorted(after.keys() - old.of("mitigations").keys()):
        entry = after[ident]
        text = f"{_name(ident, entry)}, {entry.get('status') or 'no status'}"
        yield Change("added-mitigation", False, (ident,), text, **_at(entry))
    for ident in sorted(before.keys() - new.of("mitigations").keys()):
        entry = before[ident]
        mitigated = [t for t in entry.get("mitigates") or () if t in threats_now]
        text = f"{_name(ident, entry)}, was {entry.get('status') or 'no status'}"
        if mitigated:
            text += f", for {', '.join(mitigated)}"
        yield Change("removed-mitigation", bool(mitigated), (ident,), text, **_at(entry))
    for ident in sorted(before.keys() & after.keys()):
        was, now = before[ident], after[ident]
        rank_was, rank_now = mitigation_rank(was.get("status")), mitigation_rank(now.get("status"))
        if rank_was != rank_now:
            down = rank_now < rank_was
            yield Change(
                "downgraded-mitigation" if down else "upgraded-mitigation",
                down,
                (ident,),
                f"{_name(ident, now)}: {was.get('status')} -> {now.get('status')}",
                old=was.get("status"),
                new=now.get("status"),
                **_at(now),
            )
        # anything but "full" counts as partial
        full_was, full_now = was.get("effect", "full") == "full", now.get("effect") == "full"
        if full_was != full_now:
            yield Change(
                "reduced-effect" if full_was else "full-effect",
                full_was,
                (ident,),
                f"{_name(ident, now)}: {was.get('effect')} -> {now.get('effect')}",
                old=was.get("effect"),
                new=now.get("effect"),
                **_at(now),
            )


def _statuses(old: ThreatsFile, new: ThreatsFile) -> Iterator[Change]:
    # an external threat's own status is its project's; its pairs with this
    # project's services (below) are this project's
    before, after = old.own("threats"), new.own("threats")
    for ident in sorted(before.keys() & after.keys()):
        was, now = before[ident].get("status"), after[ident].get("status")
        if isinstance(was, str) and isinstance(now, str) and was != now:
            worse = status_rank(now) < status_rank(was)
            yield Change(
                "worse-status" if worse else "better-status",
                worse,
                (ident,),
                f"{_name(ident, after[ident])}: {was} -> {now}",
                old=was,
                new=now,
                **_at(after[ident]),
            )
    services = new.of("services")
    for pair in sorted(old.coverage.keys() & new.coverage.keys()):
        was, now = old.coverage[pair], new.coverage[pair]
        if was == now:
            continue
        worse = status_rank(now) < status_rank(was)
        threat, service = pair
        yield Change(
            "worse-status" if worse else "better-status",
            worse,
            pair,
            f"{threat} at {service}: {was} -> {now}",
            old=was,
            new=now,
            # a pair's status is shown (and its gap reported) at the service
            **_at(services.get(service, {})),
        )


def _acceptances(old: ThreatsFile, new: ThreatsFile) -> Iterator[Change]:
    before, after = old.own("risk-acceptances"), new.own("risk-acceptances")
    for ident in sorted(after.keys() - before.keys()):
        entry = after[ident]
        threats = ", ".join(entry.get("threats") or ()) or "no threat"
        scope = f" at {entry['service']}" if entry.get("service") else ""
        text = f"{_name(ident, entry)} accepts {threats}{scope} until {entry.get('expires')}"
        yield Change("added-acceptance", True, (ident,), text, **_at(entry))
    for ident in sorted(before.keys() - after.keys()):
        entry = before[ident]
        yield Change("removed-acceptance", False, (ident,), _name(ident, entry), **_at(entry))
    for ident in sorted(before.keys() & after.keys()):
        was, now = before[ident], after[ident]
        wider = []
        expires_was, expires_now = was.get("expires"), now.get("expires")
        # ISO dates compare as strings; an acceptance without a date accepted nothing
        if isinstance(expires_now, str) and (
            not isinstance(expires_was, str) or expires_now > expires_was
        ):
            wider.append(f"expires {expires_was or 'never set'} -> {expires_now}")
        added = [t for t in now.get("threats") or () if t not in (was.get("threats") or ())]
        if added:
            wider.append(f"now also accepts {', '.join(added)}")
        if was.get("service") and not now.get("service"):
            wider.append(f"now for every service, not only {was['service']}")
        if wider:
            yield Change(
                "extended-acceptance",
                True,
                (ident,),
                f"{_name(ident, now)}: {'; '.join(wider)}",
                old=expires_was,
                new=expires_now,
                **_at(now),
            )


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
    """Print the changes; 1 when a counted worsening is among them."""
    old, new = load(args.old), load(args.new)
    counts = counting_rule(new, args.fail_on)
    base = _common.base_dir(args.base_dir)
    diff = Comparison(old, new, compare(old, new), counts, base)
    if args.format == "json":
        text = as_json(diff)
    elif args.format == "markdown":
        text = as_markdown(diff)
    else:
        text = as_text(diff, Style(use_colour(args.color)), width())
    _common.write_text(text, None)
    return 1 if any(counts(c) for c in diff.changes) else 0


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


def _subject(change: Change, base: str) -> str:
    """What a change is about, in words, with its place."""
    if change.gap is not None:
        return f"{change.gap.kind} at {change.where(base)}"
    where = change.where(base)
    return f"{change.text} ({where})" if where else change.text


def as_text(diff: Comparison, style: Style, columns: int) -> str:
    """The changes for a terminal, ``columns`` wide."""
    changes, counts, base = diff.changes, diff.counts, diff.base
    lines = [style(f"Changes from {diff.old.path} to {diff.new.path}", "bold")]
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
                lines += wrap(change.gap.message, columns, " " * 22)
    lines += ["", style(_verdict(changes, counts), "bold")]
    return "\n".join(lines) + "\n"


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
                what = f"**{change.gap.kind}**: {markdown_escape(change.gap.message)}"
            where = change.where(base)
            lines.append(
                f"| {LABELS[change.change]} | {what} | {markdown_code(where) if where else ''} |"
            )
    return "\n".join(lines) + "\n"


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
    return json.dumps(out, indent=2, ensure_ascii=False) + "\n"
