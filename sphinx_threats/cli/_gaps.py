"""What the command says about each gap kind: a title, how to fix it, and its
level (SARIF ``level``, GitHub annotation).

The reference documentation's table of SARIF rules is generated from
:data:`RULES`, so the two cannot drift.
"""

from __future__ import annotations

from typing import NamedTuple

from ..model import GapKind
from ..threatsfile.read import GapEntry, ThreatsFile


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
    #: A fixed level, or ``None``: the level follows the severity of the
    #: threat the gap concerns (:data:`SEVERITY_LEVELS`).
    level: str | None = None


#: SARIF level by threat severity (the default ``threats_severities``); a
#: missing or other severity counts as the most severe, as for
#: ``threats_fail_min_severity``.
SEVERITY_LEVELS = {
    "critical": "error",
    "high": "error",
    "medium": "warning",
    "low": "note",
    "info": "note",
}

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
        "error",
    ),
    GapRule(
        "duplicate-id",
        "Duplicate ID",
        "Two items share an ID.",
        "Give one of the items another ID.",
        "error",
    ),
    GapRule(
        "invalid",
        "Invalid item or option",
        "A missing required option, a value outside the allowed set, a malformed date or "
        "ID, an unknown option or a bad configuration value.",
        "Correct the option as the message says.",
        "error",
    ),
    GapRule(
        "orphan-mitigation",
        "Orphan mitigation",
        "A mitigation none of whose threats exists.",
        "Fix :mitigates:, or remove the mitigation.",
        "warning",
    ),
    GapRule(
        "stale-assumption",
        "Stale assumption",
        "An assumption's :review-by: date has passed.",
        "Review the assumption and set a new :review-by: date.",
        "note",
    ),
    GapRule(
        "stale-member",
        "Member built against an older model",
        "A member project (threats_aggregate) was built against an older version of this "
        "project's model: some of its threats changed, were added or were removed since.",
        "Rebuild the member against this project's current threats.json.",
        "note",
    ),
    GapRule(
        "unreachable-source",
        "Source read from its cached copy",
        "An external or member source could not be read; the copy cached by an earlier "
        "build was used.",
        "Check the source's URL and the server; the cached copy stands in meanwhile.",
        "note",
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
        title = kind.replace("-", " ").capitalize()
        rule = GapRule(kind, title, f"A {kind} gap.", "See the message.", "warning")
    return rule


def kinds_in_order(kinds: set[str]) -> list[str]:
    """``kinds`` in the order of :data:`RULES`, unknown ones after, by name."""
    known = [k for k in RULES if k in kinds]
    return known + sorted(kinds - set(RULES))


def level(data: ThreatsFile, gap: GapEntry) -> str:
    """The SARIF level of a gap: fixed for its kind, else by the severity of its threat."""
    fixed = rule_of(gap.kind).level
    if fixed is not None:
        return fixed
    return SEVERITY_LEVELS.get(data.gap_severity(gap) or "", "error")
