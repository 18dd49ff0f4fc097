"""Time one fresh Python process: wall and user + system CPU of the child, measured from outside
(shared by the benchmark scripts that compare whole runs)."""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
import time


def time_process(src: str, env: dict[str, str]) -> tuple[float, float]:
    """(wall, user + system CPU) [s] of ``python -c src`` with environment ``env``, run in the
    temporary folder."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-c", src], env=env, check=True, cwd=tempfile.gettempdir())
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
