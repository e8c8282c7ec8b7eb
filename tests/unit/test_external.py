"""Reading another project's ``threats.json`` into model records (pure)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from sphinx_threats.config import validate_named
from sphinx_threats.external import own_and_external, read_model
from sphinx_threats.model import Location, Mitigation, Service, Threat
from sphinx_threats.schema.options import Vocabulary

VOCABULARY = Vocabulary(
    categories=("spoofing", "tampering"),
    severities=("high", "medium", "low"),
    likelihoods=("high", "low"),
    impacts=("high", "low"),
)


def _file(**items: list[dict[str, Any]]) -> bytes:
    return json.dumps({"schema": 1, "project": "P", "items": items}).encode()


def test_entries_become_the_records_a_directive_makes() -> None:
    data = _file(
        threats=[
            {
                "id": "TM-1",
                "title": "Stolen tokens",
                "category": ["spoofing"],
                "severity": "High",  # matched as a directive matches it
                "applies-to": ["*", "!web"],
                "status": "mitigated",  # computed there: not an option, not read
                "docname": "index",
                "file": "index.rst",
                "lineno": 7,
                "uri": "index.html#TM-1",
            }
        ],
        mitigations=[
            {
                "id": "M-1",
                "title": "Binding",
                "mitigates": ["TM-1"],
                "status": "implemented",
                "due": None,
                "file": "m.rst",
                "lineno": 3,
                "uri": "",
                "in-effect": True,
            },
            {"id": "X-1", "title": "Theirs", "external": "other", "mitigates": ["TM-9"]},
        ],
    )
    model = read_model("product", data, "https://p.example/docs/", VOCABULARY)
    assert model.usable and model.problem == ""
    threat, mitigation = model.items
    assert isinstance(threat, Threat) and isinstance(mitigation, Mitigation)
    assert threat.severity == "high" and threat.applies_to == ("*", "!web")
    assert threat.location == Location(
        "index.rst", 7, "", "product", "https://p.example/docs/index.html#TM-1"
    )
    assert mitigation.status == "implemented" and mitigation.location.uri == ""


def test_item_problems_are_one_message_and_the_items_still_load() -> None:
    data = _file(
        threats=[
            {"id": f"T-{n}", "title": "t", "severity": "urgent", "category": ["x"]}
            for n in range(3)
        ]
    )
    model = read_model("product", data, "", VOCABULARY)
    assert len(model.items) == 3 and model.usable
    assert model.problem.startswith("6 problem(s)") and model.problem.endswith("and 3 more")


def test_not_a_threats_json_gives_nothing() -> None:
    for data, says in [
        (b"", "not valid JSON"),
        (b'{"schema": true}', "schema version true"),
        (_file(threats=[["TM-1"]]), "items.threats[0] should be an object"),
    ]:
        model = read_model("product", data, "", VOCABULARY)
        assert not model.usable and model.items == () and says in model.problem


def test_prefixes_and_shadowing() -> None:
    here = Location("index.rst", 1)
    own = [
        Service("relay", "Relay", here),
        Mitigation("M-1", "m", here, mitigates=("product:TM-1", "R-1", "second:web")),
    ]
    theirs = read_model(
        "product",
        _file(
            services=[{"id": "relay", "title": "Theirs"}, {"id": "web", "title": "Web"}],
            threats=[{"id": "TM-1", "title": "t", "severity": "high"}],
        ),
        "",
        VOCABULARY,
    )
    again = read_model("second", _file(services=[{"id": "web", "title": "Later"}]), "", VOCABULARY)
    mine, external, prefixes = own_and_external(own, [theirs, again], ["product:relay"])
    # relay is ours; web from the first; the second's web and the product's
    # relay count under their prefixed IDs, as they are cited so
    assert [(i.id, i.title) for i in external] == [
        ("web", "Web"),
        ("TM-1", "t"),
        ("product:relay", "Theirs"),
        ("second:web", "Later"),
    ]
    assert isinstance(mine[1], Mitigation)
    assert mine[1].mitigates == ("TM-1", "R-1", "second:web")
    assert prefixes.resolve("product:TM-1") == "TM-1"
    assert prefixes.resolve("!product:web") == "!web"
    assert prefixes.resolve("second:web") == "second:web"  # not the first's web
    assert prefixes.resolve("second:TM-1") == "second:TM-1"  # not theirs: unknown
    assert prefixes.resolve("other:TM-1") == "other:TM-1"  # intersphinx's, say
    assert prefixes.resolve("product:") == "product:"


@pytest.mark.parametrize("value", ["threats_external", "threats_aggregate"])
def test_config_forms(value: str) -> None:
    pin = "AB" * 32
    checked, problems = validate_named(
        {
            value: {
                "a": "x.json",
                "b": ("https://b/", "https://b/t.json"),
                "c": {"source": "c.json", "base_url": "https://c/", "sha256": pin},
                "d": {"source": "d.json"},
            }
        }
    )
    assert problems == []
    assert checked[value] == {
        "a": ["", "x.json", ""],
        "b": ["https://b/", "https://b/t.json", ""],
        "c": ["https://c/", "c.json", pin.lower()],
        "d": ["", "d.json", ""],
    }
    for bad in (
        {"a:b": "x"},
        {"a": ""},
        {"a": ("only",)},
        ["x"],
        {"a": {"source": "x", "sha256": "short"}},
        {"a": {"source": "x", "pin": "x"}},
    ):
        _, problems = validate_named({value: bad})
        assert [name for name, _ in problems] == [value]
    _, problems = validate_named({"threats_external_timeout": 0})
    assert [name for name, _ in problems] == ["threats_external_timeout"]


def test_analysis_answers_for_this_projects_services_only() -> None:
    import datetime as dt

    from sphinx_threats.analysis import Settings, analyse
    from sphinx_threats.model import Status, ThreatModel

    here, there = Location("index.rst", 1, "index"), Location("p.rst", 1, "", "product")
    model = ThreatModel.build(
        [
            Service("relay", "Relay", here),
            Service("web", "Web", there),
            Threat("TM-1", "t1", there, severity="high", applies_to=("*",)),
            Threat("TM-2", "t2", there, severity="high", applies_to=("web",)),
            Threat("TM-3", "t3", there, severity="high", applies_to=("relay", "web")),
            # the product's platform control names the relay: it covers it here
            Mitigation(
                "M-P", "p", there, mitigates=("TM-3",), applies_to=("relay",), status="implemented"
            ),
            Mitigation("M-X", "x", there, mitigates=("TM-404",), status="bogus"),
        ]
    )
    report = analyse(model, Settings(today=dt.date(2026, 6, 1)))
    assert report.services == ["relay"]
    assert set(report.coverage) == {("TM-1", "relay"), ("TM-3", "relay")}
    assert report.coverage[("TM-3", "relay")].status is Status.MITIGATED
    # TM-1's pair is ours to answer; TM-2 (web's), M-X's problems are the product's
    assert [(g.kind.value, g.ids) for g in report.gaps] == [("service-gap", ("TM-1", "relay"))]
