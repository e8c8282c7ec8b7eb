"""What a build says about the threat model: every gap a warning at its
file:line, and the gaps that fail the build."""

from __future__ import annotations

from collections import Counter, defaultdict
from typing import TYPE_CHECKING

from sphinx.util import logging
from sphinx.util.logging import is_suppressed_warning

from .analysis import Report
from .figures import fails
from .locations import warning_location
from .model import Gap

if TYPE_CHECKING:
    from sphinx.application import Sphinx

logger = logging.getLogger(__name__)


def warn_gaps(app: Sphinx, report: Report) -> None:
    """One ``threats.<kind>`` warning per gap (conf.py's problems among them); a
    member's gaps are one info line per member (never warnings: ``-W`` must
    not turn another team's gaps into this build's errors)."""
    if report.gaps:
        # Sphinx left its "looking for now-outdated files..." line open
        logger.info("")
    by_member: dict[str, Counter[str]] = defaultdict(Counter)
    for gap in report.gaps:
        if gap.location.project:
            by_member[gap.location.project][gap.kind.value] += 1
            continue
        # the file the line is in, which for a catalogue item rendered on a
        # page is the catalogue, not the page
        location = warning_location(app.srcdir, gap.location)
        logger.warning(gap.message, type="threats", subtype=gap.kind.value, location=location)
    for name, counts in sorted(by_member.items()):
        logger.info(
            "threat model: member %s: %d gap(s) (%s)",
            name,
            counts.total(),
            ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items())),
        )


def failing_gaps(app: Sphinx, report: Report) -> list[Gap]:
    """The reported gaps that fail this build."""
    config = app.config
    suppress = config.suppress_warnings
    severities = report.settings.severities
    return [
        gap
        for gap in report.gaps
        if not is_suppressed_warning("threats", gap.kind.value, suppress)
        and fails(
            gap,
            # a member's gap fails this build only for the kinds named so
            config.threats_aggregate_fail_on if gap.location.project else config.threats_fail_on,
            config.threats_fail_min_severity,
            severities,
        )
    ]


def fail_build(app: Sphinx, failing: list[Gap]) -> None:
    """Say what fails the build, and fail it (exit status 1)."""
    if not failing:
        return
    counts = Counter(g.kind.value for g in failing)
    first = ", ".join(f"{g.location.file}:{g.location.lineno}" for g in failing[:3])
    logger.info(
        "threat model: %d gap(s) fail the build (%s); first at %s",
        len(failing),
        ", ".join(f"{n} {kind}" for kind, n in sorted(counts.items())),
        first,
    )
    app.statuscode = 1
