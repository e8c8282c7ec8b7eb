"""Review: every item's ``digest`` in ``threats.json``, and suspect links.

Digests are over what an item means, never where it is: the same threat in
reStructuredText and MyST, on another page or in a catalogue, retitled,
retagged, with another CWE or scope, keeps its digest; a review field
(severity, category, body) or its ``:revision:`` changes it.  Real builds of
``test-review`` and its MyST twin, copied and edited.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from .conftest import ROOTS
from .helpers import built_app, threats_json

ROOT, MYST = "test-review", "test-review-myst"


def _copy(root: str, where: Path) -> Path:
    src = where / root
    shutil.copytree(ROOTS / root, src)
    return src


def _digests(src: Path) -> dict[str, str]:
    """Every item's digest in the ``threats.json`` of a build of ``src``."""
    with built_app("html", srcdir=src, builddir=src.parent / f"{src.name}-build") as app:
        data = threats_json(app)
    return {e["id"]: e["digest"] for entries in data["items"].values() for e in entries}


def _edit(src: Path, page: str, old: str, new: str) -> None:
    path = src / page
    text = path.read_text(encoding="utf-8")
    assert old in text, (page, old)
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


TM1_RST = """.. threat:: Replayed session token
   :id: TM-1
   :category: spoofing, tampering
   :severity: high
   :tags: auth
   :cwe: 294
   :applies-to: relay

   An attacker *replays* a captured token
   to act as the user.
"""


def _move_to_decisions(src: Path) -> None:
    _edit(src, "index.rst", TM1_RST, "")
    (src / "decisions.rst").write_text(
        (src / "decisions.rst").read_text(encoding="utf-8") + "\n" + TM1_RST, encoding="utf-8"
    )


def _move_to_catalogue(src: Path) -> None:
    _edit(src, "index.rst", TM1_RST, "")
    (src / "threats.yaml").write_text(
        "threats:\n"
        "  - id: TM-1\n"
        "    title: Replayed session token\n"
        "    category: [tampering, spoofing]\n"
        "    severity: high\n"
        "    applies-to: relay\n"
        "    body: |\n"
        "      An attacker replays a captured token to act\n"
        "      as the user.\n",
        encoding="utf-8",
    )
    with (src / "conf.py").open("a", encoding="utf-8") as conf:
        conf.write('threats_catalogs = ["threats.yaml"]\n')


Edit = Callable[[Path], None]

#: Edits of TM-1 that change nothing a reviewer judged.
SAME: dict[str, Edit] = {
    "title": lambda s: _edit(s, "index.rst", "Replayed session token", "Token replay"),
    "tag": lambda s: _edit(s, "index.rst", ":tags: auth", ":tags: auth, session"),
    "cwe": lambda s: _edit(s, "index.rst", ":cwe: 294", ":cwe: 384"),
    "scope": lambda s: _edit(s, "index.rst", ":applies-to: relay", ":applies-to: *"),
    "rewrapped body": lambda s: _edit(s, "index.rst", "token\n   to act", "token to\n   act"),
    "another page": _move_to_decisions,
    "a catalogue": _move_to_catalogue,
}

#: Edits of TM-1 that re-open its reviews.
CHANGED: dict[str, Edit] = {
    "severity": lambda s: _edit(s, "index.rst", ":severity: high", ":severity: critical"),
    "category": lambda s: _edit(s, "index.rst", "spoofing, tampering", "spoofing"),
    "body": lambda s: _edit(s, "index.rst", "a captured token", "any token"),
    "revision": lambda s: _edit(s, "index.rst", ":cwe: 294", ":cwe: 294\n   :revision: 2"),
}


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The digests of an unchanged build of the rST root."""
    return _digests(_copy(ROOT, tmp_path_factory.mktemp("baseline")))


def test_every_item_has_a_digest_the_same_in_rst_and_myst(
    baseline: dict[str, str], tmp_path: Path
) -> None:
    assert sorted(baseline) == ["M-1", "M-2", "NA-1", "RA-1", "TM-1", "TM-2", "relay"]
    assert all(d.startswith("sha256:1:") and len(d) == 9 + 64 for d in baseline.values())
    assert len(set(baseline.values())) == len(baseline)
    assert _digests(_copy(MYST, tmp_path)) == baseline


@pytest.mark.parametrize("edit", SAME, ids=list(SAME))
def test_what_never_changes_a_threat_digest(
    edit: str, baseline: dict[str, str], tmp_path: Path
) -> None:
    src = _copy(ROOT, tmp_path)
    SAME[edit](src)
    assert _digests(src)["TM-1"] == baseline["TM-1"]


@pytest.mark.parametrize("edit", CHANGED, ids=list(CHANGED))
def test_what_changes_a_threat_digest(edit: str, baseline: dict[str, str], tmp_path: Path) -> None:
    src = _copy(ROOT, tmp_path)
    CHANGED[edit](src)
    digests = _digests(src)
    assert digests["TM-1"] != baseline["TM-1"]
    assert {k: v for k, v in digests.items() if k != "TM-1"} == {
        k: v for k, v in baseline.items() if k != "TM-1"
    }


def test_revision_alone_is_the_digest(baseline: dict[str, str], tmp_path: Path) -> None:
    src = _copy(ROOT, tmp_path)
    CHANGED["revision"](src)
    revised = _digests(src)["TM-1"]
    CHANGED["severity"](src)
    CHANGED["body"](src)
    assert _digests(src)["TM-1"] == revised
