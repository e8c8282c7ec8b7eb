"""``config.validate``: every ``conf.py`` value, good and bad (no Sphinx build)."""

from __future__ import annotations

import datetime as dt
import pickle
from types import SimpleNamespace
from typing import Any

import pytest

from sphinx_threats.config import (
    CONFIG_VALUES,
    DEFAULT_FAIL_ON,
    STRIDE,
    category_labels,
    validate,
)
from sphinx_threats.model import GapKind

DEFAULTS: dict[str, Any] = {
    "threats_fail_on": [
        "unmitigated",
        "service-gap",
        "overdue-mitigation",
        "expired-acceptance",
        "failing-evidence",
        "unknown-ref",
        "duplicate-id",
        "invalid",
    ],
    "threats_fail_min_severity": None,
    "threats_categories": [
        "spoofing",
        "tampering",
        "repudiation",
        "information-disclosure",
        "denial-of-service",
        "elevation-of-privilege",
    ],
    "threats_severities": ["critical", "high", "medium", "low", "info"],
    "threats_likelihoods": ["high", "medium", "low"],
    "threats_impacts": ["high", "medium", "low"],
    "threats_risk_matrix": None,
    "threats_acceptance_requires_approval": False,
    "threats_expiry_notice_days": 30,
    "threats_today": None,
    "threats_export": True,
    "threats_evidence": [],
}

MATRIX = {
    "high": {"high": "critical", "medium": "high", "low": "medium"},
    "medium": {"high": "high", "medium": "medium", "low": "low"},
    "low": {"high": "medium", "medium": "low", "low": "info"},
}


def check(name: str, value: Any, **others: Any) -> tuple[Any, list[str]]:
    """The checked value of ``name`` and the messages."""
    checked, problems = validate({name: value, **others})
    return checked[name], problems


def assert_falls_back(name: str, value: Any, **others: Any) -> str:
    """``value`` is reported (naming the value) and replaced by the default."""
    got, problems = check(name, value, **others)
    assert len(problems) == 1, problems
    assert name in problems[0]
    assert got == DEFAULTS[name]
    return problems[0]


# -- defaults -----------------------------------------------------------------------------------


def test_defaults_as_in_the_spec() -> None:
    checked, problems = validate({})
    assert problems == []
    for name, default in DEFAULTS.items():
        assert checked[name] == default, name
    assert DEFAULTS["threats_fail_on"] == DEFAULT_FAIL_ON
    assert DEFAULTS["threats_categories"] == STRIDE


def test_every_value_is_declared_once_with_a_valid_default() -> None:
    names = [spec.name for spec in CONFIG_VALUES]
    assert len(names) == len(set(names))
    for spec in CONFIG_VALUES:
        assert spec.help
        assert spec.rebuild in ("", "env", "html")
        pickle.dumps(spec.default)
        assert spec.name.startswith("threats_")


def test_validated_values_are_plain_data() -> None:
    checked, _ = validate(
        {"threats_today": dt.date(2026, 6, 1), "threats_risk_matrix": MATRIX, "threats_export": "x"}
    )
    assert pickle.loads(pickle.dumps(checked)) == checked


# -- threats_fail_on ----------------------------------------------------------------------------


def test_fail_on_good_values() -> None:
    assert check("threats_fail_on", ["unmitigated", "planned-only"]) == (
        ["unmitigated", "planned-only"],
        [],
    )
    every = [k.value for k in GapKind]
    assert check("threats_fail_on", every) == (every, [])
    assert check("threats_fail_on", ("invalid",)) == (["invalid"], [])
    # repeated kinds collapse, order kept
    assert check("threats_fail_on", ["invalid", "unmitigated", "invalid"])[0] == [
        "invalid",
        "unmitigated",
    ]


@pytest.mark.parametrize("empty", ["", [], [""], ()])
def test_fail_on_empty_means_none(empty: Any) -> None:
    assert check("threats_fail_on", empty) == ([], [])


