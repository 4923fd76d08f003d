"""``python -m coverage.demo.build``: regenerate the demo regions (see :mod:`coverage.demo.build`)."""

from coverage.demo.build import main

raise SystemExit(main())
