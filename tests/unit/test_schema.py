"""Reading item options: ``schema.parse_item``, ``split_ids``, ``split_list`` (no Sphinx)."""

from __future__ import annotations

import datetime as dt

import pytest

from sphinx_threats.model import (
    Assumption,
    DataFlow,
    DataStore,
    ExternalEntity,
    GapKind,
    Kind,
    Location,
    Mitigation,
    NotApplicable,
    Problem,
    RiskAcceptance,
    Service,
    Threat,
    ThreatActor,
    TrustBoundary,
)
from sphinx_threats.schema.options import OPTIONS, Vocabulary
from sphinx_threats.schema.syntax import (
    parse_myst_options,
    split_argument,
    split_ids,
    split_list,
)
from sphinx_threats.schema.values import parse_item, placeholder_id

VOCABULARY = Vocabulary(
    categories=("spoofing", "tampering", "information-disclosure"),
    severities=("critical", "high", "medium", "low", "info"),
    likelihoods=("high", "medium", "low"),
    impacts=("high", "medium", "low"),
    risk_matrix={
        "high": {"high": "critical", "medium": "high", "low": "medium"},
        "low": {"high": "medium"},
    },
)
WHERE = Location("services/relay.rst", 20, "services/relay")

#: Options that make each kind valid.
VALID: dict[Kind, dict[str, str]] = {
    Kind.THREAT_ACTOR: {"id": "ACT-1", "description": "Organised crime"},
    Kind.SERVICE: {"id": "relay", "owner": "team-relay", "exposed-to": "T-1"},
    Kind.THREAT: {"id": "T-1", "severity": "high", "category": "spoofing"},
    Kind.MITIGATION: {"id": "M-1", "mitigates": "T-1", "status": "implemented"},
    Kind.RISK_ACCEPTANCE: {
        "id": "RA-1",
        "threats": "T-1",
        "owner": "ciso",
        "expires": "2026-12-31",
    },
    Kind.NOT_APPLICABLE: {"id": "NA-1", "threats": "T-1"},
    Kind.ASSUMPTION: {"id": "A-1", "threats": "T-1", "review-by": "2027-01-31"},
    Kind.DATA_STORE: {"id": "db", "service": "relay", "data": "messages"},
    Kind.EXTERNAL_ENTITY: {"id": "client", "description": "The app"},
    Kind.DATA_FLOW: {"id": "F-1", "from": "client", "to": "relay", "bidirectional": ""},
    Kind.TRUST_BOUNDARY: {"id": "cloud", "contains": "relay, db"},
}
CLASSES = {
    Kind.THREAT_ACTOR: ThreatActor,
    Kind.SERVICE: Service,
    Kind.THREAT: Threat,
    Kind.MITIGATION: Mitigation,
    Kind.RISK_ACCEPTANCE: RiskAcceptance,
    Kind.NOT_APPLICABLE: NotApplicable,
    Kind.ASSUMPTION: Assumption,
    Kind.DATA_STORE: DataStore,
    Kind.EXTERNAL_ENTITY: ExternalEntity,
    Kind.DATA_FLOW: DataFlow,
    Kind.TRUST_BOUNDARY: TrustBoundary,
}
REQUIRED = {
    Kind.THREAT_ACTOR: [],
    Kind.SERVICE: [],
    Kind.THREAT: [],  # :severity: is required unless derived: tested on its own
    # without :mitigates: a mitigation is an unlinked control (an orphan-mitigation
    # gap of the analysis, not invalid)
    Kind.MITIGATION: ["status"],
    Kind.RISK_ACCEPTANCE: ["threats", "owner", "expires"],
    Kind.NOT_APPLICABLE: ["threats"],
    Kind.ASSUMPTION: [],
    Kind.DATA_STORE: [],
    Kind.EXTERNAL_ENTITY: [],
    Kind.DATA_FLOW: ["from", "to"],
    Kind.TRUST_BOUNDARY: [],
}


