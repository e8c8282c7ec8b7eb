"""The Sphinx side of the evidence: the JUnit files ``threats_evidence``
names, read once per build before any document.  Reading a file itself is
:mod:`~.evidence` (no Sphinx).

No page is read again when a file changes: test results are computed
content, and the analysis asks for exactly the pages whose computed content
changed (:mod:`~.digests`), so a changed file rewrites the pages that show
its results and nothing else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .catalog_files import catalog_file
from .evidence import merge, read_junit
from .model import GapKind, Problem
from .sphinx_config import conf_location, config_paths

if TYPE_CHECKING:
    from sphinx.application import Sphinx

    from .domain import ThreatsDomain


def read_evidence(app: Sphinx, domain: ThreatsDomain) -> None:
    """Read every evidence file into the domain.

    A pattern that matches no file is one ``invalid`` at conf.py and judges
    nothing; with no readable file at all nothing is judged (every test
    would be absent: the file's own warning is the cause).
    """
    if not app.config.threats_evidence:
        domain.set_evidence(None, ())
        return
    paths, unmatched = config_paths(app, "threats_evidence")
    files = [read_junit(path, catalog_file(str(path), str(app.srcdir))) for path in paths]
    problems = [problem for evidence in files for problem in evidence.problems]
    where = conf_location(app, "threats_evidence")
    problems += [
        Problem(
            GapKind.INVALID, f"threats_evidence names {pattern!r}, which matches no file", where
        )
        for pattern in unmatched
    ]
    readable = [evidence for evidence in files if evidence.digest]
    domain.set_evidence(merge(readable) if readable else None, problems)
