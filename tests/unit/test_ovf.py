"""OVF 2.0 writer and reader, checked against a reader and writer we did not write
(Ubermag's discretisedfield) and against OOMMF-style files written out by hand."""

from __future__ import annotations

import discretisedfield as df  # dev extra: an OVF reader/writer we did not write
import numpy as np
import pytest

from spintorque.io.ovf import read_magnetization, read_ovf, write_magnetization, write_ovf
from spintorque.mesh import Grid

GRID = Grid((5, 4, 3), (1e-9, 2e-9, 3e-9), (1e-9, 0.0, -2e-9))


def _values(seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=GRID.vshape) * 8e5


@pytest.mark.parametrize("fmt", ["binary", "text"])
def test_discretisedfield_reads_our_file(tmp_path, fmt):
    # float64 binary and repr() text are lossless, so values must agree exactly (tolerance 0)
    v = _values()
    path = write_ovf(tmp_path / "m.ovf", v, GRID, fmt=fmt, units=("A/m",) * 3)
    field = df.Field.from_file(str(path))
    assert tuple(field.mesh.n) == GRID.shape
    assert np.allclose(field.mesh.cell, GRID.cell, rtol=1e-15, atol=0)
    assert np.allclose(field.mesh.region.pmin, GRID.origin, rtol=1e-15, atol=1e-24)
    assert np.allclose(field.mesh.region.pmax, np.add(GRID.origin, GRID.size), rtol=1e-15)
    assert np.array_equal(field.array, v)


@pytest.mark.parametrize("representation", ["bin8", "bin4", "txt"])
def test_we_read_discretisedfield_file(tmp_path, representation):
    v = _values(1)
    mesh = df.Mesh(p1=GRID.origin, p2=tuple(np.add(GRID.origin, GRID.size)), cell=GRID.cell)
    field = df.Field(mesh, nvdim=3, value=v)
    path = tmp_path / "df.ovf"
    field.to_file(str(path), representation=representation)
    data = read_ovf(path)
    # bin4 stores float32: relative rounding 2^-24 ~ 6e-8 of the largest value
    tol = 1e-7 * np.abs(v).max() if representation == "bin4" else 1e-9 * np.abs(v).max()
    assert data.values.shape == GRID.vshape
    assert np.abs(data.values - v).max() <= tol
    assert np.allclose(data.cell, GRID.cell, rtol=1e-12)
    assert np.allclose(data.origin, GRID.origin, rtol=1e-12, atol=1e-21)


def test_header_as_oommf_writes_it(tmp_path):
    path = write_ovf(tmp_path / "m.ovf", _values(), GRID)
    raw = path.read_bytes()
    head = raw[: raw.index(b"# Begin: Data Binary 8\n")].decode()
    for line in ("# OOMMF OVF 2.0", "# Segment count: 1", "# meshtype: rectangular",
                 "# valuedim: 3", "# xnodes: 5", "# znodes: 3", "# End: Header"):
        assert line in head.splitlines()
    start = raw.index(b"# Begin: Data Binary 8\n") + len(b"# Begin: Data Binary 8\n")
    assert np.frombuffer(raw, "<f8", count=1, offset=start)[0] == 123456789012345.0
    # x fastest: the second stored node is cell (1, 0, 0)
    second = np.frombuffer(raw, "<f8", count=3, offset=start + 8 + 24)
    assert np.array_equal(second, _values()[1, 0, 0])
    assert raw.endswith(b"# End: Data Binary 8\n# End: Segment\n")


OOMMF_TEXT = """# OOMMF OVF 2.0
## a comment line, as OOMMF allows
# Segment count: 1
# Begin: Segment
# Begin: Header
# Title: Oxs_TimeDriver::Magnetization
# Desc: Iteration: 0, State id: 12
# Desc: Stage: 0, Stage iteration: 0
# meshunit: m
# meshtype: rectangular
# xbase: 2.5e-09
# ybase: 2.5e-09
# zbase: 1.5e-09
# xstepsize: 5e-09
# ystepsize: 5e-09
# zstepsize: 3e-09
# xnodes: 2
# ynodes: 2
# znodes: 1
# xmin: 0
# ymin: 0
# zmin: 0
# xmax: 1e-08
# ymax: 1e-08
# zmax: 3e-09
# valuedim: 3
# valuelabels: Magnetization_x Magnetization_y Magnetization_z
# valueunits: A/m A/m A/m
# End: Header
# Begin: Data Text
  800000.0 0 0
  0 800000.0 0
  0 0 800000.0
  -800000.0 0 0
# End: Data Text
# End: Segment
"""


