"""Small task functions for sweeps: a cheap synthetic point used by the tests and the demo.

A task function takes a params dict and returns a JSON-serialisable dict. (The switching
experiment's stand-ins, which know the talk's table, are in
:mod:`spintorque.experiments.stand_ins`: this layer imports nothing from the experiments.)
"""

from __future__ import annotations

import math
import os
import time


def synthetic_point(params: dict) -> dict:
    """Sleep ``params["sleep"]`` s (default 0), then compute ``sum_{n<N} sin(n x)`` with
    ``x = params["x"]`` and ``N = params.get("n", 1000)``.

    If ``params["log"]`` names a file, one line ``key pid`` is appended per execution (a single
    ``O_APPEND`` write, atomic for short lines), so tests can count how often each point ran.
    If the file ``params["fail_if_exists"]`` exists the point raises (an injected fault).
    """
    key = str(params.get("key", params.get("x")))
    log = params.get("log")
    if log:
        fd = os.open(log, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, f"{key} {os.getpid()}\n".encode())
        finally:
            os.close(fd)
    time.sleep(float(params.get("sleep", 0.0)))
    if params.get("fail_if_exists") and os.path.exists(params["fail_if_exists"]):
        raise RuntimeError(f"synthetic failure of point {key}")
    x = float(params["x"])
    value = math.fsum(math.sin(n * x) for n in range(int(params.get("n", 1000))))
    return {"x": x, "value": value, "pid": os.getpid()}



def thread_report(params: dict) -> dict:
    """The thread counts a task sees on its worker: ``run_threads`` (FFTW threads a stray field
    built now would get), ``blas`` and ``openmp`` (each loaded pool's threads), ``pid``; for
    checking ``--threads`` of a sweep."""
    from threadpoolctl import threadpool_info

    from ..threads import run_threads

    pools = threadpool_info()
    return {"run_threads": run_threads(), "pid": os.getpid(),
            "blas": [p["num_threads"] for p in pools if p["user_api"] == "blas"],
            "openmp": [p["num_threads"] for p in pools if p["user_api"] == "openmp"]}