def test_fail_on_from_command_line_string() -> None:
    # -D threats_fail_on=unmitigated,service-gap (Sphinx splits it into a list; a string works too)
    assert check("threats_fail_on", ["unmitigated", "service-gap"])[0] == [
        "unmitigated",
        "service-gap",
    ]
    # in conf.py a string is the wrong type (only "" means none)
    value, problems = check("threats_fail_on", "unmitigated, service-gap")
    assert "threats_fail_on" in problems[0] and value == DEFAULT_FAIL_ON


@pytest.mark.parametrize(
    "value",
    [
        ["threats.unmitigated"],
        ["gap", 3],
        "bogus",
        42,
        None,
        {"unmitigated": True},
    ],
)
def test_fail_on_bad_values(value: Any) -> None:
    # nothing usable: an empty list would fail on nothing, so the default stands
    assert_falls_back("threats_fail_on", value)


def assert_leaves_out(name: str, value: Any, kept: Any, **others: Any) -> list[str]:
    """The bad entries of ``value`` are reported one by one, the rest is used."""
    got, problems = check(name, value, **others)
    assert got == kept
    assert problems and all(
        m.startswith(name) and m.endswith("(this entry is left out)") for m in problems
    )
    return problems


@pytest.mark.parametrize(
    "value", [["unmitigated", "gap"], ["unmitigated", 3], ["unmitigated", "threats.invalid"]]
)
def test_fail_on_one_bad_entry_is_left_out(value: Any) -> None:
    assert len(assert_leaves_out("threats_fail_on", value, ["unmitigated"])) == 1


def test_fail_on_message_names_the_unknown_kind() -> None:
    [message] = assert_leaves_out(
        "threats_fail_on", ["unmitigated", "service-gaps", "Invalid"], ["unmitigated", "invalid"]
    )
    assert "'service-gaps' is not a gap kind" in message
    assert "did you mean 'service-gap'?" in message


def test_fail_on_matches_case_insensitively() -> None:
    assert check("threats_fail_on", ["Unmitigated", "SERVICE-GAP", "unmitigated"]) == (
        ["unmitigated", "service-gap"],
        [],
    )


# -- threats_fail_min_severity ------------------------------------------------------------------


@pytest.mark.parametrize("value", ["critical", "high", "info"])
def test_min_severity_good(value: str) -> None:
    assert check("threats_fail_min_severity", value) == (value, [])


@pytest.mark.parametrize("value", [None, ""])
def test_min_severity_unset(value: Any) -> None:
    assert check("threats_fail_min_severity", value) == (None, [])


@pytest.mark.parametrize("value", ["urgent", "hihg", 1, ["high"]])
def test_min_severity_bad(value: Any) -> None:
    message = assert_falls_back("threats_fail_min_severity", value)
    assert repr(value) in message


def test_min_severity_says_did_you_mean() -> None:
    assert "did you mean 'high'?" in assert_falls_back("threats_fail_min_severity", "hihg")


@pytest.mark.parametrize("value", ["High", "HIGH", " high "])
def test_min_severity_matches_case_insensitively(value: str) -> None:
    assert check("threats_fail_min_severity", value) == ("high", [])


def test_min_severity_checked_against_custom_severities() -> None:
    custom = ["S1", "S2", "S3"]
    assert check("threats_fail_min_severity", "S2", threats_severities=custom) == ("S2", [])
    # the configured spelling is kept
    assert check("threats_fail_min_severity", "s2", threats_severities=custom) == ("S2", [])
    got, problems = check("threats_fail_min_severity", "high", threats_severities=custom)
    assert got is None
    assert len(problems) == 1


# -- vocabularies -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name", ["threats_categories", "threats_severities", "threats_likelihoods", "threats_impacts"]
)
def test_vocabulary_good(name: str) -> None:
    assert check(name, ["a", "b"]) == (["a", "b"], [])
    assert check(name, ("a", " b ")) == (["a", "b"], [])


@pytest.mark.parametrize(
    "name", ["threats_categories", "threats_severities", "threats_likelihoods", "threats_impacts"]
)
@pytest.mark.parametrize("value", [[], None, 3, [1, 2], [""]])
def test_vocabulary_bad(name: str, value: Any) -> None:
    assert_falls_back(name, value)


