"""Run a sweep on Dask: every point is one Dask task, results go to a :class:`Store` as they finish.

* Default cluster: a ``LocalCluster`` on this machine with ``workers`` processes of one thread
  each (simulations are single-threaded numpy/numba kernels and hold the GIL in places, so
  processes, not threads). Each task runs with ``threads`` compute threads (default 1;
  :func:`spintorque.threads.limit_threads`: BLAS/OpenMP pools limited, FFTW threads of the stray
  field), so ``workers`` workers keep ``workers x threads`` cores busy, never more.
  ``scheduler="tcp://host:8786"`` connects to an existing cluster instead, e.g. one started by
  dask-jobqueue on SLURM/PBS (see ``docs/sweeps.md``).
* The client collects results with ``as_completed`` and commits each one to the store at once,
  so killing the client loses at most the points that were still in flight.
* A worker that dies mid-task (killed, out of memory) is handled by the scheduler: its tasks are
  rescheduled on the other workers, up to ``allowed_failures`` deaths per task, after which the
  task is recorded as failed with the error text. Exceptions raised by the task function are
  retried ``retries`` times, then recorded as failed. A re-run computes failed and pending points
  again and never recomputes a done one.
* A text progress bar on stderr.

The task function takes the task's params dict and returns a JSON-serialisable dict. It is given
as a callable importable on the workers, or as ``"package.module:function"``.
"""

from __future__ import annotations

import importlib
import logging
import os
import socket
import sys
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TextIO

from .store import Store

TaskFunc = Callable[[dict], dict]


def resolve(func: TaskFunc | str) -> TaskFunc:
    """A callable, or ``"module:function"`` imported and looked up."""
    if callable(func):
        return func
    if not isinstance(func, str) or ":" not in func:
        raise ValueError(f"task = {func!r} must be a callable or 'package.module:function'")
    mod, _, name = func.partition(":")
    try:
        obj = getattr(importlib.import_module(mod), name)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"task = {func!r} cannot be imported: {exc}") from exc
    if not callable(obj):
        raise ValueError(f"task = {func!r} is not callable")
    return obj


def _quiet_worker_logs() -> None:
    """Runs on each worker before a local cluster closes: only critical log lines from now on."""
    logging.getLogger("distributed").setLevel(logging.CRITICAL)


def _execute(func: TaskFunc | str, params: dict, threads: int = 1) -> dict:
    """Runs on the worker: the task (with ``threads`` compute threads) plus where and how long it
    ran."""
    from ..threads import limit_threads

    t0 = time.perf_counter()
    with limit_threads(threads):
        result = resolve(func)(params)
    return {
        "result": result,
        "worker": f"{socket.gethostname()}:{os.getpid()}",
        "elapsed_s": time.perf_counter() - t0,
    }


@dataclass
class SweepSummary:
    """Counts after a sweep: ``done`` now done in the store, ``skipped`` already done before,
    ``computed`` finished in this run, ``failed`` recorded as failed in this run; ``wall_s``."""

    done: int
    skipped: int
    computed: int
    failed: int
    wall_s: float


class Progress:
    """A one-line text progress bar (``\\r``-updated on a terminal, one line per 10% otherwise)."""

    def __init__(self, total: int, stream: TextIO | None = None, width: int = 30) -> None:
        self.total, self.width = total, width
        self.stream = stream if stream is not None else sys.stderr
        self.t0 = time.perf_counter()
        self.done = self.failed = 0
        self._tty = hasattr(self.stream, "isatty") and self.stream.isatty()
        self._last_decile = -1

    def update(self, ok: bool) -> None:
        if ok:
            self.done += 1
        else:
            self.failed += 1
        n = self.done + self.failed
        frac = n / self.total if self.total else 1.0
        decile = int(frac * 10)
        if not self._tty and decile == self._last_decile and n != self.total:
            return
        self._last_decile = decile
        bar = "#" * int(frac * self.width)
        line = (f"[{bar:<{self.width}}] {n}/{self.total} points, {self.failed} failed, "
                f"{time.perf_counter() - self.t0:.0f} s")
        self.stream.write(("\r" + line) if self._tty else (line + "\n"))
        if self._tty and n == self.total:
            self.stream.write("\n")
        self.stream.flush()


