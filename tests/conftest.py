"""Shared fixtures: Sphinx's own testing fixtures with our test roots."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ("sphinx.testing.fixtures",)

ROOTS = Path(__file__).parent / "roots"

#: The roots are projects, not tests: a root's own test module (the one
#: tests/test_evidence.py runs with ``pytest --junitxml``) is never collected.
collect_ignore_glob = ["roots/*"]


@pytest.fixture(scope="session")
def rootdir() -> Path:
    """Where ``@pytest.mark.sphinx(testroot=...)`` finds ``test-*`` folders."""
    return ROOTS