def test_read_oommf_text(tmp_path):
    path = tmp_path / "oommf.omf"
    path.write_text(OOMMF_TEXT)
    m, data = read_magnetization(path)
    assert data.values.shape == (2, 2, 1, 3)
    assert data.cell == (5e-9, 5e-9, 3e-9) and data.origin == (0.0, 0.0, 0.0)
    assert data.units == ["A/m"] * 3
    # node order x fastest: (0,0), (1,0), (0,1), (1,1)
    assert np.array_equal(m[:, :, 0], [[[1, 0, 0], [0, 0, 1]], [[0, 1, 0], [-1, 0, 0]]])


def test_read_ovf1_big_endian(tmp_path):
    # OVF 1.0 binary is big-endian; geometry from base and stepsize only
    v = _values(2)[:2, :2, :1]
    header = (
        b"# OOMMF: rectangular mesh v1.0\n# Segment count: 1\n# Begin: Segment\n# Begin: Header\n"
        b"# meshunit: m\n# meshtype: rectangular\n"
        b"# xbase: 5e-10\n# ybase: 1e-09\n# zbase: 1.5e-09\n"
        b"# xstepsize: 1e-09\n# ystepsize: 2e-09\n# zstepsize: 3e-09\n"
        b"# xnodes: 2\n# ynodes: 2\n# znodes: 1\n# valueunit: A/m\n# valuemultiplier: 1\n"
        b"# End: Header\n# Begin: Data Binary 8\n"
    )
    body = np.array([123456789012345.0], ">f8").tobytes()
    body += v.transpose(2, 1, 0, 3).astype(">f8").tobytes()
    path = tmp_path / "old.ovf"
    path.write_bytes(header + body + b"\n# End: Data Binary 8\n# End: Segment\n")
    data = read_ovf(path)
    assert np.array_equal(data.values, v)
    assert np.allclose(data.origin, (0.0, 0.0, 0.0), atol=1e-24)


def test_magnetization_snapshot_units(tmp_path):
    m = _values(3)
    m /= np.linalg.norm(m, axis=-1, keepdims=True)
    ms = np.full(GRID.shape, 8e5)
    ms[:, :, 1] = 0.0  # a non-magnetic layer
    m[:, :, 1] = 0.0
    data = read_ovf(write_magnetization(tmp_path / "M.ovf", m, ms, GRID, t=1e-12))
    assert data.units == ["A/m"] * 3
    assert np.array_equal(data.values, m * ms[..., None])
    back, _ = read_magnetization(tmp_path / "M.ovf")
    assert np.allclose(back, m, rtol=0, atol=1e-15)
    data = read_ovf(write_magnetization(tmp_path / "m.ovf", m, ms, GRID, unit="1", fmt="text"))
    assert data.units == ["1"] * 3 and np.array_equal(data.values, m)


def test_bad_files_refused(tmp_path):
    path = tmp_path / "bad.ovf"
    path.write_text("hello\n")
    with pytest.raises(ValueError, match="not an OVF file"):
        read_ovf(path)
    good = write_ovf(tmp_path / "g.ovf", _values(), GRID).read_bytes()
    start = good.index(b"Binary 8\n") + len(b"Binary 8\n")
    path.write_bytes(good[:start] + np.array([1.0], "<f8").tobytes() + good[start + 8 :])
    with pytest.raises(ValueError, match="check value"):
        read_ovf(path)
    with pytest.raises(ValueError, match="fmt"):
        write_ovf(tmp_path / "x.ovf", _values(), GRID, fmt="hdf5")
