"""``threats.json``, the file a build writes and everything else reads.

One owner for the format: :mod:`.write` turns a report into the file,
:mod:`.read` turns the file back into typed records (for the command, the
external-model reader and the exporters), :mod:`.compare` finds what changed
from one file to another (``sphinx-threats diff``).  Pure: no Sphinx, no
docutils.
"""

from __future__ import annotations

#: The ``"schema"`` version written, and the only one read.
SCHEMA_VERSION = 1
