"""``python -m spintorque.ubermag scheduled.pickle``: run a scheduled drive in its folder."""

import sys

from .drivers import run_scheduled

if __name__ == "__main__":
    run_scheduled(sys.argv[1] if len(sys.argv) > 1 else "scheduled.pickle")
