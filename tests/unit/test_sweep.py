"""Sweeps on a local Dask cluster with a SQLite store: kill a worker, kill the client, resume.

Every point must end ``done`` exactly once in the store, points done before a kill must never
run again, and the store must survive a SIGKILLed client intact.
"""

from __future__ import annotations

import io
import json
import math
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections import Counter
from pathlib import Path

import pytest

from spintorque.sweep.dask_runner import SweepRunner, run_sweep
from spintorque.sweep.store import Store, StoreLocked

TASK = "spintorque.sweep.tasks:synthetic_point"


def _tasks(n: int, log: str, sleep: float, prefix: str = "p") -> dict[str, dict]:
    return {
        f"{prefix}{i:02d}": {"key": f"{prefix}{i:02d}", "x": 0.1 * i, "sleep": sleep, "log": log}
        for i in range(n)
    }


def _executions(log: str) -> Counter:
    with open(log) as fh:
        return Counter(line.split()[0] for line in fh if line.strip())


def _expected(x: float, n: int = 1000) -> float:
    return math.fsum(math.sin(k * x) for k in range(n))


@pytest.fixture(scope="module")
def runner():
    with SweepRunner(workers=2, retries=1) as r:
        yield r


def test_store_roundtrip_and_validation(tmp_path):
    path = tmp_path / "s.sqlite"
    with Store(path) as st:
        assert st.add("a", {"x": 1.0})
        assert not st.add("a", {"x": 1.0})  # same params: a no-op
        with pytest.raises(ValueError, match="already in the store"):
            st.add("a", {"x": 2.0})
        with pytest.raises(ValueError):
            st.add("b", {"x": float("nan")})  # NaN is not JSON
        st.acquire()
        st.mark_running("a")
        assert st.mark_done("a", {"y": 3})
        assert not st.mark_done("a", {"y": 4})  # a done row is never overwritten
        assert st.get("a").result == {"y": 3}
        assert st.counts() == {"pending": 0, "running": 0, "done": 1, "failed": 0}
        other = Store(path)
        with pytest.raises(StoreLocked):
            other.acquire()
        other.close()
    with Store(path) as st:
        assert st.todo() == []


def test_dead_client_lock_is_released_and_stale_rows_reset(tmp_path):
    path = tmp_path / "s.sqlite"
    code = textwrap.dedent(f"""
        import os, signal
        from spintorque.sweep.store import Store
        st = Store({str(path)!r}); st.acquire(); st.add("a", {{}}); st.mark_running("a")
        os.kill(os.getpid(), signal.SIGKILL)
    """)
    proc = subprocess.run([sys.executable, "-c", code], timeout=60)
    assert proc.returncode == -signal.SIGKILL
    with Store(path) as st:
        assert st.get("a").status == "running"
        assert st.acquire() == 1  # the kernel dropped the dead client's lock
        assert st.get("a").status == "pending"


def test_worker_killed_mid_sweep(runner, tmp_path):
    log = str(tmp_path / "exec.log")
    tasks = _tasks(12, log, sleep=0.4)
    pids = list(runner.worker_pids().values())
    killed = []

    def kill_one(key, status, payload):
        if not killed:  # the first result: both workers are busy with the next points
            # let the client's release of the stored result reach the scheduler first: a worker
            # killed within milliseconds of a fetched result makes Dask recompute that result
            # (wasted work, never a second row; see docs/sweeps.md)
            time.sleep(0.3)
            os.kill(pids[0], signal.SIGKILL)
            killed.append(key)

    with Store(tmp_path / "s.sqlite") as st:
        summary = runner.run(st, TASK, tasks, progress=io.StringIO(), on_result=kill_one)
        rows = st.rows()
    assert killed
    assert summary.failed == 0 and summary.computed == 12
    assert len(rows) == 12 and all(r.status == "done" for r in rows)
    for r in rows:  # every result is the right one, computed once per submission
        assert r.result["value"] == pytest.approx(_expected(r.params["x"]), rel=1e-12)
        assert r.attempts == 1
    runs = _executions(log)
    assert set(runs) == set(tasks)
    # Executions, not store rows: the point running on the killed worker runs again elsewhere.
    # Dask occasionally re-runs one more (in about 1 of 4 runs under load we saw a second key run
    # twice: a result lost in flight or a steal racing the restart). Never more than that, and
    # never a second row in the store (checked above).
    assert sum(runs.values()) <= 12 + 2, (runs, killed)


def test_failed_point_recorded_then_recomputed(runner, tmp_path):
    log = str(tmp_path / "exec.log")
    trigger = tmp_path / "fail"
    trigger.write_text("")
    tasks = _tasks(3, log, sleep=0.0, prefix="f")
    tasks["f01"]["fail_if_exists"] = str(trigger)
    with Store(tmp_path / "s.sqlite") as st:
        first = runner.run(st, TASK, tasks, progress=False)
        assert (first.computed, first.failed) == (2, 1)
        bad = st.get("f01")
        assert bad.status == "failed" and "synthetic failure of point f01" in bad.error
        trigger.unlink()
        second = runner.run(st, TASK, tasks, progress=False)
        assert (second.skipped, second.computed, second.failed) == (2, 1, 0)
        assert st.get("f01").status == "done" and st.get("f01").error is None
    runs = _executions(log)
    assert runs["f00"] == 1 and runs["f02"] == 1
    assert runs["f01"] == 3  # first try + 1 Dask retry, then once more in the re-run