def parse(
    kind: Kind,
    options: dict[str, str | None],
    title: str = "A title",
    lines: dict[str, int] | None = None,
    **kwargs: object,
) -> tuple[object, list[Problem]]:
    """parse_item with every option on its own line after the directive (21, 22, ...)."""
    if lines is None:
        lines = {name: WHERE.lineno + 1 + i for i, name in enumerate(options)}
    return parse_item(
        kind,
        title,
        options,  # type: ignore[arg-type]
        WHERE,
        VOCABULARY,
        option_lines=lines,
        **kwargs,  # type: ignore[arg-type]
    )


def lines_of(problems: list[Problem]) -> list[int]:
    return [p.location.lineno for p in problems]


# -- valid items ---------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(Kind))
def test_valid_item_has_no_problem(kind: Kind) -> None:
    item, problems = parse(kind, dict(VALID[kind]))
    assert problems == []
    assert type(item) is CLASSES[kind]
    assert item.kind is kind  # type: ignore[attr-defined]
    assert item.id == VALID[kind]["id"]  # type: ignore[attr-defined]
    assert item.title == "A title"  # type: ignore[attr-defined]
    assert item.location == WHERE  # type: ignore[attr-defined]


def test_full_threat() -> None:
    item, problems = parse(
        Kind.THREAT,
        {
            "id": "TM-CLOUD-1",
            "category": "spoofing, information-disclosure",
            "severity": "critical",
            "likelihood": "low",
            "impact": "high",
            "actors": "ACT-1 ACT-2",
            "service": "storage",
            "applies-to": "*, !legacy",
            "cwe": "CWE-79, 89",
            "capec": "CAPEC-66",
            "tags": "data at rest, crypto",
        },
    )
    assert problems == []
    assert item == Threat(
        id="TM-CLOUD-1",
        title="A title",
        location=WHERE,
        tags=("data at rest", "crypto"),
        option_lines=item.option_lines,  # type: ignore[attr-defined]
        category=("spoofing", "information-disclosure"),
        severity="critical",  # declared wins over the matrix
        likelihood="low",
        impact="high",
        actors=("ACT-1", "ACT-2"),
        service="storage",
        applies_to=("*", "!legacy"),
        cwe=("79", "89"),
        capec=("66",),
    )
    assert dict(item.option_lines)["applies-to"] == 28  # type: ignore[attr-defined]


def test_full_mitigation() -> None:
    item, problems = parse(
        Kind.MITIGATION,
        {
            "id": "M-1",
            "mitigates": "[T-1, T-2]",
            "status": "planned",
            "due": "2026-09-30",
            "effect": "partial",
            "service": "relay",
            "applies-to": "- backup\n- auth",
            "owner": "team",
            "verified-by": " https://ci.example.org/run/1 ",
        },
    )
    assert problems == []
    assert isinstance(item, Mitigation)
    assert item.mitigates == ("T-1", "T-2")
    assert item.due == dt.date(2026, 9, 30)
    assert item.effect == "partial"
    assert item.applies_to == ("backup", "auth")
    assert item.verified_by == "https://ci.example.org/run/1"


def test_full_acceptance() -> None:
    item, problems = parse(
        Kind.RISK_ACCEPTANCE,
        {
            **VALID[Kind.RISK_ACCEPTANCE],
            "service": "relay",
            "approved-by": "CTO",
            "residual-severity": "low",
        },
    )
    assert problems == []
    assert isinstance(item, RiskAcceptance)
    assert item.expires == dt.date(2026, 12, 31)
    assert (item.service, item.approved_by, item.residual_severity) == ("relay", "CTO", "low")


def test_effect_defaults_to_full() -> None:
    item, _ = parse(Kind.MITIGATION, dict(VALID[Kind.MITIGATION]))
    assert isinstance(item, Mitigation)
    assert item.effect == "full"
    assert item.is_full


# -- required options ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "option"),
    [(kind, option) for kind, options in REQUIRED.items() for option in options],
)
def test_missing_required_option_is_invalid_at_the_directive(kind: Kind, option: str) -> None:
    options = {k: v for k, v in VALID[kind].items() if k != option}
    item, problems = parse(kind, options)
    messages = [p.message for p in problems]
    assert any(f":{option}:" in m for m in messages), messages
    [problem] = [p for p in problems if f":{option}:" in p.message]
    assert problem.kind is GapKind.INVALID
    assert problem.location == WHERE  # no line of its own: the directive's
    assert problem.ids == (VALID[kind]["id"],)
    assert item.id == VALID[kind]["id"]  # type: ignore[attr-defined]  # still built


