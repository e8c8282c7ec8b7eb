"""Config input: a bad ``threats_*`` value is a clear ``threats.invalid``, never a crash.

SPEC: "A value of the wrong type or shape is an ``invalid`` warning at conf.py
naming the value, and the default is used." Two ways a value arrives:

* written in ``conf.py`` (any Python value): the cases are appended to a copy of
  the ``test-config-input`` root's ``conf.py``, several values per build (each
  value is checked on its own, so one build answers for several cases);
* given with ``-D name=value`` (always a string; Sphinx converts it by the type
  of the default before the extension sees it): one build per case, through
  ``confoverrides``.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from sphinx_threats import config as threats_config

from .helpers import built_app

ROOT = Path(__file__).parent / "roots" / "test-config-input"

DEFAULTS = {spec.name: spec.default for spec in threats_config.CONFIG_VALUES}
DEFAULTS.update(threats_catalogs=[], threats_external={})

OVERRIDE_CONVERSION = (
    "BUG: with -D, Sphinx converts the string by the type of the default before "
    "check_config sees it: threats_acceptance_requires_approval (bool) accepts only "
    "'0'/'1' and anything else ('true', 'maybe') is a ConfigError that stops the build; "
    "threats_expiry_notice_days (int) gives Sphinx's own 'invalid number' warning instead "
    "of threats.invalid (declare them with types={bool, str} / {int, str} as threats_export is)"
)
CONF_LOCATION = (
    "BUG: conf.py problems are logged with location=<path of conf.py> as a plain string, "
    "which Sphinx takes for a docname: the warning says 'conf.py.rst' (events.analyse_build)"
)


@dataclass(frozen=True)
class ConfCase:
    """A value written in conf.py."""

    name: str
    value: Any
    #: The value the build must use: ``None`` means the default (after a warning).
    used: Any = None
    #: Whether a threats.invalid warning names it.
    invalid: bool = True
    bug: str | None = None
    #: A list or dict with some bad entries: what is kept of it (the bad
    #: entries are left out, one warning each, and the default is not used).
    kept: Any = None


CONF_CASES = [
    # a string where a list is expected is the wrong type (-D values arrive as lists)
    ConfCase("threats_fail_on", "unmitigated"),
    ConfCase("threats_fail_on", "", [], invalid=False),  # like -D threats_fail_on=
    ConfCase("threats_severities", "critical, high"),
    ConfCase("threats_fail_on", ["unmitigated", "bogus"], kept=["unmitigated"]),
    ConfCase("threats_fail_on", 5),
    ConfCase("threats_fail_on", None),
    ConfCase("threats_fail_on", {"unmitigated": True}),
    ConfCase("threats_fail_on", ["unmitigated", 3], kept=["unmitigated"]),
    ConfCase("threats_categories", {}),
    ConfCase("threats_categories", {"spoofing": 1}),
    ConfCase("threats_categories", 7),
    ConfCase("threats_categories", []),
    ConfCase("threats_categories", ["a", "a"], kept=["a"]),
    ConfCase("threats_severities", []),
    ConfCase("threats_severities", [1, 2]),
    ConfCase("threats_severities", ["high", "high"], kept=["high"]),
    ConfCase("threats_severities", None),
    ConfCase("threats_fail_min_severity", "extreme"),
    ConfCase("threats_fail_min_severity", 3),
    ConfCase("threats_fail_min_severity", ["high"]),
    ConfCase("threats_likelihoods", None),
    ConfCase("threats_likelihoods", 5),
    ConfCase("threats_impacts", [None]),
    ConfCase("threats_impacts", ""),
    ConfCase("threats_risk_matrix", {"certain": {"high": "high"}}),
    ConfCase("threats_risk_matrix", {"high": {"huge": "high"}}),
    ConfCase("threats_risk_matrix", {"high": {"high": "extreme"}}),
    ConfCase("threats_risk_matrix", {"high": "high"}),
    ConfCase("threats_risk_matrix", "high"),
    ConfCase("threats_risk_matrix", [["high", "high", "high"]]),
    ConfCase("threats_acceptance_requires_approval", None),
    ConfCase("threats_acceptance_requires_approval", 2),
    ConfCase("threats_acceptance_requires_approval", ["yes"]),
    ConfCase("threats_expiry_notice_days", -1),
    ConfCase("threats_expiry_notice_days", 3.5),
    ConfCase("threats_expiry_notice_days", True),
    ConfCase("threats_expiry_notice_days", None),
    ConfCase("threats_expiry_notice_days", "soon"),
    ConfCase("threats_today", "2026-02-30"),
    ConfCase("threats_today", "tomorrow"),
    ConfCase("threats_today", 20260101),
    ConfCase("threats_today", "2026-06-01T00:00"),
    ConfCase("threats_today", "06/01/2026"),
    ConfCase("threats_today", "2026-6-1"),
    ConfCase("threats_export", 5),
    ConfCase("threats_export", None),
    ConfCase("threats_export", ""),
    ConfCase("threats_export", ["threats.json"]),
]


def batches(cases: list[ConfCase]) -> list[list[ConfCase]]:
    """Group the cases so that no build sets the same value twice."""
    out: list[list[ConfCase]] = []
    for case in cases:
        for batch in out:
            if all(c.name != case.name for c in batch):
                batch.append(case)
                break
        else:
            out.append([case])
    return out


BATCHES = batches(CONF_CASES)


@dataclass
class Outcome:
    """What one build showed."""

    config: dict[str, Any]
    #: ``(file relative to the source dir, line or 0, message)`` of threats.invalid warnings.
    invalid: list[tuple[str, int, str]]
    #: Every other warning or error line.
    others: list[str]
    statuscode: int
    outdir: Path
    status: str


WARNING = re.compile(
    r"^(?P<loc>\S*?):(?:(?P<line>\d+):)? WARNING: (?P<msg>.*) \[threats\.invalid\]$"
)


def run(
    base: Path, assignments: dict[str, Any] | None = None, overrides: dict[str, str] | None = None
) -> Outcome:
    """Build a copy of the root with these conf.py assignments or -D overrides."""
    srcdir = base / "src"
    shutil.copytree(ROOT, srcdir)
    if assignments:
        with (srcdir / "conf.py").open("a", encoding="utf-8") as conf:
            for name, value in assignments.items():
                conf.write(f"{name} = {value!r}\n")
    with built_app(
        "dummy",
        srcdir=srcdir,
        builddir=base / "_build",
        confoverrides=overrides or {},
    ) as app:
        text = re.sub(r"\x1b\[[0-9;]*m", "", app.warning.getvalue())
        invalid, others = [], []
        for line in text.splitlines():
            match = WARNING.match(line)
            if match:
                loc = match.group("loc")
                loc = loc[len(str(srcdir)) + 1 :] if loc.startswith(str(srcdir)) else loc
                invalid.append((loc, int(match.group("line") or 0), match.group("msg")))
            elif "WARNING" in line or "ERROR" in line:
                others.append(line)
        names = [*DEFAULTS]
        config = {n: app.config[n] for n in names if n in app.config}
        return Outcome(
            config, invalid, others, app.statuscode, Path(app.outdir), app.status.getvalue()
        )


@pytest.fixture(scope="module")
def conf_outcomes(tmp_path_factory: pytest.TempPathFactory) -> list[Outcome]:
    """One build per batch of conf.py cases."""
    return [
        run(tmp_path_factory.mktemp("conf"), {c.name: c.value for c in batch}) for batch in BATCHES
    ]


def conf_param(case: ConfCase) -> Any:
    marks = [pytest.mark.xfail(strict=True, reason=case.bug)] if case.bug else []
    return pytest.param(case, id=f"{case.name}={case.value!r}", marks=marks)


def outcome_of(outcomes: list[Outcome], case: ConfCase) -> Outcome:
    for batch, outcome in zip(BATCHES, outcomes, strict=True):
        if case in batch:
            return outcome
    raise AssertionError(case)


@pytest.mark.parametrize("case", [conf_param(c) for c in CONF_CASES])
def test_conf_value(conf_outcomes: list[Outcome], case: ConfCase) -> None:
    """One clear threats.invalid naming the value, then the default (or, for a list
    with a bad entry, the rest of the list); never a traceback."""
    outcome = outcome_of(conf_outcomes, case)
    about = [msg for _, _, msg in outcome.invalid if msg.startswith(case.name)]
    if case.kept is not None:
        assert len(about) == 1, about
        assert about[0].endswith("(this entry is left out)")
        assert outcome.config[case.name] == case.kept
    elif case.invalid:
        assert len(about) == 1, about
        assert "default" in about[0]
        assert outcome.config[case.name] == DEFAULTS[case.name]
    else:
        assert about == []
        assert outcome.config[case.name] == case.used
    assert outcome.others == []  # no Sphinx type warning, no error
    assert "Traceback" not in outcome.status


def test_conf_problems_are_located_at_conf_py(conf_outcomes: list[Outcome]) -> None:
    """Every configuration problem points at conf.py."""
    files = {file for outcome in conf_outcomes for file, _, _ in outcome.invalid}
    assert files == {"conf.py"}


def test_bad_value_fails_the_build_by_default(tmp_path: Path) -> None:
    """``invalid`` is in the default threats_fail_on: a bad value fails the build (status 1)."""
    outcome = run(tmp_path, {"threats_today": "2026-02-30"})
    assert len(outcome.invalid) == 1
    assert outcome.statuscode == 1
    assert "threat model: 1 gap(s) fail the build (1 invalid)" in outcome.status


def test_good_values_are_quiet(tmp_path: Path) -> None:
    """Valid values of every accepted shape give no warning and are used as given."""
    values = {
        "threats_fail_on": ["unmitigated", "invalid"],
        "threats_categories": {"s": "Spoofing", "t": "Tampering"},
        "threats_severities": ["high", "low"],
        "threats_fail_min_severity": "high",
        "threats_risk_matrix": {"high": {"high": "high", "low": "low"}},
        "threats_acceptance_requires_approval": True,
        "threats_expiry_notice_days": 0,
        "threats_today": "2026-06-01",
        "threats_export": "private/threats.json",
    }
    outcome = run(tmp_path, values)
    assert outcome.invalid == []
    assert outcome.others == []
    for name, value in values.items():
        assert outcome.config[name] == value
    assert (outcome.outdir / "private" / "threats.json").is_file()
    assert not (outcome.outdir / "threats.json").exists()


@dataclass(frozen=True)
class OverrideCase:
    """A value given with ``-D name=value``."""

    name: str
    value: str
    used: Any = None
    invalid: bool = True
    bug: str | None = None
    kept: Any = None


OVERRIDE_CASES = [
    OverrideCase("threats_fail_on", "", [], invalid=False),
    OverrideCase(
        "threats_fail_on", "unmitigated,invalid", ["unmitigated", "invalid"], invalid=False
    ),
    OverrideCase("threats_fail_on", "bogus,unmitigated", kept=["unmitigated"]),
    OverrideCase("threats_categories", "a,b", ["a", "b"], invalid=False),
    OverrideCase("threats_today", "2026-02-30"),
    OverrideCase("threats_fail_min_severity", "extreme"),
    OverrideCase("threats_risk_matrix", "high"),
    OverrideCase("threats_expiry_notice_days", "7", 7, invalid=False),
    OverrideCase("threats_expiry_notice_days", "soon"),
    OverrideCase("threats_export", "0", False, invalid=False),
    OverrideCase("threats_export", "private/threats.json", "private/threats.json", invalid=False),
    OverrideCase("threats_export", "false", False, invalid=False),
    OverrideCase("threats_acceptance_requires_approval", "1", True, invalid=False),
    OverrideCase("threats_acceptance_requires_approval", "true", True, invalid=False),
    OverrideCase("threats_acceptance_requires_approval", "maybe"),
]


@pytest.mark.parametrize(
    "case",
    [
        pytest.param(
            c,
            id=f"-D {c.name}={c.value}",
            marks=[pytest.mark.xfail(strict=True, reason=c.bug)] if c.bug else [],
        )
        for c in OVERRIDE_CASES
    ],
)
def test_command_line_value(tmp_path: Path, case: OverrideCase) -> None:
    """``-D`` strings: the same outcome as in conf.py, and the build goes on."""
    outcome = run(tmp_path, overrides={case.name: case.value})
    about = [msg for _, _, msg in outcome.invalid if msg.startswith(case.name)]
    if case.kept is not None:
        assert len(about) == 1, about
        assert outcome.config[case.name] == case.kept
    elif case.invalid:
        assert len(about) == 1, about
        assert outcome.config[case.name] == DEFAULTS[case.name]
    else:
        assert about == []
        assert outcome.config[case.name] == case.used
    assert outcome.others == []


def test_export_can_leave_the_published_tree(tmp_path: Path) -> None:
    """SECURITY.md: ``threats_export`` as an absolute path outside the output directory,
    or ``False``, keeps threats.json out of what gets published."""
    internal = tmp_path / "internal" / "threats.json"
    outcome = run(tmp_path / "a", {"threats_export": str(internal)})
    assert outcome.invalid == [] and internal.is_file()
    assert list(outcome.outdir.rglob("threats.json")) == []
    outcome = run(tmp_path / "b", {"threats_export": False})
    assert outcome.invalid == []
    assert list(outcome.outdir.rglob("threats.json")) == []
