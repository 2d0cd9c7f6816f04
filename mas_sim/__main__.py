"""``python -m mas_sim``: the command line."""

import sys

from mas_sim.cli import main

sys.exit(main())