@pytest.mark.parametrize(
    ("kind", "option"),
    [
        (Kind.MITIGATION, "status"),
        (Kind.RISK_ACCEPTANCE, "threats"),
        (Kind.RISK_ACCEPTANCE, "owner"),
        (Kind.RISK_ACCEPTANCE, "expires"),
        (Kind.NOT_APPLICABLE, "threats"),
    ],
)
def test_empty_required_option_is_invalid_at_its_line(kind: Kind, option: str) -> None:
    options = {**VALID[kind], option: ""}
    lines = {name: 100 + i for i, name in enumerate(options)}
    _, problems = parse(kind, options, lines=lines)
    assert problems
    assert all(p.kind is GapKind.INVALID for p in problems)
    assert lines_of(problems) == [lines[option]] * len(problems)


def test_missing_status_and_due_of_mitigation() -> None:
    item, problems = parse(Kind.MITIGATION, {"id": "M-1", "mitigates": "T-1"})
    assert isinstance(item, Mitigation)
    assert item.status is None  # counts as planned
    # one cause, one warning: the user never wrote "planned", so no ":due:" problem
    [problem] = problems
    # it says what to write
    assert "needs :status: (one of: planned, in-progress, implemented, verified)" in (
        problem.message
    )


@pytest.mark.parametrize("mitigates", [None, "", []])
def test_an_unlinked_control_is_no_problem_of_its_own(mitigates: object) -> None:
    options = {"id": "M-1", "status": "implemented"}
    if mitigates is not None:
        options["mitigates"] = mitigates  # type: ignore[assignment]
    item, problems = parse(Kind.MITIGATION, options)
    assert isinstance(item, Mitigation)
    assert item.mitigates == ()
    assert problems == []


@pytest.mark.parametrize("status", ["done", "Planed"])
def test_unknown_status_is_one_problem(status: str) -> None:
    item, problems = parse(Kind.MITIGATION, {"id": "M-1", "mitigates": "T-1", "status": status})
    assert item.status is None  # counts as planned (never passes for a control)
    [problem] = problems
    assert "allowed: planned, in-progress, implemented, verified" in problem.message
    if status == "Planed":
        assert "did you mean 'planned'?" in problem.message


@pytest.mark.parametrize(
    ("option", "value", "kept"),
    [
        ("severity", "High", "high"),
        ("severity", "CRITICAL", "critical"),
        ("category", "Spoofing, TAMPERING", ("spoofing", "tampering")),
        ("likelihood", "Medium", "medium"),
    ],
)
def test_enumerated_values_match_case_insensitively(option: str, value: str, kept: object) -> None:
    item, problems = parse(Kind.THREAT, {"id": "T-1", "severity": "low", option: value})
    assert problems == []
    assert getattr(item, option) == kept


def test_status_and_effect_match_case_insensitively() -> None:
    item, problems = parse(
        Kind.MITIGATION,
        {"id": "M-1", "mitigates": "T-1", "status": "Implemented", "effect": "PARTIAL"},
    )
    assert problems == []
    assert item.status == "implemented"  # type: ignore[attr-defined]
    assert item.effect == "partial"  # type: ignore[attr-defined]


def test_unknown_value_says_the_closest() -> None:
    _, problems = parse(Kind.THREAT, {"id": "T-1", "severity": "hihg"})
    [problem] = problems
    assert "did you mean 'high'?" in problem.message
    _, problems = parse(Kind.THREAT, {"id": "T-1", "severity": "low", "sevrity": "high"})
    [problem] = problems
    assert "unknown option :sevrity:" in problem.message
    assert "did you mean 'severity'?" in problem.message


