"""``dot_runs``: pictures drawn by ``dot`` in the background, bounded, and
never left half-written (the real ``dot``, and small programs standing in for
one that hangs)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sphinx_threats.dot_runs import DotRuns

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz is not installed")

#: Writes its ``-o`` file, as dot starts to, then hangs.
HANGS = """#!/bin/sh
for a; do case $a in -o*) echo '<svg' > "${a#-o}";; esac; done
exec sleep 30
"""


def _program(tmp_path: Path, text: str) -> str:
    program = tmp_path / "fake-dot"
    program.write_text(text, encoding="utf-8")
    program.chmod(0o755)
    return str(program)


@needs_dot
def test_every_picture_is_drawn_with_one_run_at_a_time(tmp_path: Path) -> None:
    runs = DotRuns(["dot"], running=1)
    for n in range(3):
        runs.start(f'digraph {{ "n{n}" }}', "svg", tmp_path / f"{n}.svg", tmp_path, f"p:{n}")
        assert len(runs._runs) == 1  # the one before was waited for
    assert runs.finish() == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["0.svg", "1.svg", "2.svg"]
    assert all(f"<title>n{n}</title>" in (tmp_path / f"{n}.svg").read_text() for n in range(3))


def test_a_picture_already_drawn_is_not_drawn_again(tmp_path: Path) -> None:
    drawn = tmp_path / "graphviz-1.svg"
    drawn.write_text("<svg/>", encoding="utf-8")
    runs = DotRuns([_program(tmp_path, "#!/bin/sh\nexit 1\n")])
    runs.start("digraph {}", "svg", drawn, tmp_path, "p:1")
    runs.start("digraph {}", "svg", tmp_path / "graphviz-2.svg", tmp_path, "p:2")
    runs.start("digraph {}", "svg", tmp_path / "graphviz-2.svg", tmp_path, "p:3")  # the same
    assert [(f.where, f.why) for f in runs.finish()] == [("p:2", "dot exited with status 1")]
    assert drawn.read_text(encoding="utf-8") == "<svg/>"


def test_a_stopped_build_leaves_no_half_picture(tmp_path: Path) -> None:
    out = tmp_path / "out"
    runs = DotRuns([_program(tmp_path, HANGS)])
    runs.start("digraph {}", "svg", out / "graphviz-1.svg", tmp_path, "p:1")
    runs.stop()
    assert list(out.iterdir()) == []


def test_a_run_past_its_time_is_killed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import sphinx_threats.dot_runs

    monkeypatch.setattr(sphinx_threats.dot_runs, "SECONDS", 0.3)
    out = tmp_path / "out"
    runs = DotRuns([_program(tmp_path, HANGS)])
    runs.start("digraph {}", "svg", out / "graphviz-1.svg", tmp_path, "p:1")
    failures = runs.finish()
    assert [f.why for f in failures] == ["dot took longer than 0.3 seconds and was stopped"]
    assert list(out.iterdir()) == []


def test_a_program_that_cannot_start_is_a_failure(tmp_path: Path) -> None:
    runs = DotRuns([str(tmp_path / "missing-dot")])
    runs.start("digraph {}", "svg", tmp_path / "graphviz-1.svg", tmp_path, "p:1")
    (failure,) = runs.finish()
    assert failure.where == "p:1"
    assert failure.why.startswith("dot could not be started: [Errno 2]")