@pytest.mark.parametrize(
    "name", ["threats_categories", "threats_severities", "threats_likelihoods", "threats_impacts"]
)
@pytest.mark.parametrize("value", [["a", 1], ["a", "a"], ["a", "A"]])
def test_vocabulary_bad_entry_is_left_out(name: str, value: Any) -> None:
    # entries match case-insensitively, so "A" repeats "a"
    assert len(assert_leaves_out(name, value, ["a"])) == 1


def test_vocabulary_string_is_the_wrong_type() -> None:
    for name in ("threats_categories", "threats_severities", "threats_likelihoods"):
        assert_falls_back(name, "high medium low")
    assert_falls_back("threats_impacts", "high, medium, low")


def test_categories_as_dict() -> None:
    linddun = {"linking": "Linking", "identifying": "Identifying"}
    got, problems = check("threats_categories", linddun)
    assert problems == []
    assert got == linddun
    assert category_labels(got) == linddun
    assert category_labels(["a", "b"]) == {"a": "a", "b": "b"}


@pytest.mark.parametrize("value", [{}, {"linking": 1}, {1: "x"}])
def test_categories_bad_dict(value: Any) -> None:
    assert_falls_back("threats_categories", value)


# -- threats_risk_matrix ------------------------------------------------------------------------


def test_risk_matrix_good() -> None:
    got, problems = check("threats_risk_matrix", MATRIX)
    assert problems == []
    assert got == MATRIX
    assert got is not MATRIX  # a copy: the user's dict is not shared


def test_risk_matrix_partial_is_fine() -> None:
    assert check("threats_risk_matrix", {"high": {"high": "critical"}}) == (
        {"high": {"high": "critical"}},
        [],
    )


@pytest.mark.parametrize(
    ("value", "named"),
    [
        ({"certain": {"high": "critical"}}, "certain"),  # unknown likelihood
        ({"high": {"catastrophic": "critical"}}, "catastrophic"),  # unknown impact
        ({"high": {"high": "extreme"}}, "extreme"),  # unknown severity
        ({"high": "critical"}, "critical"),  # a row that is not a dict
        ([["high", "high", "critical"]], "threats_risk_matrix"),
        ("high", "threats_risk_matrix"),
    ],
)
def test_risk_matrix_bad(value: Any, named: str) -> None:
    message = assert_falls_back("threats_risk_matrix", value)
    assert named in message


def test_risk_matrix_checked_against_custom_levels() -> None:
    others = {
        "threats_likelihoods": ["often", "rarely"],
        "threats_impacts": ["big", "small"],
        "threats_severities": ["S1", "S2"],
    }
    good = {"often": {"big": "S1", "small": "S2"}}
    assert check("threats_risk_matrix", good, **others) == (good, [])
    got, problems = check("threats_risk_matrix", MATRIX, **others)
    assert got is None
    assert len(problems) == 1


def test_risk_matrix_matches_case_insensitively_in_the_configured_spelling() -> None:
    others = {"threats_severities": ["Critical", "High", "Medium", "Low"]}
    value = {"HIGH": {"Low": "medium"}, "low": {"low": "LOW"}}
    expected = {"high": {"low": "Medium"}, "low": {"low": "Low"}}
    assert check("threats_risk_matrix", value, **others) == (expected, [])


def test_risk_matrix_bad_cell_is_left_out() -> None:
    value = {"high": {"high": "critical", "huge": "high"}, "certian": {"low": "low"}}
    problems = assert_leaves_out("threats_risk_matrix", value, {"high": {"high": "critical"}})
    assert len(problems) == 2
    assert "threats_risk_matrix['high']: 'huge' is not an impact" in problems[0]
    assert "threats_risk_matrix: 'certian' is not a likelihood" in problems[1]


# -- threats_acceptance_requires_approval -------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [(True, True), (False, False), (1, True), (0, False), ("1", True), ("0", False)],
)
def test_requires_approval_good(value: Any, expected: bool) -> None:
    assert check("threats_acceptance_requires_approval", value) == (expected, [])


@pytest.mark.parametrize("value", ["yes please", 2, None, [True]])
def test_requires_approval_bad(value: Any) -> None:
    assert_falls_back("threats_acceptance_requires_approval", value)


