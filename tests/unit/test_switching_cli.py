"""The switching command end to end (Dask rounds, bisection, store, table, resume) with a
stand-in run whose final state follows the talk's table, and table/plot from the store."""

from __future__ import annotations

import csv
import json

import click
import pytest
from click.testing import CliRunner

from spintorque.experiments import commands
from spintorque.experiments.search import TALK_TABLE
from spintorque.sweep.store import Store

#: the stand-in tasks whose final state follows the talk's table
STAND_INS = "spintorque.experiments.stand_ins"


@pytest.fixture()
def cli(monkeypatch):
    monkeypatch.setattr(commands, "SWITCHING_TASK", f"{STAND_INS}:talk_response")
    monkeypatch.setattr(commands, "RELAX_TASK", f"{STAND_INS}:talk_relax")
    group = click.Group()
    commands.register(group)
    return group


def test_switching_reproduces_the_talks_windows_and_resumes(cli, tmp_path):
    out = tmp_path / "sw"
    args = ["switching", "--preset", "smoke", "--out", str(out), "--workers", "1",
            "--currents", "6,10,14"]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "| diffusion | ≤ 7.4: S1 | 7.5 – 9.9: S1→S2 | 10.0: S1→S3 | ≥ 10.1: S1→S2 |" in \
        result.output
    rows = list(csv.DictReader((out / "table.csv").open(encoding="utf-8")))
    for model, talk in TALK_TABLE.items():
        ours = [(r["j_min_1e10"], r["j_max_1e10"], r["state"]) for r in rows
                if r["source"] == "spintorque" and r["model"] == model]
        want = [("" if lo is None else str(lo), "" if hi is None else str(hi), s)
                for lo, hi, s in talk]
        assert ours == want, (model, ours)
    assert (out / "switching.png").is_file()
    runs = list(csv.DictReader((out / "runs.csv").open(encoding="utf-8")))
    assert {r["model"] for r in runs} == {"diffusion", "moment"}
    moment_10 = next(r for r in runs if r["model"] == "moment" and float(r["j (1e10 A/m²)"]) == 10)
    assert moment_10["FM2 state"] == "S1→S3"  # the stand-in's state at 10.0 (talk: 9.7–10.1)
    with Store(out / "store.sqlite") as st:
        done = st.counts()["done"]
        assert st.counts()["failed"] == 0 and done < 2 * 3 + 2 * 4 * 4  # bisection, not a scan
    again = CliRunner().invoke(cli, args, catch_exceptions=False)  # resume: nothing recomputed
    assert again.exit_code == 0
    with Store(out / "store.sqlite") as st:
        assert st.counts()["done"] == done
        assert all(r.attempts == 1 for r in st.rows())
    table = CliRunner().invoke(cli, ["table", str(out / "store.sqlite")])
    assert table.exit_code == 0 and "| moment | ≤ 9.0: S1 |" in table.output
    plot = CliRunner().invoke(cli, ["plot", str(out / "store.sqlite")])
    assert plot.exit_code == 0, plot.output


def test_a_moved_sweep_folder_resumes_where_it_now_is(cli, tmp_path):
    """Copy a finished sweep's folder elsewhere and run the same command there: the store's task
    paths follow the folder, nothing is recomputed, and the table is the same."""
    import shutil

    args = ["switching", "--preset", "smoke", "--workers", "1", "--currents", "6,10,14"]
    first = CliRunner().invoke(cli, [*args, "--out", str(tmp_path / "a")],
                               catch_exceptions=False)
    assert first.exit_code == 0, first.output
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    shutil.rmtree(tmp_path / "a")
    again = CliRunner().invoke(cli, [*args, "--out", str(tmp_path / "b")],
                               catch_exceptions=False)
    assert again.exit_code == 0, again.output
    assert "store moved from" in again.output
    with Store(tmp_path / "b" / "store.sqlite") as st:
        assert all(r.attempts == 1 for r in st.rows())  # nothing ran again
        assert all(str(tmp_path / "a") not in json.dumps(r.params) for r in st.rows())
        assert st.get_meta("out_dir") == str(tmp_path / "b")
    assert "| diffusion | ≤ 7.4: S1 | 7.5 – 9.9: S1→S2 |" in again.output


