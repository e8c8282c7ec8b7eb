"""The command's reading of threats.json and its helpers, without a build."""

from __future__ import annotations

import pytest

from sphinx_threats.cli._common import UsageError, base_dir, join_base, split_list
from sphinx_threats.cli._gaps import RULES, level, rule_of
from sphinx_threats.cli._safe import markdown_escape
from sphinx_threats.cli._term import wrap
from sphinx_threats.cli.diff import LABELS
from sphinx_threats.model import GapKind
from sphinx_threats.threatsfile.compare import OTHER_CHANGES, WORSENINGS
from sphinx_threats.threatsfile.read import FormatError, parse, severity_rank


def _file(**extra: object) -> dict[str, object]:
    return {"schema": 1, **extra}


def test_every_gap_kind_has_a_rule() -> None:
    assert [k.value for k in GapKind] == list(RULES)[: len(GapKind)]
    assert rule_of("from-the-future").title == "From the future"


def test_unknown_keys_and_missing_optional_ones_are_fine() -> None:
    data = parse(
        _file(
            items={
                "threats": [{"id": "T", "severity": "high", "external": "other"}],
                "assumptions": [{"id": "A"}],
            },
            coverage=[{"threat": "T", "service": "s", "status": "planned", "by": []}],
            gaps=[{"kind": "stale-assumption", "ids": ["A"]}],
            something_new={"x": 1},
        ),
        "f.json",
    )
    assert data.of("threats")["T"].external == "other"
    assert data.of("mitigations") == {}
    assert data.fail_on is None and data.summary == {}
    (gap,) = data.gaps
    assert (gap.file, gap.lineno, gap.suppressed, gap.fails) == ("", 0, False, None)
    # an older file without "fails": the default threats_fail_on decides
    assert not data.build_failing(gap)
    assert level(gap, data.build_failing) == "warning"


def test_the_first_declaration_of_a_duplicate_id_wins() -> None:
    data = parse(
        _file(items={"threats": [{"id": "T", "lineno": 3}, {"id": "T", "lineno": 9}]}), "f.json"
    )
    assert data.of("threats")["T"].lineno == 3
    assert [e.lineno for e in data.entries("threats")] == [3, 9]


def test_gap_severity_is_the_most_severe_named_threat() -> None:
    data = parse(
        _file(
            items={"threats": [{"id": "A", "severity": "low"}, {"id": "B", "severity": "high"}]},
            gaps=[{"kind": "expired-acceptance", "ids": ["RA", "A", "B"]}],
        ),
        "f.json",
    )
    assert data.gap_severity(data.gaps[0]) == "high"
    # expired-acceptance fails by default: the level follows what counts
    assert level(data.gaps[0], data.build_failing) == "error"


def test_unknown_severity_counts_as_most_severe() -> None:
    assert severity_rank(None) == severity_rank("p1") == severity_rank("critical") == 0
    assert severity_rank("info") == 4


@pytest.mark.parametrize(
    "raw",
    [
        _file(items=[]),
        _file(items={"threats": [{"title": "no id"}]}),
        _file(coverage=[{"threat": "T"}]),
        _file(gaps=[{"kind": "x", "suppressed": "no"}]),
        _file(gaps=[{"kind": "x", "ids": "T"}]),
        _file(**{"fail-on": "unmitigated"}),
    ],
)
def test_wrong_shapes_are_format_errors(raw: dict[str, object]) -> None:
    with pytest.raises(FormatError, match=r"^is not a valid threats\.json: "):
        parse(raw, "f.json")


def test_base_dir_and_join() -> None:
    assert base_dir("") == base_dir(".") == ""
    assert base_dir("docs/") == base_dir("./docs") == "docs"
    assert base_dir("a\\b") == "a/b"
    for bad in ("/abs", "..", "../x", "C:/x"):
        with pytest.raises(UsageError):
            base_dir(bad)
    assert join_base("docs", "a.rst") == "docs/a.rst"
    assert join_base("", "a.rst") == "a.rst"
    assert join_base("docs", "/abs/cat.yaml") == "/abs/cat.yaml"


def test_split_list() -> None:
    assert split_list("a, b  c,,d") == ["a", "b", "c", "d"]
    assert split_list("") == []


def test_markdown_escape_keeps_titles_literal() -> None:
    assert markdown_escape("<script>x</script> | *b* [l](u)") == (
        "&lt;script>x&lt;/script> \\| \\*b\\* \\[l\\](u)"
    )


def test_wrap_never_breaks_a_path() -> None:
    lines = wrap("see services/a-very-long-file-name.rst:12 now", 20, "  ")
    assert "  services/a-very-long-file-name.rst:12" in lines


def test_a_mitigation_without_an_effect_has_the_models_default() -> None:
    data = parse(
        _file(items={"mitigations": [{"id": "M-1"}, {"id": "M-2", "effect": "partial"}]}), "f"
    )
    assert [m.effect for m in data.of("mitigations").values()] == ["full", "partial"]


def test_every_change_has_a_label() -> None:
    assert set(LABELS) == {*WORSENINGS, *OTHER_CHANGES}