def test_client_killed_mid_sweep_then_resumed(runner, tmp_path):
    path = tmp_path / "s.sqlite"
    log = str(tmp_path / "exec.log")
    tasks = _tasks(14, log, sleep=0.5)
    spec = tmp_path / "tasks.json"
    spec.write_text(json.dumps(tasks))
    code = textwrap.dedent(f"""
        import json
        from spintorque.sweep.dask_runner import run_sweep
        tasks = json.load(open({str(spec)!r}))
        run_sweep({str(path)!r}, {TASK!r}, tasks, workers=2, progress=False)
    """)
    # own session, so the orphaned local workers can be cleaned up after the client dies
    proc = subprocess.Popen([sys.executable, "-c", code], start_new_session=True)
    try:
        deadline = time.monotonic() + 90
        done_before: set[str] = set()
        while time.monotonic() < deadline and len(done_before) < 4:
            assert proc.poll() is None, "client exited before it could be killed"
            time.sleep(0.2)
            if path.exists():
                with sqlite3.connect(path, timeout=30) as conn:
                    try:
                        done_before = {k for (k,) in conn.execute(
                            "SELECT key FROM tasks WHERE status='done'")}
                    except sqlite3.OperationalError:  # schema not created yet
                        pass
        assert len(done_before) >= 4, "sweep made no progress"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # the dead client's workers and nannies
        except ProcessLookupError:
            pass
        proc.wait(timeout=30)
    assert proc.returncode == -signal.SIGKILL

    with sqlite3.connect(path) as conn:  # the store survived the kill intact
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    with Store(path) as st:
        done_at_kill = {r.key for r in st.rows("done")}
        assert done_before <= done_at_kill  # nothing finished was lost
        summary = runner.run(st, TASK, tasks, progress=False)
        rows = st.rows()
    assert summary.failed == 0 and summary.skipped == len(done_at_kill)
    assert summary.computed == 14 - len(done_at_kill)
    assert len(rows) == 14 and all(r.status == "done" for r in rows)
    runs = _executions(log)
    for key in done_at_kill:  # done before the kill: never computed again
        assert runs[key] == 1, (key, runs[key])
    for r in rows:
        assert r.result["value"] == pytest.approx(_expected(r.params["x"]), rel=1e-12)


def test_run_sweep_one_shot_skips_done(tmp_path):
    """A second run_sweep call on a finished store computes nothing (no cluster work)."""
    path = tmp_path / "s.sqlite"
    log = str(tmp_path / "exec.log")
    tasks = _tasks(2, log, sleep=0.0)
    with Store(path) as st:
        st.add_many(tasks)
        for k in tasks:
            st.mark_done(k, {"x": 0})
    summary = run_sweep(path, TASK, tasks, workers=1, progress=False)
    assert (summary.computed, summary.skipped, summary.done) == (0, 2, 2)
    assert not os.path.exists(log)


def test_every_worker_gets_work(runner, tmp_path):
    # 6 points of 0.4 s on 2 single-thread workers: the client keeps one point in flight per
    # worker thread, so each worker runs about 3 (accepted: at least 2 each). Before, all
    # points were submitted at once, and in a 4 nm switching sweep the scheduler put 10 of 12
    # on one worker while the other idled; this short test did not reproduce that, so it
    # guards the balance, not that particular failure.
    with Store(tmp_path / "s.sqlite") as st:
        # a first sweep of one point (like the switching experiment's relaxation)
        runner.run(st, TASK, _tasks(1, str(tmp_path / "exec.log"), sleep=0.4, prefix="r"),
                   progress=False)
        summary = runner.run(st, TASK, _tasks(6, str(tmp_path / "exec.log"), sleep=0.4),
                             progress=False)
        assert summary.computed == 6
        per_worker = Counter(row.worker for row in st.rows("done") if row.key[0] == "p")
    assert len(per_worker) == 2 and min(per_worker.values()) >= 2, per_worker


def test_resolve_path_finds_the_files_of_a_moved_store(tmp_path):
    """A store archived elsewhere (its task paths not rewritten) finds each run's files in its
    own folder: same path relative to the recorded ``out_dir``, else the longest tail there."""
    import shutil

    from spintorque.sweep.archive import archive_sweep

    orig = tmp_path / "orig"
    run = orig / "runs" / "diffusion" / "j+60e10"
    run.mkdir(parents=True)
    (run / "table.tsv").write_text("# t\n0\n", encoding="utf-8")
    stored = str(run / "table.tsv")
    gone = str(orig / "runs" / "moment" / "j+60e10" / "table.tsv")  # never written
    with Store(orig / "store.sqlite") as st:
        st.set_meta("out_dir", str(orig))
        st.add("a", {"x": 1})
        st.mark_done("a", {"files": {"table": stored}})
        assert st.resolve_path(stored) == run / "table.tsv"  # in place: as stored
    archive_sweep(orig, tmp_path / "data" / "copy")
    shutil.rmtree(orig)
    copy = tmp_path / "data" / "copy"
    with Store(copy / "store.sqlite") as st:
        table = st.get("a").result["files"]["table"]
        assert table == stored  # the store itself is unchanged by the copy
        assert st.resolve_path(table) == copy / "runs" / "diffusion" / "j+60e10" / "table.tsv"
        assert st.resolve_path(table).read_text(encoding="utf-8") == "# t\n0\n"
        assert st.resolve_path(gone) == Path(gone) and not st.resolve_path(gone).exists()
        assert st.resolve_path("runs/diffusion") == copy / "runs" / "diffusion"  # relative
        # a store from before the out_dir record: the longest tail that exists here
        st.set_meta("out_dir", None)
        assert st.resolve_path(table) == copy / "runs" / "diffusion" / "j+60e10" / "table.tsv"
        assert st.resolve_path(gone) == Path(gone)
        (copy / "table.tsv").write_text("not the run's", encoding="utf-8")
        assert st.resolve_path(gone) == Path(gone)  # a bare file name is never matched