def test_bad_cli_input(cli, tmp_path):
    r = CliRunner().invoke(cli, ["switching", "--out", str(tmp_path), "--models", "drift"])
    assert r.exit_code == 2 and "--models" in r.output
    r = CliRunner().invoke(cli, ["switching", "--out", str(tmp_path), "--moving-threshold",
                                 "-1"])
    assert r.exit_code == 2 and "moving_threshold = -1" in r.output
    r = CliRunner().invoke(cli, ["table", str(tmp_path / "missing.sqlite")])
    assert r.exit_code == 2 and "does not exist" in r.output


def test_transport_update_option_reaches_every_run(cli, tmp_path):
    args = ["switching", "--preset", "smoke", "--workers", "1", "--currents", "6,14",
            "--models", "diffusion", "--resolution", "4", "--out", str(tmp_path),
            "--transport-update", "accepted"]
    r = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert r.exit_code == 0, r.output
    with Store(tmp_path / "store.sqlite") as st:
        runs = [row.params for row in st.rows() if row.params.get("kind") == "switching"]
    assert runs and all(p["experiment"]["transport_update"] == "accepted" for p in runs)
    bad = CliRunner().invoke(cli, [*args[:-1], "every-stage"])
    assert bad.exit_code == 2 and "--transport-update" in bad.output


def test_transport_mode_option_reaches_every_run_and_needs_gspm(cli, tmp_path):
    args = ["switching", "--preset", "smoke", "--workers", "1", "--currents", "6,14",
            "--models", "diffusion", "--resolution", "4", "--out", str(tmp_path),
            "--transport-mode", "implicit", "--integrator", "gspm"]
    r = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert r.exit_code == 0, r.output
    with Store(tmp_path / "store.sqlite") as st:
        runs = [row.params for row in st.rows() if row.params.get("kind") == "switching"]
    assert runs and all(p["experiment"]["transport_mode"] == "implicit" for p in runs)
    bad = CliRunner().invoke(cli, args[:-2])  # the preset's rk45
    assert bad.exit_code == 2 and "transport_mode = 'implicit' needs integrator 'gspm'" in \
        bad.output
    bad = CliRunner().invoke(cli, [*args[:-3], "steady"])
    assert bad.exit_code == 2 and "--transport-mode" in bad.output


def test_prediction_tolerance_and_precision_options_reach_every_run(cli, tmp_path):
    args = ["switching", "--preset", "smoke", "--workers", "1", "--currents", "6,14",
            "--models", "diffusion", "--resolution", "4", "--out", str(tmp_path),
            "--transport-update", "accepted", "--transport-predict", "2",
            "--transport-rtol", "1e-4", "--precision", "float32"]
    r = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert r.exit_code == 0, r.output
    with Store(tmp_path / "store.sqlite") as st:
        runs = [row.params["experiment"] for row in st.rows()
                if row.params.get("kind") == "switching"]
    assert runs and all((e["transport_predict"], e["transport_rtol"], e["precision"]) ==
                        (2, 1e-4, "float32") for e in runs)
    bad = CliRunner().invoke(cli, [*args[:-6], "--transport-rtol", "2"])
    assert bad.exit_code == 2 and "--transport-rtol = 2.0" in bad.output
    bad = CliRunner().invoke(cli, [*args[:-6], "--transport-predict", "3"])
    assert bad.exit_code == 2 and "--transport-predict" in bad.output


def test_cell_option_sets_every_runs_mesh_and_rejects_what_does_not_tile(cli, tmp_path):
    """``--cell`` [nm] (one edge or DX,DY,DZ) and ``--seed`` reach every run's experiment; a cell
    that does not divide a layer, or a malformed one, is a usage error naming the field."""
    args = ["sweep", "--preset", "smoke", "--workers", "1", "--currents", "6",
            "--models", "diffusion", "--seed", "7", "--out", str(tmp_path), "--cell", "16,16,10"]
    r = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert r.exit_code == 0, r.output
    with Store(tmp_path / "store.sqlite") as st:
        runs = [row.params for row in st.rows() if row.params.get("kind") == "switching"]
    assert runs and all(p["experiment"]["cell"] == pytest.approx([16e-9, 16e-9, 10e-9])
                        and p["experiment"]["seed"] == 7 for p in runs)
    untiled = CliRunner().invoke(cli, [*args[:-1], "4,4,3"])
    assert untiled.exit_code == 2 and "whole number of cells of dz" in untiled.output
    for bad in ("4,4", "0", "a"):
        r = CliRunner().invoke(cli, [*args[:-1], bad])
        assert r.exit_code == 2 and "--cell" in r.output and "Traceback" not in r.output


