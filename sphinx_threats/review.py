"""Reviews of the links between decisions and threats (``threats_lock``).

Pure (no Sphinx): the lock file's lines, read and written; which links a
project has; and each link judged against the threat's current digest (see
:mod:`.digest`).  The build (:mod:`.lock_file`) and the command
(``sphinx-threats review``) both come through here.

A lock line is ``DECISION THREAT DIGEST DATE REVIEWER``: the decision (a
mitigation, risk acceptance or not-applicable) answered the threat as it was
when its digest was ``DIGEST``.  Lines are sorted, one per line, so that two
branches reviewing different decisions merge cleanly with git's ``union``
merge driver.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from .model import Gap, GapKind, Item, Kind, Location, Mitigation, NotApplicable, RiskAcceptance

#: The kinds of decision whose links are reviewed, and the option naming their threats.
DECISION_LINKS = {
    Kind.MITIGATION: "mitigates",
    Kind.RISK_ACCEPTANCE: "threats",
    Kind.NOT_APPLICABLE: "threats",
}


class LockLine(NamedTuple):
    """One reviewed link: the threat's digest when the decision was last reviewed."""

    decision: str
    threat: str
    digest: str
    #: The review's date, ISO (``YYYY-MM-DD``).
    date: str
    reviewer: str

    def text(self) -> str:
        """The line as the lock file holds it."""
        return f"{self.decision} {self.threat} {self.digest} {self.date} {self.reviewer}"


