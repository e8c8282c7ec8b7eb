"""Graphviz's ``dot`` run in the background while the pages are written.

``sphinx.ext.graphviz`` runs ``dot`` when it writes the page that holds the
picture, and waits for it: a build with a graph on every service page waits
for each in turn (about 20 ms of start-up alone per run), on one core.  Here
a picture's ``dot`` starts as soon as its page is resolved, and the build
goes on writing while it runs on another core; the pictures are waited for
once, before the builder finishes (:meth:`DotRuns.finish`).

Measured with ``python bench/run.py -S 100 -T 20 --graphs --flavours threats``
(101 SVG pictures, 2 cores): see ``bench/README.md``.

Bounds: at most :data:`RUNNING` runs at once (one per core), each given
:data:`SECONDS` from its start before it is killed; a run writes to a
temporary file renamed into place only when ``dot`` succeeds, so an
interrupted build never leaves a half picture that a later build would take
for finished.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

#: The most ``dot`` runs at once.
RUNNING = max(1, os.cpu_count() or 1)
#: The seconds a ``dot`` run may take, from its start.
SECONDS = 60.0
#: The most of ``dot``'s error output kept for the warning.
ERROR_CHARS = 2000


@dataclass(frozen=True)
class Failure:
    """A picture ``dot`` did not draw."""

    #: Where the picture is (``file:line``), as the caller gave it to :meth:`DotRuns.start`.
    where: str | None
    #: Why, in a sentence (with ``dot``'s own words, shortened).
    why: str


@dataclass
class _Run:
    process: subprocess.Popen[bytes]
    error: IO[bytes]
    partial: Path
    output: Path
    where: str | None
    started: float


class DotRuns:
    """The ``dot`` runs of one build, started in the background."""

    def __init__(self, command: Sequence[str], running: int = RUNNING) -> None:
        #: ``dot`` and its arguments (``graphviz_dot`` and ``graphviz_dot_args``).
        self.command = list(command)
        self.running = max(1, running)
        self._runs: list[_Run] = []
        self._claimed: set[Path] = set()
        self._failures: list[Failure] = []

    def start(self, code: str, fmt: str, output: Path, cwd: Path, where: str | None) -> None:
        """Start drawing ``code`` into ``output`` (unless it is there already,
        or started: the file's name is a hash of what draws it)."""
        if output in self._claimed or output.is_file():
            return
        self._claimed.add(output)
        while len(self._runs) >= self.running:
            self._reap(self._runs.pop(0))
        output.parent.mkdir(parents=True, exist_ok=True)
        partial = output.with_name(f".{output.name}.{os.getpid()}.partial")
        error = tempfile.TemporaryFile()  # noqa: SIM115 (closed when reaped)
        try:
            process = subprocess.Popen(
                [*self.command, f"-T{fmt}", f"-o{partial}"],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=error,
                cwd=cwd if cwd.is_dir() else None,
            )
        except OSError as exc:
            error.close()
            self._failures.append(Failure(where, f"dot could not be started: {exc}"))
            return
        assert process.stdin is not None
        with contextlib.suppress(OSError):  # dot stopped reading: its status and error say why
            process.stdin.write(code.encode())
        with contextlib.suppress(OSError):  # (closing flushes what was left)
            process.stdin.close()
        self._runs.append(_Run(process, error, partial, output, where, time.monotonic()))

    def finish(self) -> list[Failure]:
        """Wait for every run; the pictures not drawn, in the order started."""
        while self._runs:
            self._reap(self._runs.pop(0))
        failures, self._failures = self._failures, []
        return failures

    def stop(self) -> None:
        """Kill the runs still going (the build stopped): nothing is kept."""
        for run in self._runs:
            run.process.kill()
            run.process.wait()
            run.error.close()
            run.partial.unlink(missing_ok=True)
        self._runs.clear()

    def _reap(self, run: _Run) -> None:
        left = max(0.0, SECONDS - (time.monotonic() - run.started))
        late = False
        try:
            run.process.wait(timeout=left)
        except subprocess.TimeoutExpired:
            late = True
            run.process.kill()
            run.process.wait()
        with run.error:
            run.error.seek(0)
            said = run.error.read(ERROR_CHARS).decode(errors="replace")
        if run.process.returncode == 0 and run.partial.is_file():
            os.replace(run.partial, run.output)
            return
        run.partial.unlink(missing_ok=True)
        if late:
            why = f"dot took longer than {SECONDS:g} seconds and was stopped"
        else:
            # dot's words quote our DOT text: shown, never acted on by a terminal or CI log
            words = " ".join("".join(c if c.isprintable() else " " for c in said).split())
            why = f"dot exited with status {run.process.returncode}"
            why = f"{why}: {words}" if words else why
        self._failures.append(Failure(run.where, why))