def test_table_draws_fm2_motion_against_current_with_the_stores_threshold(tmp_path,
                                                                           monkeypatch):
    """Runs that report FM2's motion get a motion-vs-current figure with the moving threshold
    they were classified with; the points are the runs' own, by model."""
    from spintorque import plot

    drawn = {}
    monkeypatch.setattr(plot, "plot_motion",
                        lambda pts, png, threshold=None, title=None:
                        drawn.update(pts=pts, png=png, threshold=threshold))
    with Store(tmp_path / "store.sqlite") as st:
        for model, j, motion, state in (("diffusion", 100e10, 0.097, "FM2 −x"),
                                        ("diffusion", 150e10, 0.644, "FM2 moving"),
                                        ("moment", 90e10, 0.5, "FM2 moving")):
            key = f"{model}/{j}"
            st.add(key, {"kind": "switching", "model": model, "current": j,
                         "experiment": {"moving_threshold": 0.2}})
            st.mark_done(key, {"state": state, "label": state, "current": j,
                               "motion": {"FM1": 0.05, "FM2": motion}, "files": {}})
        commands.write_outputs(st, tmp_path, 0.1e10)
    assert drawn["png"] == tmp_path / "motion.png" and drawn["threshold"] == 0.2
    assert drawn["pts"] == {"diffusion": [(100e10, 0.097), (150e10, 0.644)],
                            "moment": [(90e10, 0.5)]}


def test_no_motion_figure_when_no_run_reports_motion(cli, tmp_path):
    out = tmp_path / "sw"
    args = ["switching", "--preset", "smoke", "--out", str(out), "--workers", "1",
            "--currents", "6,14"]
    assert CliRunner().invoke(cli, args, catch_exceptions=False).exit_code == 0
    assert (out / "switching.png").is_file() and not (out / "motion.png").exists()


