"""``sphinx-threats report FILE``: the summary and the gaps of one build."""

from __future__ import annotations

import argparse
from collections import Counter
from collections.abc import Callable
from typing import Any

from ..model import STATUS_ORDER
from ..threatsfile.read import GapEntry, ThreatsFile
from . import _common
from ._gaps import RULES, kinds_in_order, level, rule_of
from ._safe import clean, json_text, markdown_code, markdown_escape, no_commands
from ._term import Style, use_colour, width, wrap

NAME = "report"

FORMATS = ("text", "json", "markdown", "github")

#: What ``--group-by`` groups the gaps by.
GROUPS = ("kind", "owner", "service", "project")

EXAMPLES = """\
  sphinx-threats report _build/html/threats.json
  sphinx-threats report threats.json --format markdown > comment.md
  sphinx-threats report threats.json --format github --base-dir docs
  sphinx-threats report threats.json --fail-on unmitigated,service-gap
  sphinx-threats report threats.json --group-by owner

exit status: 0 when no gap counts, 1 when one does (by default the gaps that
failed the build, as threats.json records them), 2 on a usage error.
"""

#: GitHub annotation command for each level.
GITHUB_COMMANDS = {"error": "error", "warning": "warning", "note": "notice"}

#: How text and Markdown say each level (the words of the exit status).
STATES = {"error": "FAILS", "warning": "warning", "note": "suppressed"}


def add_parser(subparsers: Any) -> None:
    """Register the sub-command."""
    parser = _common.add_subparser(
        subparsers,
        NAME,
        "print the summary and the gaps of a threats.json",
        "Print the counts by status and severity, the coverage per service (worst "
        "first) and every gap with its file and line.",
        EXAMPLES,
    )
    parser.add_argument("file", metavar="FILE", help="a threats.json written by a build")
    parser.add_argument(
        "--format", choices=FORMATS, default="text", help="output format (default: text)"
    )
    parser.add_argument(
        "--fail-on",
        metavar="KINDS",
        help="exit 1 when an unsuppressed gap of these kinds (commas; 'all'; '' for "
        "none) is present (default: the gaps that failed the build)",
    )
    parser.add_argument(
        "--group-by",
        choices=GROUPS,
        default="kind",
        help="group the gaps by kind (default), by the owner of the item each is located "
        "at, by service, or by project (this one's, then each member's)",
    )
    _common.add_base_dir_option(parser)
    _common.add_color_option(parser)
    parser.set_defaults(run=run)


def failing_rule(data: ThreatsFile, fail_on: str | None) -> Callable[[GapEntry], bool]:
    """Which gaps count for the exit status under ``--fail-on``."""
    if fail_on is None:
        return data.build_failing
    known = [*RULES, *sorted({g.kind for g in data.gaps} - set(RULES)), "all"]
    kinds = _common.check_names(_common.split_list(fail_on), known, "--fail-on")
    if "all" in kinds:
        return lambda gap: not gap.suppressed
    return lambda gap: not gap.suppressed and gap.kind in kinds


def run(args: argparse.Namespace) -> int:
    """The sub-command with its parsed arguments."""
    return report(
        args.file,
        output_format=args.format,
        fail_on=args.fail_on,
        base_dir=args.base_dir,
        color=args.color,
        group_by=args.group_by,
    )


def report(
    path: str,
    *,
    output_format: str = "text",
    fail_on: str | None = None,
    base_dir: str = "",
    color: str = "auto",
    group_by: str = "kind",
) -> int:
    """Print the report of the ``threats.json`` at ``path``; 1 when a counted
    gap is present."""
    data = _common.load(path)
    counts = failing_rule(data, fail_on)
    base = _common.base_dir(base_dir)
    group = grouping(data, group_by)
    gaps = ordered_gaps(data, group)
    failing = [g for g in gaps if counts(g)]
    if output_format == "json":
        text = as_json(data, gaps, counts, base, group)
    elif output_format == "markdown":
        text = as_markdown(data, gaps, counts, base, group)
    elif output_format == "github":
        text = as_github(data, gaps, counts, base)
    else:
        text = as_text(data, gaps, counts, base, Style(use_colour(color)), width(), group)
    _common.write_text(text, None)
    return 1 if failing else 0