class SweepRunner:
    """A Dask client (own ``LocalCluster`` or an existing scheduler) that runs sweeps into stores.

    Parameters
    ----------
    scheduler : address of an existing Dask scheduler, or None for a local cluster
    workers : local worker processes (default: the machine's CPU count)
    retries : re-tries of a task whose function raised (Dask ``retries``)
    allowed_failures : worker deaths a task may cause before it is failed (KilledWorker)
    threads : compute threads of each task (:mod:`spintorque.threads`; default 1)
    """

    def __init__(
        self,
        scheduler: str | None = None,
        workers: int | None = None,
        retries: int = 1,
        allowed_failures: int = 3,
        silence_logs: int = logging.ERROR,
        threads: int = 1,
    ) -> None:
        from ..threads import check_threads

        if workers is not None and (not isinstance(workers, int) or workers < 1):
            raise ValueError(f"workers = {workers!r} must be a positive integer")
        self.threads = check_threads(threads)
        if retries < 0:
            raise ValueError(f"retries = {retries!r} must be >= 0")
        self.retries = retries
        self.scheduler, self.workers = scheduler, workers
        self.allowed_failures, self.silence_logs = allowed_failures, silence_logs
        self.cluster = None
        self._client = None
        self._config = None

    @property
    def client(self):
        """The Dask client, started on first use (a sweep with nothing to do starts nothing)."""
        if self._client is None:
            import dask
            from distributed import Client, LocalCluster

            self._config = dask.config.set({
                "distributed.scheduler.allowed-failures": self.allowed_failures,
                # one task per worker thread, the rest queued on the scheduler: with the default
                # 1.1 a single-thread worker takes a second long run while another worker idles
                "distributed.scheduler.worker-saturation": 1.0,
            })
            self._config.__enter__()
            if self.scheduler:
                self._client = Client(self.scheduler)
            else:
                self.cluster = LocalCluster(
                    n_workers=self.workers or os.cpu_count() or 1,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    # the scheduler's HTTP endpoint (health, metrics) on a free port, not 8787
                    scheduler_kwargs={"dashboard_address": ":0"},
                    silence_logs=self.silence_logs,
                )
                self._client = Client(self.cluster)
        return self._client

    def close(self) -> None:
        if self._client is not None and self.cluster is not None:
            # our own workers are about to go: a heartbeat that races the scheduler's shutdown
            # would print a "Failed to communicate with scheduler" traceback after a good sweep
            try:
                self._client.run(_quiet_worker_logs)
            except Exception:  # noqa: BLE001 - best effort; a dead worker needs no silencing
                pass
        if self._client is not None:
            self._client.close()
        if self.cluster is not None:
            self.cluster.close()
        if self._config is not None:
            self._config.__exit__(None, None, None)
        self._client = self.cluster = self._config = None

    def __enter__(self) -> SweepRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def worker_pids(self) -> dict[str, int]:
        """``{worker address: pid}`` of the worker processes (for tests and diagnostics)."""
        return self.client.run(os.getpid)

    def run(
        self,
        store: Store,
        func: TaskFunc | str,
        tasks: dict[str, dict] | None = None,
        progress: bool | TextIO = True,
        on_result: Callable[[str, str, Any], None] | None = None,
        feed: Callable[[int], dict[str, dict]] | None = None,
    ) -> SweepSummary:
        """Register ``tasks`` ({key: params}) in ``store`` and compute every point not done.

        ``on_result(key, status, result_or_error)`` is called after each commit. The store is
        acquired for this client (stale rows of a dead client are reset first).

        ``feed(free_slots)`` makes the sweep adaptive: whenever a worker is free and the queue is
        empty it is asked for up to ``free_slots`` more tasks ({key: params}; empty when it has
        none now), so a search can choose its next points from the results so far. A fed task
        already done in the store is reported to ``on_result`` at once and not recomputed. With
        a feed, ``tasks=None`` means no initial tasks (not the whole store).
        """
        t0 = time.perf_counter()
        resolve(func)  # a task that cannot be imported here is refused before anything runs
        store.acquire()
        if tasks:
            store.add_many(tasks)
        todo = store.todo()
        wanted = set(tasks or ()) if tasks or feed is not None else None
        if wanted is not None:
            todo = [r for r in todo if r.key in wanted]
        skipped = (len(wanted) if wanted is not None else len(store.rows())) - len(todo)
        if not todo and feed is None:
            return SweepSummary(store.counts()["done"], skipped, 0, 0, time.perf_counter() - t0)
        bar = None
        if progress:
            bar = Progress(len(todo), None if progress is True else progress)
        dispatch = _Dispatch(self, store, func, todo, bar, on_result, feed)
        dispatch.skipped = skipped
        dispatch.drain()
        return SweepSummary(
            done=store.counts()["done"], skipped=dispatch.skipped, computed=dispatch.computed,
            failed=dispatch.failed, wall_s=time.perf_counter() - t0,
        )


