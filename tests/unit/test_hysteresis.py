"""The hysteresis driver: table columns, stop-and-resume gives the same table, a finished folder
is not recomputed, another sweep in the same folder is refused, unconverged steps are marked,
the config form and the command line."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

import spintorque as st
from spintorque.cli import main
from spintorque.config import ConfigError, config_from_dict, dumps_toml
from spintorque.fields.interlayer import InterlayerExchange
from spintorque.hysteresis import hysteresis, sweep_fields
from spintorque.io.errors import UserError
from spintorque.io.table import read_table

FM = st.Material("fm", Ms=8e5, A=1e-11, Ku=5e3, axis=(1, 0, 0), alpha=0.02)


def _problem(tol=1e-3, max_iter=20000):
    s = st.Sample.stack((2, 1), (5e-9, 5e-9, 1e-9),
                        [("FM1", 2e-9, FM), ("Ru", 1e-9, st.Material("ru")), ("FM2", 1e-9, FM)])
    return st.Problem(s, (1, 0.1, 0), [st.Exchange(s), st.UniaxialAnisotropy(s),
                                       InterlayerExchange(s, [("FM1", "FM2", -5e-4, -1e-4)])],
                      relaxation=st.Relaxation("minimize", tol=tol, max_iter=max_iter))


def test_sweep_fields():
    b = sweep_fields(1.0, -1.0, 3, direction=(0, 2, 0))
    assert b.tolist() == [[0, 1, 0], [0, 0, 0], [0, -1, 0], [0, 0, 0], [0, 1, 0]]
    with pytest.raises(UserError, match="steps = 1"):
        sweep_fields(1.0, -1.0, 1)


def test_stop_and_resume_gives_the_same_table(tmp_path):
    """Stop after 4 of 9 steps, resume: the table equals the uninterrupted sweep's bit for bit
    (same start state per step, same relaxation, same perturbation draws)."""
    kw = dict(B_start=0.3, B_stop=-0.3, steps=5, direction=(1, 0.2, 0), perturbation=1e-3,
              seed=2, progress=None)
    full = hysteresis(_problem(), out=tmp_path / "full", **kw)
    assert full.computed == 9 and (tmp_path / "full" / "DONE").is_file()
    part = hysteresis(_problem(), out=tmp_path / "part", stop_after=4, **kw)
    assert part.computed == 4 and len(part.table.column("step")) == 4
    assert not (tmp_path / "part" / "DONE").exists()
    rest = hysteresis(_problem(), out=tmp_path / "part", **kw)
    assert rest.resumed and rest.computed == 5
    a = (tmp_path / "full" / "table.tsv").read_text()
    b = (tmp_path / "part" / "table.tsv").read_text()
    assert a == b
    again = hysteresis(_problem(), out=tmp_path / "part", **kw)
    assert again.already_done and again.computed == 0
    cols = full.table.columns
    for c in ("step", "Bx (T)", "B (T)", "H (A/m)", "mx_FM1", "mx_FM2", "m_par",
              "E_interlayer (J)", "E_zeeman (J)", "E_total (J)", "iterations", "converged"):
        assert c in cols
    t = full.table
    assert np.allclose(t.column("H (A/m)") * st.MU0, t.column("B (T)"), rtol=1e-12)
    total = sum(t.column(c) for c in cols if c.startswith("E_") and c != "E_total (J)")
    assert np.allclose(total, t.column("E_total (J)"), rtol=1e-12, atol=1e-30)
    with pytest.raises(UserError, match="another sweep"):
        hysteresis(_problem(), out=tmp_path / "part", **{**kw, "seed": 5})


def test_unconverged_steps_are_marked(tmp_path, capsys):
    r = hysteresis(_problem(tol=1e-9, max_iter=2), out=tmp_path, fields=[(0.1, 0, 0)],
                   progress=None)
    assert r.table.column("converged").tolist() == [0.0]
    assert r.unconverged == [0]
    assert "did not converge" in capsys.readouterr().err


def _cfg(**hyst):
    return {
        "mesh": {"cell": [5e-9, 5e-9, 1e-9], "size": [5e-9, 5e-9, 3e-9]},
        "layer": [{"name": "FM1", "thickness": 1e-9, "material": "fm",
                   "initial": {"uniform": [0.0, 1.0, 0.0]}},
                  {"name": "Ru", "thickness": 1e-9, "material": "ru"},
                  {"name": "FM2", "thickness": 1e-9, "material": "fm",
                   "initial": {"uniform": [0.0, -1.0, 0.0]}}],
        "material": {"fm": {"Ms": 8e5, "A": 1e-11}, "ru": {"Ms": 0.0}},
        "interlayer": [{"layers": ["FM1", "FM2"], "J1": -1e-3}],
        "relax": {"tol": 1e-3},
        "demag": {"enabled": False},
        "hysteresis": hyst,
        "run": {"duration": 0.0, "output_every": 1e-12},
    }


def test_config_and_command_line(tmp_path):
    """The [hysteresis] table drives `spintorque hysteresis`; the scissor state gives
    m_par = B/B_sat with mu0 H_sat = -2 J1/(Ms t) = 2.5 T."""
    path = tmp_path / "saf.toml"
    path.write_text(dumps_toml(config_from_dict(_cfg(B=[[0.5, 0, 0], [1.0, 0, 0], [3.0, 0, 0]]))))
    result = CliRunner().invoke(main, ["hysteresis", str(path), "--out", str(tmp_path / "o")])
    assert result.exit_code == 0, result.output
    t = read_table(tmp_path / "o" / "table.tsv")
    assert np.allclose(t.column("m_par"), [0.2, 0.4, 1.0], atol=1e-8)
    # the ranged form and the Python entry with a config
    r = hysteresis(config_from_dict(_cfg(B_start=0.0, B_stop=2.5, steps=3, loop=False)),
                   out=tmp_path / "p", progress=None)
    assert np.allclose(r.table.column("m_par"), [0.0, 0.5, 1.0], atol=1e-6)


@pytest.mark.parametrize("hyst,match", [
    ({"B_start": 1.0, "B_stop": -1.0}, "missing \\['steps'\\]"),
    ({"B": [[1.0, 0, 0]], "steps": 3}, "either B"),
    ({"B_start": 1.0, "B_stop": -1.0, "steps": 3, "direction": [0, 0, 0]}, "nonzero"),
])
def test_bad_hysteresis_tables(hyst, match):
    with pytest.raises(ConfigError, match=match):
        config_from_dict(_cfg(**hyst))


def test_command_without_table(tmp_path):
    data = _cfg()
    data.pop("hysteresis")
    path = tmp_path / "c.toml"
    path.write_text(dumps_toml(config_from_dict(data)))
    result = CliRunner().invoke(main, ["hysteresis", str(path), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "no [hysteresis] table" in result.output