#: Gives the group of a gap (``--group-by``).
Grouping = Callable[[GapEntry], str]


def grouping(data: ThreatsFile, group_by: str = "kind") -> Grouping:
    """The group of each gap under ``--group-by``: its kind, the owner of the
    item it is located at, its service, or the member project it is located in."""
    if group_by == "owner":
        return lambda gap: gap.owner or "(no owner)"
    if group_by == "project":
        return lambda gap: gap.project or "(this project)"
    if group_by == "service":
        services = data.of("services")
        threats = data.of("threats")

        def service(gap: GapEntry) -> str:
            named = [i for i in gap.ids if i in services]
            owning = [threats[i].text("service") for i in gap.ids if i in threats]
            found = named or [s for s in owning if s]
            return found[-1] if found else "(product level)"

        return service
    return lambda gap: gap.kind


def ordered_gaps(data: ThreatsFile, group: Grouping | None = None) -> list[GapEntry]:
    """Gaps grouped (by kind, in the reference's order, unless ``group`` says
    otherwise), then by kind, file and line."""
    order = {kind: n for n, kind in enumerate(kinds_in_order({g.kind for g in data.gaps}))}
    if group is None:
        return sorted(data.gaps, key=lambda g: (order[g.kind], g.file, g.lineno))
    key = group

    def rank(gap: GapEntry) -> tuple[int, str, int, str, int]:
        name = key(gap)
        return (name.startswith("("), name, order[gap.kind], gap.file, gap.lineno)

    if all(key(g) == g.kind for g in data.gaps):
        return sorted(data.gaps, key=lambda g: (order[g.kind], g.file, g.lineno))
    return sorted(data.gaps, key=rank)


def by_status(data: ThreatsFile) -> list[tuple[str, int]]:
    """Threat counts by computed status, worst first."""
    counts = _counts(data, "by-status", "status")
    order = [s.value for s in STATUS_ORDER]
    return sorted(
        counts.items(), key=lambda kv: (order.index(kv[0]) if kv[0] in order else 99, kv[0])
    )


def by_severity(data: ThreatsFile) -> list[tuple[str, int]]:
    """Threat counts by severity, most severe first in the file's vocabulary."""
    counts = _counts(data, "by-severity", "severity")
    severities = data.vocabulary.severities
    return sorted(
        counts.items(),
        key=lambda kv: (
            severities.index(kv[0]) if kv[0] in severities else len(severities),
            kv[0] == "unknown",
            kv[0],
        ),
    )


def _counts(data: ThreatsFile, summary_key: str, item_key: str) -> dict[str, int]:
    # the build's summary counts every declaration; recount only when it is absent
    counts = data.summary.get(summary_key)
    if isinstance(counts, dict):
        return {str(k): int(v) for k, v in counts.items() if isinstance(v, int)}
    found = Counter(t.text(item_key) or "unknown" for t in data.of("threats").values())
    return dict(found)


def threat_count(data: ThreatsFile) -> int:
    """How many threats the build declared."""
    count = data.summary.get("threats")
    return count if isinstance(count, int) else len(data.of("threats"))


def services_worst_first(data: ThreatsFile) -> list[tuple[str, dict[str, Any]]]:
    """Per service its coverage figures, the least covered first (services
    with nothing in scope last)."""
    services = data.summary.get("services")
    rows = [
        (str(name), figures)
        for name, figures in (services.items() if isinstance(services, dict) else ())
        if isinstance(figures, dict)
    ]

    def order(row: tuple[str, dict[str, Any]]) -> tuple[bool, float, float, str]:
        pct, weighted = row[1].get("percent"), row[1].get("weighted-percent")
        return (
            not isinstance(pct, int | float),
            pct if isinstance(pct, int | float) else 0.0,
            weighted if isinstance(weighted, int | float) else 0.0,
            row[0],
        )

    return sorted(rows, key=order)


