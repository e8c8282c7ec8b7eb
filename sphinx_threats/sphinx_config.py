"""The Sphinx side of the configuration: the raw ``-D`` values, the check at
``config-inited``, conf.py's lines, and what the analysis and the option
checks take from the configuration.

The values themselves (names, defaults, types, checks) are declared once, in
:mod:`~.config`, which imports no Sphinx.
"""

from __future__ import annotations

import datetime as dt
import glob
import os
import re
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import config as config_module
from .analysis import Settings
from .config import category_labels
from .intersphinx import is_external
from .model import GapKind, Location, Problem
from .schema.options import Vocabulary

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.config import Config
    from sphinx.environment import BuildEnvironment

# Per application, found before the environment exists: the raw ``-D`` values,
# and the conf.py problems (handed to the analysis on every build).
_command_line: weakref.WeakKeyDictionary[Sphinx, dict[str, str]] = weakref.WeakKeyDictionary()
_config_problems: weakref.WeakKeyDictionary[Sphinx, list[Problem]] = weakref.WeakKeyDictionary()


def settings_of(config: Config, env: BuildEnvironment | None = None) -> Settings:
    """Analysis settings from the (validated) configuration."""
    today = config.threats_today
    return Settings(
        today=dt.date.fromisoformat(today) if today else dt.date.today(),
        expiry_notice_days=config.threats_expiry_notice_days,
        acceptance_requires_approval=config.threats_acceptance_requires_approval,
        severities=tuple(config.threats_severities),
        likelihoods=tuple(config.threats_likelihoods),
        impacts=tuple(config.threats_impacts),
        risk_matrix=tuple(
            (likelihood, impact, severity)
            for likelihood, row in (config.threats_risk_matrix or {}).items()
            for impact, severity in row.items()
        ),
        graph_max_nodes=config.threats_graph_max_nodes,
        element_categories=tuple(
            (kind, tuple(categories))
            for kind, categories in (config.threats_element_categories or {}).items()
        ),
        is_external=is_external(env) if env is not None else Settings.is_external,
        sources=frozenset(config.threats_external),
        review_fields=tuple(config.threats_review_fields),
    )


def project_id(config: Config) -> str:
    """This project's ``threats_project_id`` (its default from ``project``)."""
    return config_module.project_id(
        {"threats_project_id": config.threats_project_id, "project": config.project}
    )


def vocabulary(config: Any) -> Vocabulary:
    """The allowed option values, from the configuration."""
    return Vocabulary(
        categories=tuple(category_labels(config.threats_categories)),
        severities=tuple(config.threats_severities),
        likelihoods=tuple(config.threats_likelihoods),
        impacts=tuple(config.threats_impacts),
        risk_matrix=config.threats_risk_matrix,
    )


def take_command_line(app: Sphinx) -> None:
    """Take the raw ``-D threats_*=...`` strings before Sphinx converts them.

    Sphinx converts a ``-D`` value by the type of its default as soon as
    anything reads the configuration (even a debug ``repr`` before
    ``config-inited``): ``-D threats_acceptance_requires_approval=true`` would
    stop the build and ``-D threats_expiry_notice_days=soon`` warn outside our
    warning type.  Our own check (:func:`check_config`) handles them instead.
    """
    overrides = app.config.overrides
    names = {spec.name for spec in config_module.CONFIG_VALUES}
    _command_line[app] = {
        name: overrides.pop(name)
        for name in list(overrides)
        if name in names and isinstance(overrides[name], str)
    }


def check_config(app: Sphinx, config: Config) -> None:
    """Replace bad values by their defaults before Sphinx checks (or converts) them,
    and keep the problems for :func:`config_problems`.

    ``-D`` values come raw, from :func:`take_command_line`.
    """
    command_line = _command_line.get(app, {})
    values = {
        spec.name: spec.default if spec.name in command_line else config[spec.name]
        for spec in config_module.CONFIG_VALUES
    }
    checked, problems = config_module.validate_named(values, command_line)
    for name, value in checked.items():
        config[name] = value
    _config_problems[app] = [
        # a -D value has no line in conf.py: its first line stands for the build's configuration
        Problem(GapKind.INVALID, message, conf_location(app, "" if name in command_line else name))
        for name, message in problems
    ]


def config_problems(app: Sphinx) -> list[Problem]:
    """The conf.py problems :func:`check_config` found: gaps of every build,
    as any other problem (the analysis reports them)."""
    return _config_problems.get(app, [])


def conf_py(app: Sphinx) -> Path:
    """The project's conf.py."""
    return Path(app.confdir, "conf.py")


def conf_file(app: Sphinx) -> str:
    """conf.py as the model records a file: relative to the source directory
    (``conf.py``; ``../conf/conf.py`` when ``-c`` puts it elsewhere), so that
    ``threats.json``, the threat-gaps page and SARIF are the same bytes on
    every machine.  Warnings print it joined to the source directory, the
    real file (:func:`~.locations.warning_location`)."""
    conf = conf_py(app)
    try:
        return Path(os.path.relpath(conf, app.srcdir)).as_posix()
    except ValueError:  # another drive (Windows): no relative path exists
        return conf.as_posix()


def line_in_conf(conf_py: Path, name: str) -> int:
    """The line assigning ``name`` in conf.py (1 when not found, or no name)."""
    if not name:
        return 1
    try:
        lines = conf_py.read_text(encoding="utf-8").splitlines()
    except OSError:
        return 1
    for number, line in enumerate(lines, 1):
        if re.match(rf"{re.escape(name)}\s*[:=]", line):
            return number
    return 1


def conf_location(app: Sphinx, name: str) -> Location:
    """Where conf.py sets ``name``: the location of a problem with its value."""
    return Location(conf_file(app), line_in_conf(conf_py(app), name))


def config_paths(app: Sphinx, name: str) -> tuple[list[Path], list[str]]:
    """The files the config value ``name`` (paths or glob patterns relative
    to conf.py) names: globs expanded, sorted, once each; and the patterns
    that match no file."""
    confdir = Path(app.confdir)
    found: dict[Path, None] = {}
    unmatched: list[str] = []
    for pattern in getattr(app.config, name):
        if glob.has_magic(pattern):
            matches = sorted(Path(p) for p in glob.glob(str(confdir / pattern), recursive=True))
        else:
            matches = [confdir / pattern]
        matches = [m for m in matches if m.is_file()]
        if not matches:
            unmatched.append(pattern)
        found.update((m.resolve(), None) for m in matches)
    return list(found), unmatched