def test_plot_and_runs_table_find_the_run_tables_of_a_moved_store(cli, tmp_path, monkeypatch):
    """A store moved (e.g. archived into data/) with its folder: ``spintorque plot`` draws each
    run's m(t) next to the copy of its table, and the runs table reads FM2's motion from that
    copy (``Store.resolve_path``), where the stored absolute paths no longer exist."""
    import shutil

    from spintorque import plot
    from spintorque.experiments.trilayer import preset

    old = tmp_path / "old"
    run_dir = old / "runs" / "diffusion" / "j+100e10"
    run_dir.mkdir(parents=True)
    rows = ["t (s)\tmx_FM2\tmy_FM2\tmz_FM2"]
    rows += [f"{k * 1e-10!r}\t1.0\t0.0\t0.0" for k in range(11)]  # FM2 at rest over 1 ns
    (run_dir / "table.tsv").write_text("\n".join(rows) + "\n")
    with Store(old / "store.sqlite") as st:
        st.set_meta("out_dir", str(old))
        st.set_meta("resolution", 0.1e10)
        st.add("run", {"kind": "switching", "model": "diffusion", "current": 100e10,
                       "experiment": preset("quick").to_dict()})
        st.mark_done("run", {"state": "FM2 +x", "label": "FM2 +x", "current": 100e10,
                             "files": {"table": str(run_dir / "table.tsv")}})
    new = tmp_path / "archived"
    shutil.move(old, new)
    drawn = []

    def plot_mt(tsv, png, title=None):
        drawn.append(png)
        png.write_bytes(b"png")

    monkeypatch.setattr(plot, "plot_mt", plot_mt)
    result = CliRunner().invoke(cli, ["plot", str(new / "store.sqlite")], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "and 1 m(t) figures" in result.output
    assert drawn == [new / "runs" / "diffusion" / "j+100e10" / "mt.png"] and drawn[0].is_file()
    with open(new / "runs.csv", encoding="utf-8") as fh:
        (row,) = list(csv.DictReader(fh))
    assert row["FM2 motion (1)"] == "0.0"  # read from the moved table (empty if not found)


def test_first_only_brackets_the_first_threshold_and_pairs_the_models(cli, tmp_path,
                                                                       monkeypatch):
    """``--first`` refines only the interval of the first departure from FM2's initial family
    (to the resolution), not the windows above it; the paired-ratio report reads the brackets
    back from the store."""
    from spintorque.experiments import model_difference

    monkeypatch.setattr(commands, "SWITCHING_TASK",
                        "spintorque.experiments.stand_ins_threshold:first_threshold_response")
    out = tmp_path / "first"
    args = ["switching", "--preset", "smoke", "--out", str(out), "--workers", "1",
            "--currents", "2,6,10,14", "--first", "--resolution", "0.1"]
    r = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert r.exit_code == 0, r.output
    with Store(out / "store.sqlite") as st:
        assert st.get_meta("search") == "first"
        pts = {(row.params["model"], round(row.params["current"] / 1e9))
               for row in st.rows("done") if row.params.get("kind") == "switching"}
    assert ("diffusion", 74) in pts and ("diffusion", 75) in pts
    assert ("moment", 90) in pts and ("moment", 91) in pts
    assert not any(100 < j < 140 and j % 40 for _, j in pts)  # the 12.0-12.9 window: untouched
    assert len(pts) <= 2 * (4 + 6)  # coarse scan + one bisection per model
    ths = model_difference.collect([out])
    by_model = {t.model: t for t in ths}
    assert by_model["diffusion"].j_stay == pytest.approx(7.4e10)
    assert by_model["diffusion"].j_left == pytest.approx(7.5e10)
    (p,) = model_difference.pair(ths)
    assert p.ratio == pytest.approx(9.05 / 7.45)
    assert p.bound == pytest.approx((9.0 / 7.5, 9.1 / 7.4))
    report = CliRunner().invoke(model_difference.main,
                                [str(out), "--out", str(tmp_path / "rep"), "--name", "t"])
    assert report.exit_code == 0, report.output
    assert "1.215" in report.output and (tmp_path / "rep" / "t.png").is_file()
    assert (tmp_path / "rep" / "t.csv").read_text().count("\n") == 3


def test_reversal_added_to_a_first_only_store_brackets_the_reversal_current(cli, tmp_path,
                                                                         monkeypatch):
    """``--first --reversal`` on a store made by ``--first`` keeps its runs and adds only the
    bisection of the reversal current (the lowest current at which FM2 ends at −x); the report
    with ``--threshold reversal`` pairs those brackets (stand-in: 10.0/10.1 diffusion,
    10.1/10.2 moment)."""
    from spintorque.experiments import model_difference

    monkeypatch.setattr(commands, "SWITCHING_TASK",
                        "spintorque.experiments.stand_ins_threshold:first_threshold_response")
    out = tmp_path / "rev"
    args = ["switching", "--preset", "smoke", "--out", str(out), "--workers", "1",
            "--currents", "2,6,11,14", "--first", "--resolution", "0.1"]
    assert CliRunner().invoke(cli, args, catch_exceptions=False).exit_code == 0
    with Store(out / "store.sqlite") as st:
        before = st.counts()["done"]
    assert model_difference.collect([out], "reversal")[0].j_left == pytest.approx(11e10)
    r = CliRunner().invoke(cli, [*args, "--reversal"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    with Store(out / "store.sqlite") as st:
        assert st.get_meta("search") == "first+reversal"
        assert all(row.attempts == 1 for row in st.rows())  # nothing ran twice
        added = st.counts()["done"] - before
    assert 2 <= added <= 2 * 5  # at most one bisection of 8.5..11 per model
    by_model = {t.model: t for t in model_difference.collect([out], "reversal")}
    assert (by_model["diffusion"].j_stay, by_model["diffusion"].j_left) == \
        pytest.approx((10.0e10, 10.1e10))
    assert (by_model["moment"].j_stay, by_model["moment"].j_left) == \
        pytest.approx((10.1e10, 10.2e10))
    first = {t.model: t for t in model_difference.collect([out])}  # unchanged by the additions
    assert (first["diffusion"].j_stay, first["diffusion"].j_left) == pytest.approx((7.4e10, 7.5e10))
    report = CliRunner().invoke(model_difference.main,
                                [str(out), "--out", str(tmp_path / "rep"), "--name", "rev",
                                 "--threshold", "reversal"])
    assert report.exit_code == 0, report.output
    assert "diffusion: below / reverses" in report.output
    assert f"{10.15 / 10.05:.3f}" in report.output and (tmp_path / "rep" / "rev.png").is_file()


def test_a_resumed_search_starts_from_every_run_the_store_holds(cli, tmp_path, monkeypatch):
    """A second search with other coarse currents (2, 14) on a store made by a first one
    (2, 6, 11, 14) knows all of the store's runs: its first-departure bracket is already closed,
    and the only new runs are the reversal's bisection inside (8.5, 11), none at the midpoints
    of its own coarse scan (8.0, 5.0, ...)."""
    monkeypatch.setattr(commands, "SWITCHING_TASK",
                        "spintorque.experiments.stand_ins_threshold:first_threshold_response")
    out = tmp_path / "known"
    base = ["switching", "--preset", "smoke", "--out", str(out), "--workers", "1",
            "--resolution", "0.1", "--first"]
    assert CliRunner().invoke(cli, [*base, "--currents", "2,6,11,14"],
                              catch_exceptions=False).exit_code == 0

    def currents():
        with Store(out / "store.sqlite") as st:
            return {(row.params["model"], round(row.params["current"] / 1e9))
                    for row in st.rows("done") if row.params.get("kind") == "switching"}

    before = currents()
    r = CliRunner().invoke(cli, [*base, "--reversal", "--currents", "2,14"],
                           catch_exceptions=False)
    assert r.exit_code == 0, r.output
    added = currents() - before
    assert added and all(85 < j < 110 for _, j in added), sorted(added)
    assert ("diffusion", 100) in added and ("diffusion", 101) in added  # reversal 10.0 / 10.1


def test_geometry_options_reach_every_run_and_bad_values_name_the_field(cli, tmp_path):
    """``--fm1 pinned``, ``--fm1-tilt`` [degrees], ``--t-fm2`` [nm], ``--z-refine`` and a new
    material set reach the runs' experiment; bad values are usage errors naming the option or
    field (a tilt without a pinned FM1 is one)."""
    args = ["sweep", "--preset", "smoke", "--workers", "1", "--currents", "6",
            "--models", "diffusion", "--out", str(tmp_path), "--fm1", "pinned",
            "--fm1-tilt", "1", "--t-fm1", "10", "--cell", "16,16,5", "--t-fm2", "5",
            "--z-refine", "2", "--materials", "magnumfe-consistent"]
    r = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert r.exit_code == 0, r.output
    with Store(tmp_path / "store.sqlite") as st:
        runs = [row.params for row in st.rows() if row.params.get("kind") == "switching"]
    assert runs and all(p["experiment"]["fm1"] == "pinned" and p["experiment"]["fm1_tilt"] == 1
                        and p["experiment"]["t_fm2"] == pytest.approx(5e-9)
                        and p["experiment"]["z_refine"] == 2
                        and p["experiment"]["materials"] == "magnumfe-consistent" for p in runs)
    for option, value, named in (("--fm1", "fixed", "--fm1"), ("--t-fm2", "-5", "--t-fm2"),
                                 ("--z-refine", "0", "--z-refine"),
                                 ("--z-refine", "17", "--z-refine"),
                                 ("--t-fm2", "7", "t_fm2"), ("--fm1-tilt", "1", "fm1_tilt"),
                                 ("--materials", "iron", "--materials")):
        bad = CliRunner().invoke(cli, ["switching", "--preset", "smoke", "--out", str(tmp_path),
                                       option, value])
        assert bad.exit_code == 2 and named in bad.output, (option, value, bad.output)
        assert "Traceback" not in bad.output
