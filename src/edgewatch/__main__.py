"""``python -m edgewatch``."""

import sys

from edgewatch.cli import main

sys.exit(main())
