"""``python -m mas_sim``: the command line."""

import sys

from mas_sim.cli import main

if __name__ == "__main__":
    sys.exit(main())