@pytest.mark.parametrize(
    ("kind", "option", "value"),
    [
        (Kind.RISK_ACCEPTANCE, "threats", "*"),
        (Kind.RISK_ACCEPTANCE, "service", "*"),
        (Kind.SERVICE, "exposed-to", "*"),
        (Kind.SERVICE, "relies-on", "!M-1"),
        (Kind.THREAT, "actors", "*"),
        (Kind.THREAT, "service", "*"),
        (Kind.MITIGATION, "mitigates", "T-1, *"),
    ],
)
def test_star_and_bang_only_in_applies_to(kind: Kind, option: str, value: str) -> None:
    options = {**VALID[kind], option: value}
    lines = {name: 40 + i for i, name in enumerate(options)}
    item, problems = parse(kind, options, lines=lines)
    [problem] = problems
    assert problem.location.lineno == lines[option]
    assert "something only in :applies-to:" in problem.message
    kept = getattr(item, option.replace("-", "_"))
    assert "*" not in (kept or ()) and not any(i.startswith("!") for i in kept or ())


@pytest.mark.parametrize("value", ["\u0667\u0669", "\uff19\uff19", "CWE-\u0667"])
def test_only_ascii_digits_are_catalogue_numbers(value: str) -> None:
    item, problems = parse(Kind.THREAT, {"id": "T-1", "severity": "low", "cwe": value})
    [problem] = problems
    assert "takes numbers" in problem.message
    assert item.cwe == ()  # type: ignore[attr-defined]


@pytest.mark.parametrize("status", ["planned", "in-progress"])
def test_due_required_for_planned_and_in_progress(status: str) -> None:
    _, problems = parse(Kind.MITIGATION, {"id": "M-1", "mitigates": "T-1", "status": status})
    [problem] = problems
    assert ":due:" in problem.message
    assert problem.location.lineno == WHERE.lineno
    _, problems = parse(
        Kind.MITIGATION, {"id": "M-1", "mitigates": "T-1", "status": status, "due": "2026-01-01"}
    )
    assert problems == []


@pytest.mark.parametrize("status", ["implemented", "verified"])
def test_due_optional_once_in_effect(status: str) -> None:
    _, problems = parse(Kind.MITIGATION, {"id": "M-1", "mitigates": "T-1", "status": status})
    assert problems == []


def test_threat_needs_a_severity() -> None:
    item, problems = parse(Kind.THREAT, {"id": "T-1"})
    assert isinstance(item, Threat)
    assert item.severity is None  # counts as the most severe
    [problem] = problems
    assert ":severity:" in problem.message
    assert problem.location == WHERE


def test_not_applicable_needs_a_justification() -> None:
    _, problems = parse(Kind.NOT_APPLICABLE, dict(VALID[Kind.NOT_APPLICABLE]), has_body=False)
    [problem] = problems
    assert problem.kind is GapKind.INVALID
    assert "justification" in problem.message
    assert problem.location == WHERE
    _, problems = parse(Kind.NOT_APPLICABLE, dict(VALID[Kind.NOT_APPLICABLE]), has_body=True)
    assert problems == []


# -- unknown options -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(Kind))
def test_unknown_option_is_invalid_at_its_line_and_item_still_built(kind: Kind) -> None:
    options = {**VALID[kind], "colour": "red"}
    lines = {name: 50 + i for i, name in enumerate(options)}
    item, problems = parse(kind, options, lines=lines)
    [problem] = problems
    assert problem.kind is GapKind.INVALID
    assert problem.location == Location(WHERE.file, lines["colour"], WHERE.docname)
    assert ":colour:" in problem.message
    assert problem.ids == (VALID[kind]["id"],)
    assert item.id == VALID[kind]["id"]  # type: ignore[attr-defined]


def test_option_tables_cover_every_kind() -> None:
    assert set(OPTIONS) == set(Kind)
    for options in OPTIONS.values():
        names = [o.name for o in options]
        assert len(names) == len(set(names))
        assert {"id", "tags"} <= set(names)


# -- IDs and titles ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ident",
    ["T 1", "T-é", "Ünïcode", "1T", "-T", "_T", ".T", "T/1", "T#1", "T:1", "T,1"],
)
def test_malformed_id(ident: str) -> None:
    item, problems = parse(Kind.THREAT, {"id": ident, "severity": "high"}, lines={"id": 21})
    [problem] = problems
    assert problem.kind is GapKind.INVALID
    assert problem.location.lineno == 21
    assert "ID" in problem.message
    assert item.id == ident  # type: ignore[attr-defined]  # kept: nothing is dropped


