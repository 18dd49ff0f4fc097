"""How many compute threads a run uses: ``run.threads`` in a config, ``--threads`` on the command
line, ``threads=`` in Python; **1 by default**.

NumPy's and SciPy's OpenBLAS (and any OpenMP runtime) start one thread per core on their own. In
a run their only work is small or memory-bound (the RK stage combinations, dot products), where
a second thread gains nothing, yet it spins and takes a whole core: two sweep workers on two cores
ran four busy threads (docs/performance.md, "Threads"). So every run is wrapped in
:func:`limit_threads`:

* the thread pools (threadpoolctl) are limited for the run and restored afterwards: OpenMP
  (which FFTW's threads run on) to ``n``, BLAS to ``blas`` threads, which the runs set to 1 (the
  BLAS work of a run, RK stage sums and Krylov vector operations, is memory-bound: a second
  thread gains nothing on a quiet machine and loses several-fold on a shared one); libraries
  loaded during the run (SciPy's OpenBLAS with the transport solvers, pyFFTW's OpenMP runtime
  with the stray field) are limited by :func:`reapply`, which the entry points call once the
  problem is built;
* :func:`run_threads` is ``n`` inside the block: :class:`~spintorque.fields.demag.Demag` built
  there with ``threads=None`` (the default) plans its FFTs with ``n`` FFTW threads, where a
  second core pays on large grids;
* spintorque has no parallel Numba kernels, so Numba's thread count is left alone.

Entry points: ``spintorque run`` / :func:`spintorque.run_config` (``run.threads``, ``--threads``),
:func:`spintorque.run` (``threads=``), the switching points and relaxations of
:mod:`spintorque.experiments.runner`, each sweep task on a Dask worker (``--threads`` of
``switching`` and ``sweep``: threads per worker; the local cluster has one Dask thread per
worker) and ``spintorque hierarchy``.
"""

from __future__ import annotations

import numbers
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["check_threads", "limit_threads", "reapply", "run_threads"]

_state = threading.local()


def check_threads(value: Any, what: str = "threads") -> int:
    """``value`` as a thread count: a whole number >= 1 (not a bool, not 2.5, not "2")."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{what} = {value!r}: must be a whole number >= 1 (threads of the run)")
    return int(value)


def run_threads() -> int:
    """Threads of the run in progress in this thread (that of the innermost
    :func:`limit_threads` block); 1 outside any."""
    stack = getattr(_state, "stack", None)
    return stack[-1].n if stack else 1


class _Limit:
    """One :func:`limit_threads` block: the limits and the original limits it changed."""

    def __init__(self, n: int, blas: int) -> None:
        self.n, self.blas = n, blas
        self._original: dict[str, tuple[Any, int]] = {}  # filepath -> (controller, threads)

    def apply(self) -> None:
        """Limit every thread pool loaded now that this block has not limited yet."""
        from threadpoolctl import ThreadpoolController

        for lib in ThreadpoolController().lib_controllers:
            if lib.filepath in self._original:
                continue
            self._original[lib.filepath] = (lib, lib.num_threads)
            want = self.blas if lib.user_api == "blas" else self.n
            if lib.num_threads != want:
                lib.set_num_threads(want)

    def restore(self) -> None:
        for lib, threads in self._original.values():
            lib.set_num_threads(threads)
        self._original.clear()


@contextmanager
def limit_threads(n: int | None = 1, *, blas: int | None = None) -> Iterator[int]:
    """Run the block with ``n`` compute threads (see the module docs): OpenMP pools limited to
    ``n`` and BLAS pools to ``blas`` (default ``n``; runs give 1), restored on leaving;
    :func:`run_threads` = ``n`` for FFTW in the stray field. ``n = None``: the enclosing block's
    count (1 outside any), e.g. a switching point inside a sweep worker's block."""
    n = run_threads() if n is None else check_threads(n)
    blas = n if blas is None else check_threads(blas, "blas")
    import numpy  # noqa: F401 - its OpenBLAS is loaded, so limited from the start

    limit = _Limit(n, blas)
    stack = getattr(_state, "stack", None)
    if stack is None:
        stack = _state.stack = []
    stack.append(limit)
    try:
        limit.apply()
        yield n
    finally:
        stack.remove(limit)
        limit.restore()


def reapply() -> None:
    """Limit the thread pools loaded since the innermost :func:`limit_threads` block started (a
    library reads its thread count when it loads); nothing outside a block."""
    stack = getattr(_state, "stack", None)
    if stack:
        stack[-1].apply()
