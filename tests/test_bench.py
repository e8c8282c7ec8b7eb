"""The benchmark's generator and equivalence check, at a tiny size.

No timing here (timed figures belong to ``bench/run.py``): this only proves that
the three generated flavours build and show the same items and links, so that
the benchmark compares like with like.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "bench"))

import equivalence  # noqa: E402
import generate  # noqa: E402
import run  # noqa: E402

pytest.importorskip("sphinx_needs")  # the needs flavour needs it (the "test" extra has it)


#: The benchmark's generator and flavours, run for real:
#: left out of the fast lane (``pytest -m "not slow"``).
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("bench")
    generate.generate(3, 2, list(generate.FLAVOURS), root)
    for flavour in generate.FLAVOURS:
        build = run.sphinx_build(root / flavour, root / "_build" / flavour)
        assert build.returncode == 0, f"{flavour}:\n{build.log.read_text(errors='replace')}"
    return root


def test_generator_is_deterministic(tmp_path: Path) -> None:
    for name in ("a", "b"):
        generate.generate(3, 2, list(generate.FLAVOURS), tmp_path / name)
    files = sorted(
        p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file()
    )
    assert files
    for rel in files:
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes(), rel


def test_tiny_model_has_every_kind_of_item() -> None:
    model = generate.build_model(3, 2)
    analysis = generate.analyse(model)
    assert model.services and model.threats and model.mitigations and model.acceptances
    assert analysis.pairs and analysis.gaps


def test_flavours_are_equivalent(built: Path) -> None:
    counts, problems = equivalence.check(built, list(generate.FLAVOURS))
    assert problems == [], "\n".join(problems) + "\n" + equivalence.format_table(counts)
    manifest = json.loads((built / "plain" / "bench.json").read_text())
    for flavour, found in counts.items():
        assert dict(found.items) == manifest["expected_items"], flavour
        assert found.item_links, flavour
        assert found.report_links["report-matrix"], flavour


def test_equivalence_check_sees_a_missing_link(built: Path, tmp_path: Path) -> None:
    """The check is not vacuous: drop the product page's links to one service."""
    manifest = json.loads((built / "plain" / "bench.json").read_text())
    html = built / "_build" / "plain" / "html"
    before = equivalence.count(html, manifest)
    page = html / "product.html"
    text = page.read_text()
    target = manifest["item_pages"][-1].split("/")[-1]  # the last service page
    pruned, n = re.subn(rf'<a [^>]*href="[^"]*#{target}"[^>]*>.*?</a>', "", text, flags=re.S)
    assert n
    try:
        page.write_text(pruned)
        after = equivalence.count(html, manifest)
    finally:
        page.write_text(text)
    problems = equivalence.compare({"plain": before, "threats": after})
    assert any("item links threat -> service" in p for p in problems), problems


def test_instruction_count_child_analyses_this_tree(tmp_path: Path) -> None:
    """``bench/instructions.py``'s child (what valgrind runs) builds and
    analyses a small model of this checkout; the count itself needs valgrind."""
    script = REPO / "bench" / "instructions.py"
    said = {}
    for analyse in ("0", "1"):
        done = subprocess.run(
            [sys.executable, str(script), "--child", analyse, "--threats", "300"],
            capture_output=True,
            text=True,
            check=False,
            cwd=tmp_path,
        )
        assert done.returncode == 0, done.stderr
        said[analyse] = done.stdout
    assert said["0"] == ""  # the model alone
    found = re.fullmatch(r"300 threats analysed, (\d+) gaps\n", said["1"])
    assert found and int(found.group(1)) > 0, said["1"]
