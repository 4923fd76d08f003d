"""``python -m coverage``: the command line."""

import sys

from coverage.cli import main

sys.exit(main())