def _percent(value: Any) -> str:
    return f"{value:.1f}%" if isinstance(value, int | float) else "-"


def _joined(counts: list[tuple[str, int]], escape: Callable[[str], str] = clean) -> str:
    return ", ".join(f"{escape(name)} {n}" for name, n in counts) or "none"


def _gap_state(gap: GapEntry, counts: Callable[[GapEntry], bool]) -> str:
    return STATES[level(gap, counts)]


def _gaps_heading(gaps: list[GapEntry], counts: Callable[[GapEntry], bool]) -> str:
    if not gaps:
        return "Gaps: none"
    failing = sum(1 for g in gaps if counts(g))
    suppressed = sum(1 for g in gaps if g.suppressed)
    return f"Gaps: {len(gaps)} ({failing} failing, {suppressed} suppressed)"


def as_text(
    data: ThreatsFile,
    gaps: list[GapEntry],
    counts: Callable[[GapEntry], bool],
    base: str,
    style: Style,
    columns: int,
    group: Grouping | None = None,
) -> str:
    """The report for a terminal: ``columns`` wide, the gaps under a heading
    per group (per kind by default)."""
    group = group or (lambda gap: gap.kind)
    title = f"Threat model: {clean(data.project)}" if data.project else "Threat model"
    lines = [style(title, "bold") + f" ({clean(data.path)})", ""]
    lines.append(style(f"Threats: {threat_count(data)}", "bold"))
    for label, counted in (("by status", by_status(data)), ("by severity", by_severity(data))):
        lines += wrap(_joined(counted), columns, " " * 15, f"  {label:<13}")

    services = [(clean(s), figures) for s, figures in services_worst_first(data)]
    if services:
        lines += ["", style("Coverage per service, worst first", "bold")]
        # the figures and the bar take 50 columns; the service ID gets the rest
        id_width = max(7, min(max(len(s) for s, _ in services), columns - 52))
        lines.append(
            f"  {'service':<{id_width}}  {'covered':>7}  {'of':>8}  {'percent':>8}  {'weighted':>8}"
        )
        for service, figures in services:
            pct = figures.get("percent")
            bar = _bar(pct, style)
            numbers = (
                f"{figures.get('covered', 0):>7}  {_answers(figures):>8}"
                f"  {_percent(pct):>8}  {_percent(figures.get('weighted-percent')):>8}  {bar}"
            )
            if len(service) > id_width:
                lines += [f"  {service}", f"  {'':<{id_width}}  {numbers}"]
            else:
                lines.append(f"  {service:<{id_width}}  {numbers}")

    lines += ["", style(_gaps_heading(gaps, counts), "bold")]
    heading = None
    for gap in gaps:
        name = group(gap)
        if name != heading:
            heading = name
            count = sum(1 for g in gaps if group(g) == name)
            lines.append(f"  {style(clean(name), 'cyan')}: {count}")
        severity = data.gap_severity(gap)
        state = _gap_state(gap, counts)
        painted = style(state, "red", "bold") if state == "FAILS" else style(state, "dim")
        head = (
            "    "
            + ("" if name == gap.kind else f"{clean(gap.kind)}  ")
            + clean(_common.gap_where(gap, base))
            + (f"  {clean(severity)}" if severity else "")
            + f"  {painted}"
        )
        lines.append(head)
        lines += wrap(clean(gap.message), columns, " " * 6)
    # wrapping may bring "::" from a message to the start of a line
    return no_commands("\n".join(lines) + "\n")


def _answers(figures: dict[str, Any]) -> int:
    """What ``covered`` is counted of: own threats and product threats in
    scope (``total``; files written before it had only ``in-scope``)."""
    return int(figures.get("total", figures.get("in-scope", 0)))


