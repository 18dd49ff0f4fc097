"""Compute threads of a run (``spintorque.threads``): one by default, ``run.threads`` /
``--threads`` for more.

A default run leaves every BLAS pool at one thread while it runs (seen from inside a field term)
and restores the previous limits afterwards; ``run.threads = 2`` (config, CLI, sweep worker)
reaches the stray field's FFTW thread count; bad values are refused naming ``run.threads``.
"""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner
from threadpoolctl import threadpool_info, threadpool_limits

import spintorque.fields.demag as demag_module
import spintorque.simulation as simulation
from spintorque.cli import main
from spintorque.config import ConfigError, config_from_dict
from spintorque.fields.exchange import Exchange
from spintorque.io.toml_writer import dumps
from spintorque.threads import check_threads, limit_threads, run_threads

BEFORE = 2  # the BLAS limit set around each run, so that "limited to 1" is seen to change it


def _blas(api: str = "blas") -> list[int]:
    return [p["num_threads"] for p in threadpool_info() if p["user_api"] == api]


def _config(threads: int | None = None) -> dict:
    """A tiny film with the stray field: 8 x 4 x 1 cells, relax off, 20 ps."""
    run = {"duration": 2e-11, "output_every": 1e-11, "dt": 1e-13}
    if threads is not None:
        run["threads"] = threads
    return {
        "mesh": {"cell": [5e-9, 5e-9, 3e-9], "size": [40e-9, 20e-9, 3e-9]},
        "layer": [{"name": "film", "thickness": 3e-9, "material": "py",
                   "initial": {"uniform": [1.0, 0.25, 0.1]}}],
        "material": {"py": {"Ms": 8e5, "A": 1.3e-11, "alpha": 0.5}},
        "demag": {"enabled": True},
        "run": run,
    }


@pytest.fixture
def seen(monkeypatch):
    """What the run's field terms saw: BLAS threads and ``run_threads`` at each exchange
    evaluation, and the Demag instances built."""
    record: dict[str, list] = {"blas": [], "openmp": [], "run_threads": [], "demag": []}

    def note() -> None:
        record["blas"].append(_blas())
        record["openmp"].append(_blas("openmp"))
        record["run_threads"].append(run_threads())

    class RecordingExchange(Exchange):
        def add_field(self, m, t, out):
            note()
            return super().add_field(m, t, out)

        def field(self, m, t=0.0, out=None):
            note()
            return super().field(m, t, out)

    class RecordingDemag(demag_module.Demag):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            record["demag"].append(self)

    monkeypatch.setattr(simulation, "Exchange", RecordingExchange)
    monkeypatch.setattr(demag_module, "Demag", RecordingDemag)
    return record


def test_default_run_limits_blas_to_one_thread_and_restores(tmp_path, seen):
    with threadpool_limits(limits=BEFORE, user_api="blas"):
        assert set(_blas()) == {BEFORE}
        simulation.run_config(_config(), tmp_path / "run", progress=None)
        assert set(_blas()) == {BEFORE}  # restored after the run
    assert seen["blas"] and all(set(b) == {1} for b in seen["blas"])
    assert all(set(b) == {1} for b in seen["openmp"])  # pyFFTW's OpenMP runtime too
    assert set(seen["run_threads"]) == {1}
    assert [d.threads for d in seen["demag"]] == [1]
    assert run_threads() == 1


def test_run_threads_2_reaches_demag_fftw(tmp_path, seen):
    with threadpool_limits(limits=1, user_api="blas"):
        simulation.run_config(_config(threads=2), tmp_path / "run", progress=None)
        assert set(_blas()) == {1}
    assert [d.threads for d in seen["demag"]] == [2]
    assert [d._conv.threads for d in seen["demag"]] == [2]
    assert set(seen["run_threads"]) == {2}
    assert all(set(b) == {1} for b in seen["blas"])  # BLAS stays at 1: memory-bound work
    assert all(set(b) == {2} for b in seen["openmp"])  # FFTW's threads run on OpenMP


def test_cli_threads_option_overrides_config(tmp_path, seen):
    path = tmp_path / "film.toml"
    path.write_text(dumps(_config()))
    result = CliRunner().invoke(main, ["run", str(path), "--out", str(tmp_path / "a"),
                                       "--threads", "2"])
    assert result.exit_code == 0, result.output
    assert [d.threads for d in seen["demag"]] == [2]
    assert '"threads": 2' in (tmp_path / "a" / "config.json").read_text()
    result = CliRunner().invoke(main, ["run", str(path), "--out", str(tmp_path / "b")])
    assert result.exit_code == 0, result.output
    assert [d.threads for d in seen["demag"]] == [2, 1]


