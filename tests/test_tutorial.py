"""The tutorial's commands, run as written, give the output it shows."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

TUTORIAL = Path(__file__).parent.parent / "docs" / "tutorial.rst"
PROJECT = "/tmp/threat-docs"
# Installing is what the test environment already did.
SKIP = ("python -m venv", ". .venv/bin/activate", "pip install")


#: Every command of the tutorial, run:
#: left out of the fast lane (``pytest -m "not slow"``).
pytestmark = pytest.mark.slow


def console_blocks(text: str) -> list[list[str]]:
    """The lines of every ``.. code-block:: console`` block, dedented."""
    blocks = []
    for match in re.finditer(r"\.\. code-block:: console\n\n((?:   .*\n|\n)+)", text):
        lines = [line[3:] for line in match.group(1).rstrip("\n").split("\n")]
        blocks.append(lines)
    return blocks


def steps(blocks: list[list[str]]) -> list[tuple[str, list[str]]]:
    """(command, expected output lines) in order; heredocs join their command."""
    out: list[tuple[str, list[str]]] = []
    for lines in blocks:
        i = 0
        while i < len(lines):
            line = lines[i]
            if not line.startswith("$ "):
                out[-1][1].append(line)
                i += 1
                continue
            command = [line[2:]]
            if "<<'EOF'" in line:
                while not lines[i].startswith("EOF"):
                    i += 1
                    command.append(lines[i])
            out.append(("\n".join(command), []))
            i += 1
    return out


@pytest.mark.skipif(sys.platform == "win32", reason="the tutorial uses a POSIX shell")
def test_tutorial_commands_give_what_it_shows(tmp_path: Path) -> None:
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
    cwd = Path.cwd()
    last_status = 0
    ran = 0
    for command, expected in steps(console_blocks(TUTORIAL.read_text())):
        command = command.replace(PROJECT, str(tmp_path / "threat-docs"))
        if command.startswith(SKIP):
            continue
        if command.startswith("cd "):
            cwd = Path(command[3:])
            continue
        if command == "echo $?":
            assert expected == [str(last_status)], command
            continue
        run = subprocess.run(
            command, shell=True, cwd=cwd, env=env, capture_output=True, text=True, check=False
        )
        ran += 1
        last_status = run.returncode
        output = run.stdout + run.stderr
        for line in expected:
            line = line.replace(PROJECT, str(tmp_path / "threat-docs")).strip()
            if not line or line == "..." or line.startswith("Running Sphinx v"):
                continue
            assert line in output, f"{command!r} did not print {line!r}:\n{output}"
    assert ran >= 8