# -- threats_expiry_notice_days -----------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [(0, 0), (7, 7), (365, 365), ("14", 14)])
def test_expiry_days_good(value: Any, expected: int) -> None:
    assert check("threats_expiry_notice_days", value) == (expected, [])


@pytest.mark.parametrize("value", [-1, -30, 1.5, "two weeks", None, True, "-3"])
def test_expiry_days_bad(value: Any) -> None:
    message = assert_falls_back("threats_expiry_notice_days", value)
    assert repr(value) in message


# -- threats_today ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-06-01", "2026-06-01"),
        (" 2026-06-01 ", "2026-06-01"),
        (dt.date(2026, 6, 1), "2026-06-01"),
        (None, None),
        ("", None),
    ],
)
def test_today_good(value: Any, expected: str | None) -> None:
    assert check("threats_today", value) == (expected, [])


@pytest.mark.parametrize(
    "value", ["2026-02-30", "2026-13-01", "June 1st", "01/06/2026", "today", 20260601, [2026]]
)
def test_today_bad(value: Any) -> None:
    message = assert_falls_back("threats_today", value)
    assert repr(value) in message


def test_today_as_datetime_is_a_usable_date() -> None:
    got, problems = check("threats_today", dt.datetime(2026, 6, 1, 12, 0))
    if problems:  # reporting it is fine too, as long as the default is used
        assert got is None
    else:
        assert dt.date.fromisoformat(got) == dt.date(2026, 6, 1)


# -- threats_export -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, True),
        (False, False),
        ("private/threats.json", "private/threats.json"),
        ("/abs/threats.json", "/abs/threats.json"),
        ("0", False),
        ("1", True),
    ],
)
def test_export_good(value: Any, expected: Any) -> None:
    assert check("threats_export", value) == (expected, [])


@pytest.mark.parametrize("value", ["", "   ", 3, None, ["a.json"]])
def test_export_bad(value: Any) -> None:
    assert_falls_back("threats_export", value)


# -- several at once ----------------------------------------------------------------------------


def test_one_message_per_bad_value_and_the_rest_kept() -> None:
    checked, problems = validate(
        {
            "threats_fail_on": ["nope"],
            "threats_expiry_notice_days": -1,
            "threats_today": "2026-06-01",
            "threats_severities": ["S1", "S2"],
            "threats_fail_min_severity": "S1",
        }
    )
    assert len(problems) == 2
    assert any("threats_fail_on" in p for p in problems)
    assert any("threats_expiry_notice_days" in p for p in problems)
    assert checked["threats_fail_on"] == DEFAULTS["threats_fail_on"]
    assert checked["threats_expiry_notice_days"] == 30
    assert checked["threats_today"] == "2026-06-01"
    assert checked["threats_fail_min_severity"] == "S1"


def test_messages_say_the_default_is_used() -> None:
    _, problems = validate({"threats_expiry_notice_days": "soon"})
    [message] = problems
    assert "default" in message
    assert "30" in message


def test_validated_config_gives_analysis_settings() -> None:
    from sphinx_threats.sphinx_config import settings_of

    checked, _ = validate(
        {
            "threats_today": "2026-06-01",
            "threats_expiry_notice_days": "10",
            "threats_acceptance_requires_approval": "1",
            "threats_severities": ["S1", "S2"],
        }
    )
    settings = settings_of(SimpleNamespace(**checked))  # type: ignore[arg-type]
    assert settings.today == dt.date(2026, 6, 1)
    assert settings.expiry_notice_days == 10
    assert settings.acceptance_requires_approval is True
    assert settings.severities == ("S1", "S2")


def test_a_source_of_the_wrong_shape_is_named_without_its_secrets() -> None:
    bad = ("https://alice:s3cret@git.example/raw?ref=main&private_token=glpat-XYZ", 3)
    got, problems = check("threats_external", {"product": bad, "ok": "models/threats.json"})
    assert got == {"ok": ["", "models/threats.json", ""]}
    (problem,) = problems
    assert "('https://git.example/raw?ref=main&private_token=***', 3)" in problem
    assert "s3cret" not in problem and "alice" not in problem and "glpat" not in problem
