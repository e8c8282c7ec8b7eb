"""The many-repositories how-to, built: every snippet with a ``:caption:``
naming its file is written into that file, and the three projects are built
as the how-to says (the product publishes, each service builds against it and
its CI passes, the product's nightly build collects every answer), then in
the other order (the services first).  Its URLs are served from 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from .browser import serve

HOWTO = Path(__file__).parent.parent / "docs" / "howto" / "many-repositories.rst"
SITE = "https://docs.example.org/"

#: The captioned snippets, in the how-to's order.
CAPTIONS = [
    "product/docs/index.rst",
    "product/docs/reports.rst",
    "product/docs/conf.py",
    "relay/docs/conf.py",
    "relay/docs/index.rst",
    "keys/docs/conf.py",
    "keys/docs/index.md",
    "product/docs/conf.py",
]

pytestmark = pytest.mark.slow


def snippets() -> list[tuple[str, str]]:
    """``(caption, text)`` of every captioned code block, dedented."""
    out = []
    pattern = r"\.\. code-block:: \w+\n   :caption: (\S+)\n\n((?:   .*\n|\n)+)"
    for match in re.finditer(pattern, HOWTO.read_text(encoding="utf-8")):
        lines = [line[3:] for line in match.group(2).rstrip("\n").split("\n")]
        out.append((match.group(1), "\n".join(lines) + "\n"))
    return out


def sphinx(builder: str, src: Path, out: Path, *options: str) -> int:
    """``sphinx-build`` as the how-to runs it; its exit status."""
    done = subprocess.run(
        [sys.executable, "-m", "sphinx", "-q", "-b", builder, *options, str(src), str(out)],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    return done.returncode


class Platform:
    """The three repositories under ``where``, served under ``base``."""

    def __init__(self, where: Path, base: str) -> None:
        self.where = where
        self.base = base
        self.site = where / "site"
        self.blocks = snippets()
        assert [caption for caption, _ in self.blocks] == CAPTIONS

    def write(self, *positions: int) -> None:
        for n in positions:
            caption, text = self.blocks[n]
            path = self.where / caption
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text.replace(SITE, self.base + "/"), encoding="utf-8")

    def publish(self, name: str, *options: str) -> int:
        """Build ``name``'s docs into the served site."""
        return sphinx("html", self.where / name / "docs", self.site / name, *options)

    def check(self, name: str) -> int:
        """The service's CI: the fast check."""
        return sphinx("dummy", self.where / name / "docs", self.where / name / "_build/check")

    def product(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.site / "product" / "threats.json").read_text())
        return data


def _whole_picture(platform: Platform) -> None:
    data = platform.product()
    coverage = {(c["threat"], c["service"]): c["status"] for c in data["coverage"]}
    assert coverage == {
        ("TM-1", "relay:relay"): "mitigated",
        ("TM-1", "key-directory:keys"): "mitigated",
        ("TM-2", "relay:relay"): "mitigated",
    }
    statuses = {t["id"]: t["status"] for t in data["items"]["threats"] if "project" not in t}
    assert statuses == {"TM-1": "mitigated", "TM-2": "mitigated"}
    page = (platform.site / "product" / "reports.html").read_text()
    assert f'href="{platform.base}/relay/index.html#relay"' in page
    assert f'href="{platform.base}/keys/index.html#keys"' in page


def test_the_howto_in_its_order(tmp_path: Path) -> None:
    (tmp_path / "site").mkdir()
    with serve(tmp_path / "site") as base:
        platform = Platform(tmp_path, base)
        # 1. the product publishes (its first build fails on nothing, as said)
        platform.write(0, 1, 2)
        assert platform.publish("product", "-D", "threats_fail_on=") == 0
        # 2-3. each service builds against it; its CI passes
        platform.write(3, 4, 5, 6)
        for service in ("relay", "keys"):
            assert platform.check(service) == 0
            assert platform.publish(service) == 0
        # 4. the product's nightly build collects every answer
        platform.write(7)
        assert platform.publish("product") == 0
        _whole_picture(platform)
        page = (platform.site / "product" / "reports.html").read_text()
        assert page.count(">current<") == 2


def test_the_howto_the_other_way_round(tmp_path: Path) -> None:
    (tmp_path / "site").mkdir()
    with serve(tmp_path / "site") as base:
        platform = Platform(tmp_path, base)
        # the services first: the product's model is not there yet
        platform.write(3, 4, 5, 6)
        for service in ("relay", "keys"):
            assert platform.check(service) == 1  # threats.invalid: no product model
            assert platform.publish(service, "-D", "threats_fail_on=") == 0
        # the product aggregates them at once
        platform.write(0, 1, 7)
        assert platform.publish("product") == 0
        _whole_picture(platform)
        page = (platform.site / "product" / "reports.html").read_text()
        assert page.count("not built against this model") == 2