def test_thread_count_is_not_part_of_the_run_identity():
    one, two = config_from_dict(_config(1)), config_from_dict(_config(2))
    assert simulation.run_hash(one) == simulation.run_hash(two)


@pytest.mark.parametrize("value", [0, -1, 2.5, "a", True, 1025])
def test_invalid_threads_are_refused_naming_the_key(value):
    with pytest.raises(ConfigError, match=r"run\.threads"):
        config_from_dict(_config(value))


@pytest.mark.parametrize("value", [0, -1, 2.5, "a", True, None])
def test_check_threads_refuses_non_counts(value):
    with pytest.raises(ValueError, match="threads"):
        check_threads(value)


@pytest.mark.parametrize("value", [0, -1, 2.5, "a"])
def test_cli_refuses_bad_threads(tmp_path, value):
    path = tmp_path / "film.toml"
    path.write_text(dumps(_config()))
    result = CliRunner().invoke(main, ["run", str(path), "--out", str(tmp_path / "o"),
                                       "--threads", str(value)])
    assert result.exit_code == 2 and "--threads" in result.output
    assert not (tmp_path / "o").exists()
    path.write_text(dumps(_config(value)))
    for command in (["validate", str(path)], ["run", str(path), "--out", str(tmp_path / "o")]):
        result = CliRunner().invoke(main, command)
        assert result.exit_code == 2 and "run.threads" in result.output, result.output


def test_limit_threads_nests_and_restores():
    with threadpool_limits(limits=BEFORE, user_api="blas"):
        with limit_threads() as n:
            assert n == 1 and run_threads() == 1 and set(_blas()) == {1}
            with limit_threads(2):
                assert run_threads() == 2 and set(_blas()) == {2}
                with limit_threads(None, blas=1):  # None: the enclosing block's count
                    assert run_threads() == 2 and set(_blas()) == {1}
                assert set(_blas()) == {2}
            assert run_threads() == 1 and set(_blas()) == {1}
        assert set(_blas()) == {BEFORE}
    assert run_threads() == 1


LATE = """
from threadpoolctl import threadpool_info, threadpool_limits
from spintorque.threads import limit_threads, reapply
def pools():
    return {p["filepath"]: p["num_threads"] for p in threadpool_info()}
with threadpool_limits(limits=3):
    early = pools()
    with limit_threads(1):
        import scipy.linalg, pyfftw  # their OpenBLAS and OpenMP runtime load only now
        late = {path: n for path, n in pools().items() if path not in early}
        reapply()
        assert set(pools().values()) == {1}, pools()
    after = pools()
    assert late and after == {**early, **late}, (after, early, late)  # each back to its own
print("ok")
"""


def test_reapply_limits_libraries_loaded_during_the_run():
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", LATE], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


def test_demag_threads_none_follows_the_run(monkeypatch):
    import spintorque as st

    sample = st.Sample.uniform(st.Grid((8, 4, 2), (5e-9, 5e-9, 3e-9)),
                               st.Material(Ms=8e5, A=1.3e-11))
    assert demag_module.Demag(sample).threads == 1
    with st.limit_threads(2):
        two = demag_module.Demag(sample)
        assert two.threads == 2 and demag_module.Demag(sample, threads=1).threads == 1
    one = demag_module.Demag(sample)
    m = np.zeros(sample.grid.vshape)
    m[..., 0] = 1.0
    np.testing.assert_allclose(two.field(m), one.field(m), rtol=1e-12, atol=1e-9)


def test_sweep_worker_applies_threads(tmp_path):
    from spintorque.sweep.dask_runner import SweepRunner, _execute
    from spintorque.sweep.store import Store

    local = _execute("spintorque.sweep.tasks:thread_report", {}, 2)["result"]
    assert local["run_threads"] == 2 and set(local["blas"]) == {2}
    assert run_threads() == 1
    with SweepRunner(workers=1, threads=2) as runner, Store(tmp_path / "s.sqlite") as store:
        assert set(runner.client.nthreads().values()) == {1}  # one Dask thread per worker
        runner.run(store, "spintorque.sweep.tasks:thread_report", {"a": {}}, progress=False)
        report = store.get("a").result
    assert report["run_threads"] == 2 and set(report["blas"]) == {2}
    with pytest.raises(ValueError, match="threads"):
        SweepRunner(threads=0)
