"""`python -m benchmarks`: the figures of issue #9 in one table (see benchmarks/runner.py)."""

import sys

from benchmarks.runner import main

if __name__ == "__main__":
    sys.exit(main())
