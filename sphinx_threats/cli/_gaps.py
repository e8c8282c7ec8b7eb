"""What the command says about each gap kind (a title, how to fix it) and the
level of a gap in every format (SARIF ``level``, GitHub annotation, text).

The reference documentation's table of SARIF rules is generated from
:data:`RULES`, so the two cannot drift.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

from ..model import GapKind
from ..threatsfile.read import GapEntry
from ._safe import clean


class GapRule(NamedTuple):
    """How one gap kind is reported."""

    #: The gap kind (warning subtype), e.g. ``service-gap``.
    kind: str
    #: A short title (SARIF ``shortDescription``).
    title: str
    #: When it is reported (SARIF ``fullDescription``).
    when: str
    #: What to do about it (SARIF ``help``).
    fix: str


#: The levels of a gap, as SARIF names them (GitHub says ``notice`` for a
#: note): what each means is :func:`level`'s.
LEVELS = ("error", "warning", "note")

_RULES = (
    GapRule(
        "unmitigated",
        "Unmitigated threat",
        "A threat's overall status is unmitigated: no mitigation in effect, no valid "
        "risk acceptance, no not-applicable.",
        "Add a mitigation with :mitigates: naming the threat, a risk-acceptance with an "
        "owner and an :expires: date, or a not-applicable with a justification.",
    ),
    GapRule(
        "service-gap",
        "Service does not cover a product threat in scope",
        "A product threat is in scope for a service (:applies-to: or :exposed-to:) and "
        "nothing covers it for that service.",
        "Add a mitigation of the threat with :service: set to the service, list a platform "
        "control in the service's :relies-on:, or add a risk-acceptance or not-applicable "
        "for the service.",
    ),
    GapRule(
        "planned-only",
        "Threat covered only by planned mitigations",
        "A threat's overall status, or its status at a service, is planned: only planned or "
        "in-progress mitigations cover it.",
        "Implement a mitigation and set its :status: to implemented or verified.",
    ),
    GapRule(
        "partial-only",
        "Threat covered only by partial mitigations",
        "A threat's overall status, or its status at a service, is partial: only mitigations "
        "with :effect: partial are in effect.",
        "Add a mitigation with :effect: full, or accept the residual risk with a risk-acceptance.",
    ),
    GapRule(
        "overdue-mitigation",
        "Overdue mitigation",
        "A planned or in-progress mitigation's :due: date has passed.",
        "Implement the mitigation and update its :status:, or set a new :due: date.",
    ),
    GapRule(
        "expired-acceptance",
        "Expired risk acceptance",
        "A risk acceptance's :expires: date has passed; it no longer accepts its threats.",
        "Renew the acceptance with a new :expires: date, or mitigate the threats.",
    ),
    GapRule(
        "expiring-acceptance",
        "Risk acceptance expiring soon",
        "A risk acceptance expires within threats_expiry_notice_days.",
        "Plan the renewal of the acceptance or the mitigation of its threats.",
    ),
    GapRule(
        "unknown-ref",
        "Unknown ID",
        "An ID in an option or a role names no item of the right kind.",
        "Fix the ID, or declare the item it names.",
    ),
    GapRule(
        "duplicate-id",
        "Duplicate ID",
        "Two items share an ID.",
        "Give one of the items another ID.",
    ),
    GapRule(
        "invalid",
        "Invalid item or option",
        "A missing required option, a value outside the allowed set, a malformed date or "
        "ID, an unknown option or a bad configuration value.",
        "Correct the option as the message says.",
    ),
    GapRule(
        "orphan-mitigation",
        "Orphan mitigation",
        "An unlinked control: a mitigation that names no threat in :mitigates:.",
        "Name the threats it answers in :mitigates:, or remove the mitigation.",
    ),
    GapRule(
        "stale-assumption",
        "Stale assumption",
        "An assumption's :review-by: date has passed.",
        "Review the assumption and set a new :review-by: date.",
    ),
    GapRule(
        "unrated",
        "Unrated threat",
        "A threat has no severity; it ranks as the most severe until it has one.",
        "Add :severity: (or :likelihood: and :impact: with threats_risk_matrix).",
    ),
    GapRule(
        "unanalysed",
        "Unanalysed element",
        "An element has no threat of a category threats_element_categories requires of it.",
        "Add a threat of the category about the element (:applies-to:), or a not-applicable "
        "with :elements: and :categories: saying why none applies.",
    ),
    GapRule(
        "failing-evidence",
        "Verified mitigation whose test fails",
        "A verified mitigation names a test: in :verified-by: that failed or errored in the "
        "evidence files (threats_evidence); it counts as implemented.",
        "Fix the control or its test so that the test passes, or set :status: to implemented "
        "until it does.",
    ),
    GapRule(
        "missing-evidence",
        "Verified mitigation whose test did not run",
        "A verified mitigation names a test: that is absent from every evidence file or was "
        "skipped; it counts as implemented.",
        "Run the test with --junitxml before the docs build and list its file in "
        "threats_evidence, or correct the test's name in :verified-by:.",
    ),
    GapRule(
        "suspect-link",
        "Decision answers a changed threat",
        "A mitigation, risk acceptance or not-applicable links to a threat whose digest "
        "changed since the link was last reviewed (threats_lock).",
        "Check that the decision still answers the threat as it now reads, then record the "
        "review: sphinx-threats review threats.json --lock FILE --by NAME DECISION.",
    ),
    GapRule(
        "stale-member",
        "Member built against an older model",
        "A member project (threats_aggregate) was built against an older version of this "
        "project's model: some of its threats changed, were added or were removed since.",
        "Rebuild the member against this project's current threats.json.",
    ),
    GapRule(
        "unreachable-source",
        "Source read from its cached copy",
        "An external or member source could not be read; the copy cached by an earlier "
        "build was used.",
        "Check the source's URL and the server; the cached copy stands in meanwhile.",
    ),
)

#: Every gap kind this version knows, in the order of :class:`GapKind` (then
#: the kinds the SPEC names that the model does not declare yet).
_KIND_ORDER = [kind.value for kind in GapKind]
RULES: dict[str, GapRule] = {
    rule.kind: rule
    for rule in sorted(
        _RULES,
        key=lambda r: _KIND_ORDER.index(r.kind) if r.kind in _KIND_ORDER else len(_KIND_ORDER),
    )
}


def rule_of(kind: str) -> GapRule:
    """The rule of ``kind``; a kind this version does not know (from a newer
    build) gets a generic one."""
    rule = RULES.get(kind)
    if rule is None:
        # a kind from the file is data: shown clean
        shown = clean(kind)
        rule = GapRule(
            kind, shown.replace("-", " ").capitalize(), f"A {shown} gap.", "See the message."
        )
    return rule


def kinds_in_order(kinds: set[str]) -> list[str]:
    """``kinds`` in the order of :data:`RULES`, unknown ones after, by name."""
    known = [k for k in RULES if k in kinds]
    return known + sorted(kinds - set(RULES))


def level(gap: GapEntry, counts: Callable[[GapEntry], bool]) -> str:
    """The level of ``gap`` in every format: ``error`` when it counts for the
    exit status (``counts``: ``--fail-on``, by default the gaps that failed the
    build), ``note`` when it is suppressed, else ``warning``.

    Its kind and its threat's severity do not decide it: what fails the build
    already says how much a gap matters (``threats_fail_on``,
    ``threats_fail_min_severity``), and a report must not call error what the
    build let pass, nor warning what it failed on.
    """
    if counts(gap):
        return "error"
    return "note" if gap.suppressed else "warning"
