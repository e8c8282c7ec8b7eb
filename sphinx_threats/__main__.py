"""``python -m sphinx_threats``."""

import sys

from .cli import main

sys.exit(main())