class _Dispatch:
    """The client-side queue of one :meth:`SweepRunner.run`.

    As many tasks in flight as the cluster has worker threads (re-read after every result, so
    workers that join or leave count), the next one submitted when one finishes. Submitting
    everything at once let the scheduler pile all tasks on one worker while the other idled
    (each task's key is its own task group, so Dask neither queued them nor knew their duration
    to steal).
    """

    def __init__(self, runner: SweepRunner, store: Store, func: TaskFunc | str, todo: list,
                 bar: Progress | None, on_result: Callable[[str, str, Any], None] | None,
                 feed: Callable[[int], dict[str, dict]] | None) -> None:
        from distributed import as_completed

        self.runner, self.store, self.func = runner, store, func
        self.queue = list(todo)
        self.bar, self.on_result, self.feed = bar, on_result, feed
        self.keys: dict[str, str] = {}
        self.client = runner.client  # started before as_completed, which looks for it
        self.pending = as_completed(loop=self.client.loop)
        self.in_flight = self.computed = self.failed = self.skipped = 0

    def refill(self, free: int) -> bool:
        """Ask the feed for more; False when it has nothing to add now."""
        fed = self.feed(free) if self.feed is not None else {}
        if not fed:
            return False
        self.store.add_many(fed)
        for key in fed:
            row = self.store.get(key)
            if row.status == "done":
                self.skipped += 1
                if self.on_result:
                    self.on_result(key, "done", row.result)
            else:
                self.queue.append(row)
                if self.bar:
                    self.bar.total += 1
        return True

    def top_up(self) -> None:
        slots = max(1, sum(self.client.nthreads().values()))
        while self.in_flight < slots:
            if not self.queue and not self.refill(slots - self.in_flight):
                break
            if not self.queue:
                continue  # everything fed was already done: ask again
            row = self.queue.pop(0)
            self.store.mark_running(row.key)
            fut = self.client.submit(
                _execute, self.func, row.params, self.runner.threads,
                key=f"spintorque-point-{uuid.uuid4().hex}",
                pure=False, retries=self.runner.retries,
            )
            self.keys[fut.key] = row.key
            self.pending.add(fut)
            self.in_flight += 1

    def commit(self, fut: Any) -> tuple[str, str, Any]:
        """Store one finished future's result or error: (key, status, payload)."""
        key = self.keys.pop(fut.key)
        if fut.status == "finished":
            out = fut.result()
            self.store.mark_done(key, out["result"], worker=out["worker"])
            self.computed += 1
            return key, "done", out["result"]
        exc = fut.exception()
        text = "".join(traceback.format_exception(type(exc), exc, fut.traceback()))
        self.store.mark_failed(key, text)
        self.failed += 1
        return key, "failed", text

    def drain(self) -> None:
        """Run until the queue and the feed are empty and nothing is in flight."""
        self.top_up()
        for fut in self.pending:
            self.in_flight -= 1
            key, status, payload = self.commit(fut)
            # drop our reference: a result held on a worker that later dies would otherwise be
            # recomputed by the scheduler although it is already committed to the store
            fut.release()
            del fut
            if self.bar:
                self.bar.update(status == "done")
            if self.on_result:
                self.on_result(key, status, payload)
            self.top_up()


def run_sweep(
    store: Store | str | os.PathLike,
    func: TaskFunc | str,
    tasks: dict[str, dict] | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    retries: int = 1,
    progress: bool | TextIO = True,
    on_result: Callable[[str, str, Any], None] | None = None,
    threads: int = 1,
) -> SweepSummary:
    """One-shot sweep: start a client (local cluster or ``scheduler``), run, shut down;
    ``threads`` compute threads per task."""
    own = not isinstance(store, Store)
    st = Store(store) if own else store
    try:
        st.acquire()
        if tasks:
            st.add_many(tasks)
        keys = set(tasks) if tasks else None
        if not any(keys is None or r.key in keys for r in st.todo()):
            n = len(keys) if keys is not None else len(st.rows())
            return SweepSummary(st.counts()["done"], n, 0, 0, 0.0)  # no cluster needed
        with SweepRunner(scheduler=scheduler, workers=workers, retries=retries,
                         threads=threads) as runner:
            return runner.run(st, func, tasks, progress=progress, on_result=on_result)
    finally:
        if own:
            st.close()
