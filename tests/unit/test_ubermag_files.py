"""Files that Ubermag's readers and ParaView take: mumax3's table.txt (ubermagtable), the OVF
snapshots (discretisedfield) and VTK image data with a .pvd series (pyvista / VTK)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from spintorque.cli import main
from spintorque.config import ConfigError, config_from_dict
from spintorque.io.errors import UserError
from spintorque.io.ovf import read_ovf, write_magnetization
from spintorque.io.table import TableWriter, read_table
from spintorque.io.ubermag_table import (
    UbermagTableWriter,
    table_path,
    ubermag_header,
    ubermag_name,
    write_ubermag_table,
)
from spintorque.mesh import Grid
from spintorque.simulation import run_config, run_hash

GOLDEN = Path(__file__).resolve().parents[1] / "examples" / "golden"
PY = {"Ms": 8e5, "A": 1.3e-11, "alpha": 0.5}


def bilayer(**run) -> dict:
    """Two 3 nm permalloy layers, 8 x 4 cells, a field: a run of a second or two."""
    return {
        "mesh": {"cell": [5e-9, 5e-9, 3e-9], "size": [40e-9, 20e-9, 6e-9]},
        "layer": [{"name": "FM1", "thickness": 3e-9, "material": "py",
                   "initial": {"uniform": [1, 0.25, 0.1]}},
                  {"name": "FM2", "thickness": 3e-9, "material": "py",
                   "initial": {"random": {"seed": 3}}}],
        "material": {"py": dict(PY)},
        "demag": {"enabled": True},
        "field": {"B": [-0.0246, 0.0043, 0.0]},
        "run": {"duration": 2e-11, "output_every": 2e-12, "snapshot_every": 1e-11, **run},
    }


# -- the table ---------------------------------------------------------------------------------


def test_header_and_names():
    assert ubermag_header(["t (s)", "mx", "E_total (J)", "|s|_NM (A/m)"]) == \
        "# t (s)\tmx ()\tE_total (J)\t|s|_NM (A/m)\n"
    assert [ubermag_name(c) for c in ("t (s)", "mx_FM1", "E_total (J)", "E_demag (J)",
                                      "max|mxH| (A/m)", "T (K)")] == \
        ["t", "mx_FM1", "E", "E_demag", "max|mxH|", "T"]
    assert table_path("run") == Path("run") / "table.txt"
    with pytest.raises(UserError, match="'odt'"):
        table_path("run", "odt")


@pytest.mark.parametrize("name", ["sp4_field1", "sp5_diffusion", "trilayer_moment",
                                  "thermal_macrospin"])
def test_ubermagtable_reads_the_converted_golden_tables(tmp_path, name):
    ut = pytest.importorskip("ubermagtable", reason="ubermagtable not installed "
                             "(pip install 'spintorque[ubermag]')")
    src = read_table(GOLDEN / f"{name}.tsv")
    out = write_ubermag_table(GOLDEN / f"{name}.tsv", tmp_path)
    assert out == tmp_path / "table.txt"
    table = ut.Table.fromfile(str(out), x="t")
    names = [ubermag_name(c) for c in src.columns]
    assert list(table.data.columns) == names
    assert "E" in names and names[:4] == ["t", "mx", "my", "mz"]
    # every value bit for bit (NaN where the table has NaN), every unit as in table.tsv
    assert np.array_equal(table.data.to_numpy(), src.data, equal_nan=True)
    assert table.units == {ubermag_name(c): u for c, u in zip(src.columns, src.units.values(),
                                                               strict=True)}
    assert table.units["t"] == "s" and table.units["E"] == "J" and table.units["mx"] == ""


def test_streaming_writer_resumes_and_refuses_another_header(tmp_path):
    path = tmp_path / "table.txt"
    cols = ["t (s)", "mx", "E_total (J)"]
    with UbermagTableWriter(path, cols) as w:
        for k in range(4):
            w.append([k * 1e-12, -0.0, 1e-20 * k])
    with UbermagTableWriter(path, cols, resume_rows=2) as w:
        assert w.rows == 2
        w.append([5e-12, 0.5, 3e-20])
    lines = path.read_text().splitlines()
    assert lines[0] == "# t (s)\tmx ()\tE_total (J)" and len(lines) == 4
    assert lines[1] == "0.0\t0.0\t0.0" and lines[3] == "5e-12\t0.5\t3e-20"
    with pytest.raises(ValueError, match="differs"):
        UbermagTableWriter(path, ["t (s)", "my"], resume_rows=1)


def test_run_writes_table_txt_and_a_resumed_run_rebuilds_it(tmp_path, monkeypatch):
    cfg = bilayer(table_format=["tsv", "mumax3"], checkpoint_every=1e-9)
    ref = tmp_path / "ref"
    run_config(cfg, ref, progress=None)
    tsv = read_table(ref / "table.tsv")
    assert tsv.rows == 11
    txt = (ref / "table.txt").read_text()
    assert txt == (write_ubermag_table(ref / "table.tsv", tmp_path / "conv.txt")).read_text()

    # the output formats are not part of the run's identity
    plain = bilayer(checkpoint_every=1e-9)
    assert run_hash(config_from_dict(plain)) == run_hash(config_from_dict(cfg))

    # killed after a row no checkpoint covers, without table.txt; resumed asking for it
    class Killed(BaseException):
        pass

    real_append = TableWriter.append

    def append_then_die(self, values):
        real_append(self, values)
        if self.rows == 7:
            raise Killed

    monkeypatch.setattr(TableWriter, "append", append_then_die)
    with pytest.raises(Killed):
        run_config(plain, tmp_path / "cut", progress=None)
    monkeypatch.setattr(TableWriter, "append", real_append)
    assert not (tmp_path / "cut" / "table.txt").exists()
    result = run_config(cfg, tmp_path / "cut", progress=None)
    assert result.resumed
    assert (tmp_path / "cut" / "table.txt").read_text() == txt


def test_cli_export_table(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "table.tsv").write_text((GOLDEN / "sp4_field1.tsv").read_text())
    result = CliRunner().invoke(main, ["export", "table", str(run), "--format", "mumax3"])
    assert result.exit_code == 0, result.output
    assert (run / "table.txt").read_text().startswith("# t (s)\tmx ()\tmy ()\tmz ()\t")
    result = CliRunner().invoke(main, ["export", "table", str(tmp_path / "nothing")])
    assert result.exit_code == 2 and "does not exist" in result.stderr
    assert "Traceback" not in result.stderr


# -- OVF snapshots in discretisedfield ----------------------------------------------------------


def test_discretisedfield_reads_the_snapshots(tmp_path):
    df = pytest.importorskip("discretisedfield", reason="discretisedfield not installed "
                             "(pip install 'spintorque[ubermag]')")
    grid = Grid((4, 3, 2), (2e-9, 3e-9, 5e-9), (1e-9, -4e-9, 2e-9))
    rng = np.random.default_rng(1)
    m = rng.normal(size=grid.vshape)
    m /= np.linalg.norm(m, axis=-1, keepdims=True)
    ms = np.full(grid.shape, 8e5)
    ms[0, 0, 0] = 0.0  # a non-magnetic cell
    for fmt in ("binary", "text"):
        path = write_magnetization(tmp_path / f"m_{fmt}.ovf", m, ms, grid, t=1.5e-10, fmt=fmt)
        field = df.Field.from_file(str(path))
        assert np.allclose(field.mesh.region.pmin, grid.origin, rtol=0, atol=1e-24)
        assert np.allclose(field.mesh.region.pmax, np.add(grid.origin, grid.size), rtol=1e-12)
        assert tuple(field.mesh.n) == grid.shape
        assert np.allclose(field.mesh.cell, grid.cell, rtol=1e-12)
        assert field.nvdim == 3 and field.unit == "A/m"
        assert tuple(field.mesh.region.units) == ("m", "m", "m")
        assert np.array_equal(field.array, m * ms[..., None])
        assert read_ovf(path).time == 1.5e-10


def test_discretisedfield_reads_a_runs_snapshots(tmp_path):
    df = pytest.importorskip("discretisedfield", reason="discretisedfield not installed")
    cfg = bilayer()
    cfg["relax"] = {"enabled": True, "method": "minimize", "tol": 1e3}
    run_config(cfg, tmp_path / "run", progress=None)
    for name in ("relaxed.ovf", "m_000001.ovf", "final.ovf"):
        ours = read_ovf(tmp_path / "run" / name)
        field = df.Field.from_file(str(tmp_path / "run" / name))
        assert tuple(field.mesh.n) == (8, 4, 2) and field.unit == "A/m"
        assert np.array_equal(field.array, ours.values)
        assert math.isclose(float(np.linalg.norm(field.array, axis=-1).max()), 8e5)
    assert read_ovf(tmp_path / "run" / "m_000001.ovf").time == 1e-11


# -- VTK ----------------------------------------------------------------------------------------


def _cells_back(array: np.ndarray, shape: tuple[int, int, int]) -> np.ndarray:
    """VTK cell order (x fastest) -> (nx, ny, nz[, dim])."""
    nx, ny, nz = shape
    if array.ndim == 1:
        return array.reshape(nz, ny, nx).transpose(2, 1, 0)
    return array.reshape(nz, ny, nx, -1).transpose(2, 1, 0, 3)


def test_run_writes_vti_and_pvd_that_pyvista_reads(tmp_path):
    pv = pytest.importorskip("pyvista", reason="pyvista not installed "
                             "(pip install 'spintorque[vtk]')")
    from spintorque.io.vtk import read_pvd

    run = tmp_path / "run"
    run_config(bilayer(vtk=True), run, progress=None)
    series = read_pvd(run / "m.pvd")
    assert [t for t, _ in series] == [0.0, 1e-11, 2e-11]
    assert [p.name for _, p in series] == ["m_000000.vti", "m_000001.vti", "m_000002.vti"]
    assert (run / "final.vti").is_file()
    reader = pv.get_reader(str(run / "m.pvd"))
    assert reader.time_values == [0.0, 1e-11, 2e-11]
    for k, (_t, vti) in enumerate(series):
        ovf = read_ovf(run / f"m_{k:06d}.ovf")
        image = pv.read(vti)
        assert isinstance(image, pv.ImageData)
        assert image.dimensions == (9, 5, 3)
        assert np.allclose(image.spacing, (5e-9, 5e-9, 3e-9), rtol=1e-12)
        assert np.allclose(image.origin, (0.0, 0.0, 0.0))
        M = _cells_back(np.asarray(image.cell_data["M"]), (8, 4, 2))
        assert np.array_equal(M, ovf.values)
        m = _cells_back(np.asarray(image.cell_data["m"]), (8, 4, 2))
        assert np.allclose(m * 8e5, ovf.values, rtol=1e-14, atol=1e-9)
        region = _cells_back(np.asarray(image.cell_data["region"]), (8, 4, 2))
        assert (region[:, :, 0] == 0).all() and (region[:, :, 1] == 1).all()
        assert list(image.field_data["region_names"]) == ["FM1", "FM2"]


def test_cli_export_vtk_matches_the_run_and_vtks_reader_reads_it(tmp_path):
    pytest.importorskip("pyvista", reason="pyvista not installed")
    from vtkmodules.util.numpy_support import vtk_to_numpy
    from vtkmodules.vtkIOXML import vtkXMLImageDataReader

    run = tmp_path / "run"
    run_config(bilayer(), run, progress=None)
    assert not list(run.glob("*.vti"))
    result = CliRunner().invoke(main, ["export", "vtk", str(run), "--out", str(tmp_path / "v")])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in (tmp_path / "v").iterdir())
    assert names == ["final.vti", "m.pvd", "m_000000.vti", "m_000001.vti", "m_000002.vti"]
    # VTK's own XML reader, as ParaView opens the file
    reader = vtkXMLImageDataReader()
    reader.SetFileName(str(tmp_path / "v" / "m_000002.vti"))
    reader.Update()
    image = reader.GetOutput()
    assert image.GetDimensions() == (9, 5, 3)
    cells = image.GetCellData()
    M = vtk_to_numpy(cells.GetArray("M"))
    assert np.array_equal(_cells_back(M, (8, 4, 2)), read_ovf(run / "m_000002.ovf").values)
    # the region index comes from config.json
    region = _cells_back(vtk_to_numpy(cells.GetArray("region")), (8, 4, 2))
    assert (region[:, :, 0] == 0).all() and (region[:, :, 1] == 1).all()
    result = CliRunner().invoke(main, ["export", "vtk", str(tmp_path / "v")])
    assert result.exit_code == 2 and "no OVF snapshots" in result.stderr


def test_vtk_without_pyvista_is_a_clear_error(tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "pyvista", None)  # import pyvista -> ImportError
    with pytest.raises(UserError, match=r"pip install 'spintorque\[vtk\]'"):
        run_config(bilayer(vtk=True), tmp_path / "run", progress=None)
    assert not (tmp_path / "run").exists()
    with pytest.raises(ConfigError, match=r"run.table_format\[0\]: 'odt'"):
        run_config(bilayer(table_format=["odt"]), tmp_path / "run2", progress=None)
