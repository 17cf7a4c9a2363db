"""Command line of the test lab: `lab.py up|down|status` (see README.md beside this file)."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from labkit.cli import main

if __name__ == "__main__":
    sys.exit(main())