def _bar(percent: Any, style: Style) -> str:
    """Ten cells, one per 10% covered."""
    if not isinstance(percent, int | float):
        return ""
    full = int(percent // 10)
    return style("#" * full, "green") + style("-" * (10 - full), "red")


def as_markdown(
    data: ThreatsFile,
    gaps: list[GapEntry],
    counts: Callable[[GapEntry], bool],
    base: str,
    group: Grouping | None = None,
) -> str:
    """The report as GitHub-flavoured Markdown (a pull-request comment)."""
    title = f"Threat model: {markdown_escape(data.project)}" if data.project else "Threat model"
    lines = [f"## {title}", ""]
    lines += [
        f"**{threat_count(data)} threats**",
        "",
        f"- by status: {_joined(by_status(data), markdown_escape)}",
        f"- by severity: {_joined(by_severity(data), markdown_escape)}",
    ]
    services = services_worst_first(data)
    if services:
        lines += [
            "",
            "### Coverage per service, worst first",
            "",
            "| Service | Covered | Of | Percent | Weighted |",
            "|:--|--:|--:|--:|--:|",
        ]
        for service, figures in services:
            lines.append(
                f"| {markdown_escape(service)} | {figures.get('covered', 0)} | "
                f"{_answers(figures)} | {_percent(figures.get('percent'))} | "
                f"{_percent(figures.get('weighted-percent'))} |"
            )
    lines += ["", f"### {_gaps_heading(gaps, counts)}"]
    if gaps:
        grouped = group is not None and any(group(g) != g.kind for g in gaps)
        head = "| Group | Kind | Where | Severity | State | Message |"
        lines += ["", head if grouped else head.removeprefix("| Group ")]
        lines.append("|:--" * (6 if grouped else 5) + "|")
        for gap in gaps:
            state = _gap_state(gap, counts)
            first = f"| {markdown_escape(group(gap))} " if grouped and group else ""
            lines.append(
                f"{first}| {markdown_escape(gap.kind)} | "
                f"{markdown_code(_common.gap_where(gap, base))} | "
                f"{markdown_escape(data.gap_severity(gap) or '')} | "
                f"{'**fails**' if state == 'FAILS' else state} | {markdown_escape(gap.message)} |"
            )
    return no_commands("\n".join(lines) + "\n")


def as_json(
    data: ThreatsFile,
    gaps: list[GapEntry],
    counts: Callable[[GapEntry], bool],
    base: str,
    group: Grouping | None = None,
) -> str:
    """The report as JSON, for scripts."""
    out = {
        "file": data.path,
        "project": data.project,
        "threats": threat_count(data),
        "by-status": dict(by_status(data)),
        "by-severity": dict(by_severity(data)),
        "services": [{"service": s, **figures} for s, figures in services_worst_first(data)],
        "gaps": [
            {
                "kind": g.kind,
                "message": g.message,
                "ids": list(g.ids),
                "file": _common.join_base(base, g.file),
                "lineno": g.lineno,
                "severity": data.gap_severity(g),
                "level": level(g, counts),
                "suppressed": g.suppressed,
                "failing": counts(g),
                "owner": g.owner,
                "project": g.project,
                "group": group(g) if group else g.kind,
            }
            for g in gaps
        ],
        "failing": sum(1 for g in gaps if counts(g)),
    }
    return json_text(out)


def _escape_data(text: str) -> str:
    # GitHub's workflow-command escaping, after clean() took every line break
    # (a value cannot end the command and start another)
    return clean(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")


def as_github(
    data: ThreatsFile, gaps: list[GapEntry], counts: Callable[[GapEntry], bool], base: str
) -> str:
    """One GitHub Actions annotation per gap, at its source line: ``::error``
    when it counts, ``::notice`` when suppressed, else ``::warning``."""
    lines = []
    for gap in gaps:
        command = GITHUB_COMMANDS[level(gap, counts)]
        props = [f"file={_escape_property(_common.join_base(base, gap.file))}"]
        if gap.lineno:
            props.append(f"line={gap.lineno}")
        title = f"{rule_of(gap.kind).title} (threats.{gap.kind})"
        props.append(f"title={_escape_property(title)}")
        lines.append(f"::{command} {','.join(props)}::{_escape_data(gap.message)}")
    return "".join(line + "\n" for line in lines)