@pytest.mark.parametrize("ident", ["T", "T-1", "TM-CLOUD-1", "a.b_c-D9", "x1.2.3", "relay"])
def test_well_formed_id(ident: str) -> None:
    _, problems = parse(Kind.THREAT, {"id": ident, "severity": "high"})
    assert problems == []


def test_id_is_stripped_and_case_kept() -> None:
    item, problems = parse(Kind.SERVICE, {"id": "  Relay-EU  "})
    assert problems == []
    assert item.id == "Relay-EU"  # type: ignore[attr-defined]


@pytest.mark.parametrize("raw", [None, "", "   "])
def test_missing_id_gets_a_placeholder(raw: str | None) -> None:
    options = {"id": raw, "severity": "high"} if raw is not None else {"severity": "high"}
    item, problems = parse(Kind.THREAT, options, title="Replay")
    assert item.id == "@services/relay.rst:20" == placeholder_id(WHERE)  # type: ignore[attr-defined]
    assert item.title == "Replay"  # type: ignore[attr-defined]
    [problem] = problems
    assert problem.kind is GapKind.INVALID
    assert ":id:" in problem.message
    assert problem.ids == ("@services/relay.rst:20",)


@pytest.mark.parametrize("title", ["", "   "])
def test_missing_title_is_the_id(title: str) -> None:
    item, problems = parse(Kind.THREAT, {"id": "T-1", "severity": "high"}, title=title)
    assert item.title == "T-1"  # type: ignore[attr-defined]
    [problem] = problems
    assert problem.kind is GapKind.INVALID
    assert "title" in problem.message
    assert problem.location == WHERE


def test_missing_id_and_title() -> None:
    item, problems = parse(Kind.SERVICE, {}, title="")
    assert item.id == item.title == "@services/relay.rst:20"  # type: ignore[attr-defined]
    assert len(problems) == 2


def test_title_is_text_and_stripped() -> None:
    item, problems = parse(Kind.SERVICE, {"id": "S"}, title="  <script>alert(1)</script> ")
    assert problems == []
    assert item.title == "<script>alert(1)</script>"  # type: ignore[attr-defined]


# -- values --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "option"),
    [(Kind.MITIGATION, "due"), (Kind.RISK_ACCEPTANCE, "expires")],
)
@pytest.mark.parametrize(
    "value", ["2026-02-30", "2026-13-01", "2026-6-1", "01/06/2026", "tomorrow", "20260601"]
)
def test_bad_date(kind: Kind, option: str, value: str) -> None:
    options = {**VALID[kind], option: value}
    if kind is Kind.MITIGATION:
        options["status"] = "planned"
    lines = {name: 70 + i for i, name in enumerate(options)}
    item, problems = parse(kind, options, lines=lines)
    bad = [p for p in problems if repr(value) in p.message]
    assert len(bad) == 1
    assert bad[0].location.lineno == lines[option]
    assert getattr(item, option) is None


def test_good_dates() -> None:
    item, problems = parse(
        Kind.RISK_ACCEPTANCE, {**VALID[Kind.RISK_ACCEPTANCE], "expires": "2028-02-29"}
    )
    assert problems == []
    assert item.expires == dt.date(2028, 2, 29)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("kind", "option", "value"),
    [
        (Kind.THREAT, "severity", "urgent"),
        (Kind.THREAT, "severity", "Hihg"),
        (Kind.THREAT, "likelihood", "certain"),
        (Kind.THREAT, "impact", "catastrophic"),
        (Kind.THREAT, "category", "spoofing, phishing"),
        (Kind.MITIGATION, "status", "done"),
        (Kind.MITIGATION, "effect", "strong"),
        (Kind.RISK_ACCEPTANCE, "residual-severity", "tiny"),
    ],
)
def test_value_outside_vocabulary(kind: Kind, option: str, value: str) -> None:
    options = {**VALID[kind], option: value}
    lines = {name: 40 + i for i, name in enumerate(options)}
    item, problems = parse(kind, options, lines=lines)
    bad = [p for p in problems if p.location.lineno == lines[option]]
    assert len(bad) == 1, problems
    assert bad[0].kind is GapKind.INVALID
    assert f":{option}:" in bad[0].message
    # the item is still built; the bad value is dropped or neutralised
    assert item.id == VALID[kind]["id"]  # type: ignore[attr-defined]


