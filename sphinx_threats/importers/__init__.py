"""Import another tool's threat model: one frame, one module per source format.

:mod:`.frame` says what a source format is (:class:`~.frame.SourceFormat`)
and makes the decisions every import shares; each format module maps its
tool's fields onto the neutral model (:mod:`.model`), reading the file
through :mod:`.reading`; :mod:`.writers` turns the model into a project.
Pure: nothing here imports Sphinx or docutils.
"""

from __future__ import annotations

from collections.abc import Mapping

from .frame import SourceFormat
from .otm import OpenThreatModel
from .threat_composer import ThreatComposer
from .threat_dragon import ThreatDragon

#: The source formats of ``sphinx-threats import``, by name.
FORMATS: Mapping[str, SourceFormat] = {
    source.name: source for source in (ThreatComposer(), ThreatDragon(), OpenThreatModel())
}