@dataclass(frozen=True)
class Lock:
    """A lock file, read."""

    #: The file as warnings name it (relative to the source directory).
    file: str
    lines: tuple[LockLine, ...] = ()
    #: ``(line number, message)`` of every line that could not be read.
    problems: tuple[tuple[int, str], ...] = ()
    _by_link: dict[tuple[str, str], list[LockLine]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def renamed(self, threats: Mapping[str, str]) -> Lock:
        """The same lines with their threat IDs as ``threats`` maps them: the
        file names another project's threat resolved (``project-id:ID``), the
        analysis by the ID this build gives it."""
        lines = tuple(
            line._replace(threat=threats.get(line.threat, line.threat)) for line in self.lines
        )
        return Lock(self.file, lines, self.problems)

    def of(self, decision: str, threat: str) -> list[LockLine]:
        """The lines of one link (in file order)."""
        if not self._by_link and self.lines:
            for line in self.lines:
                self._by_link.setdefault((line.decision, line.threat), []).append(line)
        return self._by_link.get((decision, threat), [])


def parse_lock(text: str, file: str = "") -> Lock:
    """The lines of a lock file; blank lines and ``#`` comments are skipped,
    a malformed line is a problem (and judges nothing)."""
    lines: list[LockLine] = []
    problems: list[tuple[int, str]] = []
    for number, raw in enumerate(text.splitlines(), 1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue
        parts = stripped.split(None, 4)
        if len(parts) < 5:
            problems.append(
                (
                    number,
                    f"a lock line is 'DECISION THREAT DIGEST DATE REVIEWER', not {stripped[:80]!r}",
                )
            )
            continue
        try:
            dt.date.fromisoformat(parts[3])
        except ValueError:
            problems.append((number, f"{parts[3][:40]!r} is not an ISO date (YYYY-MM-DD)"))
            continue
        lines.append(LockLine(*parts))
    return Lock(file, tuple(lines), tuple(problems))


def format_lock(lines: Iterable[LockLine]) -> str:
    """The lock file holding ``lines``: sorted, each once."""
    return "".join(f"{line.text()}\n" for line in sorted(set(lines)))


class Verdict(enum.StrEnum):
    """What a link's review is worth now."""

    #: A line holds the threat's current digest.
    REVIEWED = "reviewed"
    #: Its lines hold other digests (of this digest version): the threat changed.
    SUSPECT = "suspect"
    #: No line (or only lines of another digest version, or the threat has no digest).
    UNREVIEWED = "unreviewed"


class LinkReview(NamedTuple):
    """The review of one (decision, threat) link."""

    verdict: Verdict
    #: The latest line of the link (``None``: none).
    latest: LockLine | None = None


def _version(digest: str) -> str:
    return digest.rpartition(":")[0]


def judge(lines: list[LockLine], current: str) -> LinkReview:
    """The review of a link whose lines are ``lines``, the threat's digest now
    being ``current``."""
    if not current:
        return LinkReview(Verdict.UNREVIEWED)
    latest = max(lines, key=lambda line: line.date, default=None)
    if any(line.digest == current for line in lines):
        return LinkReview(Verdict.REVIEWED, latest)
    comparable = [line for line in lines if _version(line.digest) == _version(current)]
    if not comparable:
        # a digest of another version is not comparable: never suspect
        return LinkReview(Verdict.UNREVIEWED, latest)
    return LinkReview(Verdict.SUSPECT, max(comparable, key=lambda line: line.date))


def decision_links(item: Item) -> tuple[str, ...]:
    """The threats a decision answers (its ``:mitigates:`` or ``:threats:``)."""
    if isinstance(item, Mitigation):
        return item.mitigates
    if isinstance(item, RiskAcceptance | NotApplicable):
        return item.threats
    return ()


class Reviews(NamedTuple):
    """Every link of this project's decisions, judged."""

    #: By (decision, threat).
    links: dict[tuple[str, str], LinkReview]
    #: ``suspect-link`` gaps, and ``invalid`` ones for unreadable lock lines.
    gaps: list[Gap]


def review_links(
    lock: Lock,
    decisions: Iterable[Item],
    threats: Mapping[str, Item],
    digest_of: Callable[[Item], str],
) -> Reviews:
    """Judge every link of ``decisions`` (this project's) to a known threat.

    ``digest_of`` gives a threat's current digest (each is computed once).
    """
    links: dict[tuple[str, str], LinkReview] = {}
    digests: dict[str, str] = {}
    gaps = [
        Gap(GapKind.INVALID, message, (), Location(lock.file, number))
        for number, message in lock.problems
    ]
    for decision in decisions:
        for threat_id in decision_links(decision):
            threat = threats.get(threat_id)
            if threat is None or threat.kind is not Kind.THREAT:
                continue  # an unknown reference, reported as such
            current = digests.get(threat_id)
            if current is None:
                current = digests[threat_id] = digest_of(threat)
            review = judge(lock.of(decision.id, threat_id), current)
            links[decision.id, threat_id] = review
            if review.verdict is Verdict.SUSPECT:
                gaps.append(_suspect_gap(decision, threat, review, lock.file))
    return Reviews(links, gaps)


def _suspect_gap(decision: Item, threat: Item, review: LinkReview, lock_file: str) -> Gap:
    latest = review.latest
    assert latest is not None
    message = (
        f"{decision.kind.value} {decision.id!r} answers threat {threat.id!r}, which changed "
        f"since the link was reviewed on {latest.date} by {latest.reviewer}; check that the "
        f"{decision.kind.value} still holds, then record it: sphinx-threats review "
        f"threats.json --lock {lock_file} --by NAME {decision.id}"
    )
    severity = getattr(threat, "severity", None)
    return Gap(
        GapKind.SUSPECT_LINK, message, (decision.id, threat.id), decision.location, severity, True
    )


def own_decisions(items: Iterable[Item]) -> Iterator[Item]:
    """This project's decisions (another project's are that project's to review)."""
    return (i for i in items if i.kind in DECISION_LINKS and not i.location.external)


def record(
    lines: Iterable[LockLine],
    links: Mapping[tuple[str, str], str],
    live: Iterable[tuple[str, str]],
    date: str,
    reviewer: str,
) -> list[LockLine]:
    """The lock's lines once ``links`` (``(decision, threat)`` -> current
    digest) are recorded as reviewed on ``date`` by ``reviewer``: each
    recorded link keeps only its new line, and lines of links that no
    longer exist (``live`` are those that do) are dropped."""
    alive = set(live)
    kept: dict[tuple[str, str], list[LockLine]] = defaultdict(list)
    for line in lines:
        link = (line.decision, line.threat)
        if link in alive and link not in links:
            kept[link].append(line)
    for (decision, threat), digest in links.items():
        kept[decision, threat] = [LockLine(decision, threat, digest, date, reviewer)]
    return sorted({line for group in kept.values() for line in group})