def test_bad_category_keeps_the_good_ones() -> None:
    item, _ = parse(Kind.THREAT, {**VALID[Kind.THREAT], "category": "spoofing, phishing"})
    assert item.category == ("spoofing",)  # type: ignore[attr-defined]


def test_bad_status_counts_as_planned() -> None:
    item, problems = parse(Kind.MITIGATION, {"id": "M", "mitigates": "T", "status": "done"})
    assert isinstance(item, Mitigation)
    assert item.status is None
    assert not item.in_effect
    # reported once as a bad value, not also as a missing option
    assert sum(":status:" in p.message for p in problems) == 1


def test_bad_effect_counts_as_partial() -> None:
    item, _ = parse(Kind.MITIGATION, {**VALID[Kind.MITIGATION], "effect": "strong"})
    assert isinstance(item, Mitigation)
    assert not item.is_full


def test_bad_severity_is_not_also_reported_as_missing() -> None:
    item, problems = parse(Kind.THREAT, {"id": "T", "severity": "urgent"})
    assert item.severity is None  # type: ignore[attr-defined]
    assert len(problems) == 1


# -- severity from the risk matrix ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("likelihood", "impact", "severity"),
    [("high", "high", "critical"), ("high", "low", "medium"), ("low", "high", "medium")],
)
def test_severity_derived_from_risk_matrix(likelihood: str, impact: str, severity: str) -> None:
    item, problems = parse(Kind.THREAT, {"id": "T", "likelihood": likelihood, "impact": impact})
    assert problems == []
    assert item.severity == severity  # type: ignore[attr-defined]


def test_risk_matrix_without_the_cell() -> None:
    item, problems = parse(Kind.THREAT, {"id": "T", "likelihood": "medium", "impact": "low"})
    assert item.severity is None  # type: ignore[attr-defined]
    [problem] = problems
    assert "threats_risk_matrix" in problem.message


def test_likelihood_and_impact_without_a_matrix() -> None:
    vocabulary = Vocabulary(
        categories=VOCABULARY.categories,
        severities=VOCABULARY.severities,
        likelihoods=VOCABULARY.likelihoods,
        impacts=VOCABULARY.impacts,
    )
    item, problems = parse_item(
        Kind.THREAT, "T", {"id": "T", "likelihood": "high", "impact": "high"}, WHERE, vocabulary
    )
    assert item.severity is None  # type: ignore[attr-defined]
    [problem] = problems
    assert ":severity:" in problem.message


def test_only_likelihood_is_not_enough() -> None:
    item, problems = parse(Kind.THREAT, {"id": "T", "likelihood": "high"})
    assert item.severity is None  # type: ignore[attr-defined]
    assert len(problems) == 1


# -- numbers, tags, single references ----------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("CWE-79", ("79",)),
        ("cwe-79", ("79",)),
        ("79", ("79",)),
        ("CWE-79, CWE-89", ("79", "89")),
        ("[79, 352]", ("79", "352")),
    ],
)
def test_cwe_numbers(raw: str, expected: tuple[str, ...]) -> None:
    item, problems = parse(Kind.THREAT, {**VALID[Kind.THREAT], "cwe": raw})
    assert problems == []
    assert item.cwe == expected  # type: ignore[attr-defined]


def test_capec_numbers() -> None:
    item, problems = parse(Kind.THREAT, {**VALID[Kind.THREAT], "capec": "CAPEC-66 98"})
    assert problems == []
    assert item.capec == ("66", "98")  # type: ignore[attr-defined]


def test_bad_cwe_is_invalid_at_its_line() -> None:
    options = {**VALID[Kind.THREAT], "cwe": "CWE-79, XSS"}
    lines = {name: 30 + i for i, name in enumerate(options)}
    item, problems = parse(Kind.THREAT, options, lines=lines)
    [problem] = problems
    assert problem.location.lineno == lines["cwe"]
    assert "'XSS'" in problem.message
    assert item.cwe == ("79",)  # type: ignore[attr-defined]


