"""Item digests (``sphinx_threats.digest``): what they cover and what they never do (no Sphinx)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import replace

import pytest

from sphinx_threats.digest import item_digest
from sphinx_threats.model import Location, Mitigation, Threat

THREAT = Threat(
    id="TM-1",
    title="Replayed session token",
    location=Location("index.rst", 10, "index"),
    tags=("auth",),
    category=("tampering", "spoofing"),
    severity="high",
    applies_to=("relay",),
    cwe=("294",),
    body="An attacker replays a captured token to act as the user.",
)


def _sha(meaning: dict[str, object]) -> str:
    text = json.dumps(meaning, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:1:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_a_threat_digest_is_the_hash_of_its_kind_id_and_review_fields() -> None:
    assert item_digest(THREAT) == _sha(
        {
            "kind": "threat",
            "id": "TM-1",
            "category": ["spoofing", "tampering"],
            "severity": "high",
            "likelihood": None,
            "impact": None,
            "body": "An attacker replays a captured token to act as the user.",
        }
    )


@pytest.mark.parametrize(
    "change",
    [
        {"title": "Token replay"},
        {"tags": ("auth", "session")},
        {"cwe": ("384",)},
        {"applies_to": ("*",)},
        {"location": Location("catalog.yaml", 3)},
        {"category": ("spoofing", "tampering")},  # a set: order means nothing
        {"body": "An attacker  replays a captured\ntoken to act as the user. "},
    ],
)
def test_what_a_threat_digest_never_covers(change: dict[str, object]) -> None:
    assert item_digest(replace(THREAT, **change)) == item_digest(THREAT)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "change",
    [
        {"severity": "critical"},
        {"category": ("spoofing",)},
        {"body": "An attacker replays any token."},
        {"likelihood": "high"},
        {"id": "TM-2"},
    ],
)
def test_what_a_threat_digest_covers(change: dict[str, object]) -> None:
    assert item_digest(replace(THREAT, **change)) != item_digest(THREAT)  # type: ignore[arg-type]


def test_revision_replaces_the_review_fields() -> None:
    revised = replace(THREAT, revision="2")
    assert item_digest(revised) == _sha({"kind": "threat", "id": "TM-1", "revision": "2"})
    assert item_digest(replace(revised, severity="low", body="other")) == item_digest(revised)
    assert item_digest(replace(revised, revision="3")) != item_digest(revised)


def test_review_fields_choose_what_a_threat_digest_covers() -> None:
    fields = ("severity", "title")
    assert item_digest(replace(THREAT, body="other"), fields) == item_digest(THREAT, fields)
    assert item_digest(replace(THREAT, title="other"), fields) != item_digest(THREAT, fields)


def test_other_items_digest_their_options_and_body_but_not_tags() -> None:
    mitigation = Mitigation(
        id="M-1",
        title="Token binding",
        location=Location("decisions.rst", 4, "decisions"),
        mitigates=("TM-2", "TM-1"),
        status="planned",
        due=dt.date(2026, 7, 1),
        body="Tokens are bound to the TLS channel.",
    )
    same = replace(
        mitigation,
        mitigates=("TM-1", "TM-2"),
        tags=("x",),
        title="Bound tokens",
        location=Location("other.md", 9, "other"),
    )
    assert item_digest(same) == item_digest(mitigation)
    assert item_digest(replace(mitigation, status="implemented")) != item_digest(mitigation)
    assert item_digest(replace(mitigation, body="Other text.")) != item_digest(mitigation)
    assert item_digest(replace(mitigation, due=dt.date(2026, 8, 1))) != item_digest(mitigation)
