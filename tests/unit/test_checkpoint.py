"""Checkpoints: atomic writes, exact round trip, and kill -9 / resume of a whole run.

The resume test is the guarantee of issue 6: a run killed with SIGKILL at a random moment and
started again on the same folder ends in the same state as an uninterrupted run (to 1e-12; the
dynamics are deterministic, so we in fact expect bit equality) with a complete table and no
duplicated rows.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from spintorque.io.checkpoint import (
    Checkpoint,
    atomic_write,
    load_checkpoint,
    rng_from_state,
    rng_state,
    save_checkpoint,
)
from spintorque.io.table import read_table
from spintorque.simulation import ConfigMismatchError, run_config


def test_roundtrip_exact(tmp_path):
    rng = np.random.default_rng(7)
    m = rng.normal(size=(4, 3, 2, 3))
    s = rng.normal(size=(4, 3, 2, 3)) * 1e3
    rng.normal(size=5)  # advance the stream so the stored state is not the seed state
    ck = Checkpoint(t=1.2345678901234567e-10, m=m, config_hash="abc", rows=17, stop_index=18,
                    s=s, integrator={"name": "rk45", "dt": 3.3e-14, "err_prev": 0.123456789,
                                     "steps": 12},
                    rng=rng_state(rng), extra={"warm": np.arange(6.0), "note": "x"})
    path = save_checkpoint(tmp_path / "c.npz", ck)
    back = load_checkpoint(path)
    assert back.t == ck.t and back.rows == 17 and back.stop_index == 18
    assert np.array_equal(back.m, m) and np.array_equal(back.s, s)
    assert back.integrator == ck.integrator
    assert np.array_equal(back.extra["warm"], np.arange(6.0)) and back.extra["note"] == "x"
    # the restored generator continues the same stream
    assert np.array_equal(rng_from_state(back.rng).normal(size=4), rng.normal(size=4))
    ck.s = None
    assert load_checkpoint(save_checkpoint(path, ck)).s is None


def test_atomic_write_keeps_old_file_on_failure(tmp_path):
    path = tmp_path / "c.npz"
    save_checkpoint(path, Checkpoint(t=1.0, m=np.ones((1, 1, 1, 3)), config_hash="old"))

    def crash(f):
        f.write(b"half a file")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        atomic_write(path, crash)
    assert load_checkpoint(path).config_hash == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.npz"]  # no temporary left


def test_bad_rng_state_refused():
    with pytest.raises(ValueError, match="bit_generator"):
        rng_from_state({"bit_generator": "os.system"})


def _config(rows: int = 800, checkpoint_every: float = 0.05) -> dict:
    """16 x 8 x 1 permalloy film in a field (SP4-like, no demag so it starts fast)."""
    return {
        "mesh": {"cell": [5e-9, 5e-9, 3e-9], "size": [80e-9, 40e-9, 3e-9]},
        "layer": [{"name": "film", "thickness": 3e-9, "material": "py",
                   "initial": {"random": {"seed": 3}}}],
        "material": {"py": {"Ms": 8e5, "A": 1.3e-11, "alpha": 0.02}},
        "field": {"B": [-24.6e-3, 4.3e-3, 0.0]},
        "demag": {"enabled": False},
        "run": {"duration": rows * 1e-12, "output_every": 1e-12, "integrator": "rk45",
                "checkpoint_every": checkpoint_every, "snapshot_every": 1e-10},
    }


RUNNER = (
    "import json, sys; from spintorque.simulation import run_config; "
    "run_config(json.loads(sys.argv[1]), sys.argv[2], progress=None)"
)


def _rows_in(path) -> int:
    try:
        with open(path, "rb") as f:
            return f.read().count(b"\n") - 1
    except FileNotFoundError:
        return 0


def test_sigkill_and_resume_matches_uninterrupted_run(tmp_path):
    cfg = _config()
    ref = run_config(cfg, tmp_path / "ref", progress=None)
    ref_cols, ref_table = read_table(tmp_path / "ref" / "table.tsv")
    assert ref_table.shape[0] == 801
    rng = np.random.default_rng(2026)
    resumed_from = []
    for attempt in range(6):  # 3 kills wanted; an attempt the busy machine let finish is redone
        if len(resumed_from) == 3:
            break
        out = tmp_path / f"killed{attempt}"
        target = int(rng.integers(30, 600))  # kill once this many rows are on disk
        proc = subprocess.Popen([sys.executable, "-c", RUNNER, json.dumps(cfg), str(out)])
        deadline = time.monotonic() + 60
        while _rows_in(out / "table.tsv") < target and proc.poll() is None:
            assert time.monotonic() < deadline, "runner made no progress"
            time.sleep(0.001)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        if proc.returncode != -signal.SIGKILL:
            continue  # finished before the kill landed: nothing was tested, try again
        assert not (out / "DONE").exists()
        ck = load_checkpoint(out / "checkpoint.npz")
        resumed_from.append(ck.t)
        result = run_config(cfg, out, progress=None)
        assert result.resumed
        # deterministic settings: the tolerance 1e-12 of the issue (we see exact equality)
        assert np.abs(result.m - ref.m).max() <= 1e-12
        cols, table = read_table(out / "table.tsv")
        assert cols == ref_cols
        assert table.shape == ref_table.shape  # complete, no duplicated rows
        assert np.all(np.diff(table[:, 0]) > 0)
        assert np.abs(table - ref_table).max() <= 1e-12 * np.abs(ref_table).max()
        snaps = sorted(p.name for p in out.glob("m_*.ovf"))
        assert snaps == sorted(p.name for p in (tmp_path / "ref").glob("m_*.ovf"))
    assert len(resumed_from) == 3, "the runs finished before they could be killed"
    # the kills hit after at least one mid-run checkpoint, so resuming really resumed
    assert max(resumed_from) > 0


def test_finished_run_not_recomputed_and_config_change_refused(tmp_path):
    cfg = _config(rows=20, checkpoint_every=60.0)
    first = run_config(cfg, tmp_path, progress=None)
    stamp = os.stat(tmp_path / "table.tsv").st_mtime_ns
    again = run_config(cfg, tmp_path, progress=None)
    assert again.already_done and np.array_equal(again.m, first.m)
    assert os.stat(tmp_path / "table.tsv").st_mtime_ns == stamp
    # the wall-clock checkpoint interval and the title do not change results: same run
    cfg["run"]["checkpoint_every"] = 1.0
    cfg["title"] = "renamed"
    assert run_config(cfg, tmp_path, progress=None).already_done
    cfg["material"]["py"]["alpha"] = 0.03
    with pytest.raises(ConfigMismatchError, match="different config"):
        run_config(cfg, tmp_path, progress=None)
    fresh = run_config(cfg, tmp_path, progress=None, restart=True)
    assert not fresh.already_done and fresh.rows == 21
    assert read_table(tmp_path / "table.tsv")[1].shape[0] == 21


def test_second_process_in_same_folder_refused(tmp_path):
    import fcntl

    from spintorque.simulation import BusyError

    with open(tmp_path / ".lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)  # a run in progress holds this lock
        with pytest.raises(BusyError, match="another process"):
            run_config(_config(rows=5), tmp_path, progress=None)
    assert run_config(_config(rows=5), tmp_path, progress=None).rows == 6


def _relax_config(method: str) -> dict:
    """A film relaxed from a random state, relaxation only, checkpoints as often as possible.
    Minimizer: 48 x 24 cells without stray field (no FFT plan involved), tol 0.01 A/m. LLG: 16
    x 8 cells with stray field, tol 0.1 A/m (without it, at α = 1 this film's random start
    settles into a slowly drifting metastable texture whose torque stays near 0.7 A/m: the
    relaxation rightly ends on its floor criterion there; the minimizer finds the uniform
    state)."""
    llg = method == "llg"
    return {
        "mesh": {"cell": [5e-9, 5e-9, 3e-9],
                 "size": [80e-9, 40e-9, 3e-9] if llg else [240e-9, 120e-9, 3e-9]},
        "layer": [{"name": "film", "thickness": 3e-9, "material": "py",
                   "initial": {"random": {"seed": 5}}}],
        "material": {"py": {"Ms": 8e5, "A": 1.3e-11, "Ku": 5e2, "axis": [1, 0, 0],
                            "alpha": 0.02}},
        "demag": {"enabled": llg},
        "relax": {"enabled": True, "method": method, "tol": 0.1 if llg else 0.01},
        "run": {"duration": 0.0, "output_every": 1e-12, "checkpoint_every": 1e-9},
    }


def _relax_stage(path) -> bool:
    try:
        return load_checkpoint(path).extra.get("stage") == "relax"
    except (OSError, ValueError, KeyError):
        return False


@pytest.mark.slow
@pytest.mark.parametrize("method", ["minimize", "llg"])
def test_sigkill_during_relaxation_resumes_to_the_same_state(tmp_path, method):
    """kill -9 after the relaxation's first checkpoints; the rerun says it resumes and ends in
    the uninterrupted run's state (energy to 1e-12 relative, max |dm| < 1e-6)."""
    cfg = _relax_config(method)
    run_config(cfg, tmp_path / "ref", progress=None)
    ref = json.loads((tmp_path / "ref" / "relaxed.json").read_text())
    assert ref["converged"]
    ref_m = load_checkpoint(tmp_path / "ref" / "checkpoint.npz").m
    out = tmp_path / "killed"
    killed = False
    for delay in (0.0, 0.05, 0.2):  # after the first relax checkpoint, a little later, later
        proc = subprocess.Popen([sys.executable, "-c", RUNNER, json.dumps(cfg),
                                 str(out)])
        deadline = time.monotonic() + 60
        while not _relax_stage(out / "checkpoint.npz") and proc.poll() is None:
            assert time.monotonic() < deadline, "relaxation made no checkpoint"
            time.sleep(0.001)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        if proc.returncode == -signal.SIGKILL and _relax_stage(out / "checkpoint.npz"):
            killed = True
            break
        shutil.rmtree(out, ignore_errors=True)  # finished before the kill: try a shorter delay
    assert killed, "the relaxation finished before it could be killed"
    lines: list[str] = []
    result = run_config(cfg, out, progress=lines.append)
    assert any("resuming the relaxation" in line for line in lines)
    got = json.loads((out / "relaxed.json").read_text())
    assert got["converged"] and got["resumed_at"] > 0
    assert abs(got["energy"] - ref["energy"]) <= 1e-12 * abs(ref["energy"])
    assert np.abs(result.m - ref_m).max() < 1e-6


