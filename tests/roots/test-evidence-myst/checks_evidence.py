"""The test run whose JUnit results judge the model of this root.

Named ``checks_*`` so that the outer test suite never collects it:
tests/test_evidence.py runs it with ``pytest --junitxml``.
"""

import os

import pytest


def test_passes():
    assert True


def test_fails():
    fixed = os.environ.get("EVIDENCE_FIXED") == "1"
    assert fixed, "the control regressed"


@pytest.fixture
def broken_fixture():
    raise RuntimeError("the fixture broke")


def test_errors(broken_fixture):
    pass


@pytest.mark.skip(reason="nightly only")
def test_skipped():
    pass


def test_tagged(record_property):
    record_property("mitigates", "M-PROP, M-PASS")


def test_flaky():
    # passes in the first run, fails in the second: the worst result wins
    first_run = os.environ.get("EVIDENCE_RUN") != "2"
    assert first_run


class TestTls:
    @pytest.mark.parametrize("version", ["1.2", "1.3"])
    def test_version(self, version):
        assert version in ("1.2", "1.3")
