"""Import another tool's threat model: one module per source format.

Each format module has ``NAME`` (the ``sphinx-threats import`` argument),
``LABEL`` (the tool's name), ``parse(data, settings) -> ImportedModel`` and
``mapping_rows()`` (its documented mapping table); :mod:`.writers` turns the
model into a project.  Pure: nothing here imports Sphinx or docutils.
"""

from __future__ import annotations

import importlib
from types import ModuleType

#: Source format → its module (imported when used).
FORMATS = {
    "threat-composer": "threat_composer",
    "threat-dragon": "threat_dragon",
    "otm": "otm",
}


def format_module(name: str) -> ModuleType:
    """The module that imports format ``name``."""
    return importlib.import_module(f"{__name__}.{FORMATS[name]}")