def test_failed_checkpoint_write_keeps_the_previous_one_and_the_run_resumes(tmp_path,
                                                                              monkeypatch):
    """A disk that fails while a checkpoint is written (here: the third, mid-run): the run stops
    with the OSError, the previous checkpoint is intact and no temporary file is left; the rerun
    resumes from it and ends where an uninterrupted run ends."""
    from spintorque.io import atomic

    cfg = _config(rows=40, checkpoint_every=1e-9)  # a checkpoint at every output stop
    ref = run_config(cfg, tmp_path / "ref", progress=None)
    real = atomic.os.replace
    calls = []

    def failing_replace(src, dst):
        if str(dst).endswith("checkpoint.npz"):
            calls.append(dst)
            if len(calls) == 3:
                raise OSError(28, "No space left on device")
        return real(src, dst)

    monkeypatch.setattr(atomic.os, "replace", failing_replace)
    out = tmp_path / "run"
    with pytest.raises(OSError, match="No space left"):
        run_config(cfg, out, progress=None)
    monkeypatch.setattr(atomic.os, "replace", real)
    kept = load_checkpoint(out / "checkpoint.npz")  # the second one, intact
    assert kept.t == 1e-12 and kept.stop_index == 2  # written after the row at 1 ps
    assert not list(out.glob("*.tmp")) and not list(out.glob(".*.tmp"))
    result = run_config(cfg, out, progress=None)
    assert result.resumed and np.array_equal(result.m, ref.m)
    assert np.array_equal(read_table(out / "table.tsv")[1], read_table(tmp_path / "ref" /
                                                                       "table.tsv")[1])