def test_tags_may_contain_spaces() -> None:
    item, problems = parse(
        Kind.SERVICE, {"id": "S", "tags": "data at rest, end-to-end encryption,  pii "}
    )
    assert problems == []
    assert item.tags == ("data at rest", "end-to-end encryption", "pii")  # type: ignore[attr-defined]


def test_tags_as_yaml_list() -> None:
    item, _ = parse(Kind.SERVICE, {"id": "S", "tags": "- data at rest\n- pii"})
    assert item.tags == ("data at rest", "pii")  # type: ignore[attr-defined]
    item, _ = parse(Kind.SERVICE, {"id": "S", "tags": "[data at rest, pii]"})
    assert item.tags == ("data at rest", "pii")  # type: ignore[attr-defined]


def test_duplicate_list_entries_are_dropped() -> None:
    item, _ = parse(Kind.SERVICE, {"id": "S", "exposed-to": "T-1, T-2 T-1", "tags": "a, a"})
    assert item.exposed_to == ("T-1", "T-2")  # type: ignore[attr-defined]
    assert item.tags == ("a",)  # type: ignore[attr-defined]


def test_single_reference_takes_one_id() -> None:
    options = {**VALID[Kind.THREAT], "service": "relay backup"}
    lines = {name: 60 + i for i, name in enumerate(options)}
    item, problems = parse(Kind.THREAT, options, lines=lines)
    [problem] = problems
    assert problem.location.lineno == lines["service"]
    assert item.service == "relay"  # type: ignore[attr-defined]


def test_flag_option_without_value() -> None:
    # docutils gives None for an option written without a value
    item, problems = parse(Kind.SERVICE, {"id": "S", "owner": None, "exposed-to": None})
    assert problems == []
    assert item.owner == ""  # type: ignore[attr-defined]
    assert item.exposed_to == ()  # type: ignore[attr-defined]


# -- default service ---------------------------------------------------------------------------


@pytest.mark.parametrize("kind", [Kind.THREAT, Kind.MITIGATION])
def test_page_service_is_the_default_owner(kind: Kind) -> None:
    item, _ = parse(kind, dict(VALID[kind]), default_service="relay")
    assert item.service == "relay"  # type: ignore[attr-defined]
    item, _ = parse(kind, {**VALID[kind], "service": "backup"}, default_service="relay")
    assert item.service == "backup"  # type: ignore[attr-defined]
    item, _ = parse(kind, dict(VALID[kind]))
    assert item.service is None  # type: ignore[attr-defined]


@pytest.mark.parametrize("kind", [Kind.RISK_ACCEPTANCE, Kind.NOT_APPLICABLE])
def test_no_page_default_for_acceptances_and_exclusions(kind: Kind) -> None:
    item, _ = parse(kind, dict(VALID[kind]), default_service="relay")
    assert item.service is None  # type: ignore[attr-defined]


# -- list splitting ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a", ["a"]),
        ("a, b", ["a", "b"]),
        ("a,b", ["a", "b"]),
        ("a b", ["a", "b"]),
        ("a, b c", ["a", "b", "c"]),
        ("a,\n  b\n\tc", ["a", "b", "c"]),
        ("[a, b]", ["a", "b"]),
        ("[a,b]", ["a", "b"]),
        ("['a', \"b\"]", ["a", "b"]),
        ("- a\n- b", ["a", "b"]),
        ("\n- a\n- b\n", ["a", "b"]),
        ("*, !legacy", ["*", "!legacy"]),
        ("- '*'\n- '!legacy'", ["*", "!legacy"]),
        ('["*"]', ["*"]),
        ("", []),
        ("  ", []),
        ("[]", []),
        (",,", []),
        ("T-1.2_x", ["T-1.2_x"]),
    ],
)
def test_split_ids(raw: str, expected: list[str]) -> None:
    assert split_ids(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a", ["a"]),
        ("a, b", ["a", "b"]),
        ("a, b c", ["a", "b c"]),
        ("data at rest, pii", ["data at rest", "pii"]),
        ("[a, b]", ["a", "b"]),
        ("[a b, c]", ["a b", "c"]),
        ("- a\n- b", ["a", "b"]),
        ("- data at rest\n- pii", ["data at rest", "pii"]),
        ("['a b', 'c']", ["a b", "c"]),
        ("", []),
        ("[]", []),
        (" , ", []),
    ],
)
def test_split_list(raw: str, expected: list[str]) -> None:
    assert split_list(raw) == expected


