"""The Sphinx side of the configuration: the raw ``-D`` values, the check at
``config-inited``, conf.py's lines, and what the analysis and the option
checks take from the configuration.

The values themselves (names, defaults, types, checks) are declared once, in
:mod:`~.config`, which imports no Sphinx.
"""

from __future__ import annotations

import datetime as dt
import re
import weakref
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import config as config_module
from .analysis import Settings
from .config import category_labels
from .intersphinx import is_external
from .model import Gap, GapKind, Location
from .schema.options import Vocabulary

if TYPE_CHECKING:
    from sphinx.application import Sphinx
    from sphinx.config import Config
    from sphinx.environment import BuildEnvironment

# Per application, found before the environment exists: the raw ``-D`` values,
# and the conf.py problems (reported with the other problems on every build).
_command_line: weakref.WeakKeyDictionary[Sphinx, dict[str, str]] = weakref.WeakKeyDictionary()
_config_problems: weakref.WeakKeyDictionary[Sphinx, list[Gap]] = weakref.WeakKeyDictionary()


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
        is_external=is_external(env) if env is not None else Settings.is_external,
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
    conf = conf_py(app)
    _config_problems[app] = [
        Gap(
            GapKind.INVALID,
            message,
            (),
            Location(str(conf), line_in_conf(conf, name) if name not in command_line else 1),
        )
        for name, message in problems
    ]


def config_problems(app: Sphinx) -> list[Gap]:
    """The conf.py problems :func:`check_config` found (reported on every build)."""
    return _config_problems.get(app, [])


def conf_py(app: Sphinx) -> Path:
    """The project's conf.py."""
    return Path(app.confdir, "conf.py")


def line_in_conf(conf_py: Path, name: str) -> int:
    """The line assigning ``name`` in conf.py (1 when not found)."""
    try:
        lines = conf_py.read_text(encoding="utf-8").splitlines()
    except OSError:
        return 1
    for number, line in enumerate(lines, 1):
        if re.match(rf"{re.escape(name)}\s*[:=]", line):
            return number
    return 1


def conf_location(app: Sphinx, name: str, *, relative: bool = False) -> Location:
    """Where conf.py sets ``name``: the location of a problem with its value;
    ``relative``: as ``threats.json`` records it (relative to the source
    directory, ``conf.py`` when it is there)."""
    conf = conf_py(app)
    line = line_in_conf(conf, name)
    if relative and conf.is_relative_to(app.srcdir):
        return Location(conf.relative_to(app.srcdir).as_posix(), line)
    return Location(str(conf), line)