def test_split_argument_takes_the_title_up_to_the_first_option() -> None:
    found = split_argument(
        ["Relay spoofing", "across lines", ":id: T-1", ":ID: T-2", "  wrapped", "text"]
    )
    assert found.title == "Relay spoofing across lines" and found.start == 2
    assert found.options.options == {"id": "T-1"}
    assert found.options.repeated == [("id", 1)]  # counted from the first option line
    assert found.rest == ["text"]  # no blank line before it: the directive says so


def test_split_argument_without_options_is_all_title() -> None:
    found = split_argument(["A title", "that wraps"])
    assert (found.title, found.start, found.options.options, found.rest) == (
        "A title that wraps",
        None,
        {},
        [],
    )


def test_myst_yaml_block_positions_count_from_the_content() -> None:
    found = parse_myst_options(["---", "id: T-1", "applies-to: *", "---", "Body"])
    assert found.used == 4 and found.error is None
    assert found.options == {"id": "T-1", "applies-to": "*"}
    assert found.positions == {"id": 1, "applies-to": 2}


def test_myst_yaml_block_yaml_refuses_is_read_line_by_line() -> None:
    found = parse_myst_options(["---", "id: T-1", "severity: [high", "cwe: 79", "---"])
    assert found.options["id"] == "T-1" and found.error is not None
    assert "not valid YAML" in found.error and found.error_line == 3


def test_myst_unclosed_block_holds_no_options() -> None:
    found = parse_myst_options(["---", "id: T-1"])
    assert (found.used, found.options, found.error) == (0, {}, None)


def test_myst_option_lines_report_a_repeat() -> None:
    found = parse_myst_options([":id: T-1", ":Id: T-2", "", "Body"])
    assert (found.used, found.options, found.repeated) == (2, {"id": "T-1"}, [("id", 1)])


# -- elements ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "value"), [("", True), ("true", True), ("False", False), (True, True), (False, False)]
)
def test_bidirectional_is_a_flag(raw: object, value: bool) -> None:
    item, problems = parse(Kind.DATA_FLOW, {**VALID[Kind.DATA_FLOW], "bidirectional": raw})  # type: ignore[dict-item]
    assert problems == []
    assert item.bidirectional is value  # type: ignore[attr-defined]


def test_a_flag_with_a_value_is_invalid_at_its_line() -> None:
    _, problems = parse(Kind.DATA_FLOW, {**VALID[Kind.DATA_FLOW], "bidirectional": "maybe"})
    assert [p.message for p in problems] == [
        "data-flow 'F-1': :bidirectional: is a flag: give it with no value (or true/false), "
        "not 'maybe'"
    ]
    assert lines_of(problems) == [24]


def test_an_element_decision_needs_categories_and_no_threats_or_service() -> None:
    item, problems = parse(
        Kind.NOT_APPLICABLE,
        {"id": "NA-1", "elements": "db, F-1", "categories": "tampering"},
    )
    assert problems == []
    assert item.elements == ("db", "F-1")  # type: ignore[attr-defined]
    assert item.categories == ("tampering",)  # type: ignore[attr-defined]
    _, problems = parse(
        Kind.NOT_APPLICABLE,
        {"id": "NA-1", "elements": "db", "threats": "T-1", "service": "relay"},
    )
    assert [(p.message, p.location.lineno) for p in problems] == [
        ("not-applicable 'NA-1' names :elements: and needs :categories: (the ones decided)", 20),
        (
            "not-applicable 'NA-1': :threats: does not go with :elements: (a decision about "
            "elements names no threat and no service); write two not-applicables",
            23,
        ),
        (
            "not-applicable 'NA-1': :service: does not go with :elements: (a decision about "
            "elements names no threat and no service); write two not-applicables",
            24,
        ),
    ]
    _, problems = parse(Kind.NOT_APPLICABLE, {"id": "NA-1", "categories": "tampering"})
    assert [p.location.lineno for p in problems] == [22]
