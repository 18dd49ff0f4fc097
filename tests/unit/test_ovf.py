"""OVF 2.0 writer and reader, checked against a reader and writer we did not write
(Ubermag's discretisedfield) and against OOMMF-style files written out by hand."""

from __future__ import annotations

import discretisedfield as df  # dev extra: an OVF reader/writer we did not write
import numpy as np
import pytest

from spintorque.io.errors import UserError
from spintorque.io.ovf import (
    read_initial_state,
    read_magnetization,
    read_ovf,
    write_magnetization,
    write_ovf,
)
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


# -- read_initial_state: every way a file can fail to be an initial state, named -------------------

UNIT = _values(4) / np.linalg.norm(_values(4), axis=-1, keepdims=True)


def _refused(path, match, grid=GRID, **kw):
    with pytest.raises(UserError, match=match) as info:
        read_initial_state(path, grid, **kw)
    assert str(path) in str(info.value)  # the message names the file
    return str(info.value)


def test_initial_state_round_trip(tmp_path):
    m = read_initial_state(write_ovf(tmp_path / "m.ovf", UNIT * 8e5, GRID), GRID)
    assert m.shape == GRID.vshape and np.allclose(m, UNIT, rtol=0, atol=1e-15)
    # huge and tiny (subnormal) finite values still give unit vectors
    v = UNIT.copy()
    v[0, 0, 0] = [1e300, 1e300, 0.0]
    v[1, 0, 0] = [5e-324, 0.0, 0.0]
    m = read_initial_state(write_ovf(tmp_path / "x.ovf", v, GRID), GRID)
    assert np.allclose(m[0, 0, 0], [2**-0.5, 2**-0.5, 0]) and np.array_equal(m[1, 0, 0], [1, 0, 0])


def test_initial_state_on_the_layer_slab(tmp_path):
    slab = Grid((5, 4, 1), GRID.cell, GRID.origin)
    path = write_ovf(tmp_path / "layer.ovf", UNIT[:, :, :1], slab, fmt="text")
    m = read_initial_state(path, GRID, layer_shape=(5, 4, 1))
    assert m.shape == (5, 4, 1, 3) and np.allclose(m, UNIT[:, :, :1], rtol=0, atol=1e-15)
    # the file holds the layer only, so the grid alone does not fit
    _refused(path, r"values on 5 x 4 x 1 cells .*allowed: the grid \(5, 4, 3\)$")


def test_initial_state_missing_or_unreadable(tmp_path):
    _refused(tmp_path / "nope.ovf", "no such file")
    (tmp_path / "dir.ovf").mkdir()
    _refused(tmp_path / "dir.ovf", "is a directory")
    (tmp_path / "junk.ovf").write_text("hello\n")
    _refused(tmp_path / "junk.ovf", "not an OVF file")
    (tmp_path / "pickle.ovf").write_bytes(b"\x80\x04\x95\x0b\x00binary")  # no line at all
    _refused(tmp_path / "pickle.ovf", "not an OVF file")


def test_initial_state_truncated_binary(tmp_path):
    good = write_ovf(tmp_path / "g.ovf", UNIT, GRID).read_bytes()
    path = tmp_path / "cut.ovf"
    path.write_bytes(good[: len(good) // 2])
    msg = _refused(path, "truncated binary data")
    assert "buffer" not in msg and "expected 1448 " in msg  # (5*4*3 * 3 + 1) * 8 bytes
    path.write_bytes(good[: good.index(b"Binary 8\n") + len(b"Binary 8\n") + 4])  # no check value
    _refused(path, "truncated binary data")


def test_initial_state_bad_text_token(tmp_path):
    text = write_ovf(tmp_path / "t.ovf", UNIT, GRID, fmt="text").read_text().splitlines()
    first = next(i for i, ln in enumerate(text) if ln.startswith("# Begin: Data Text")) + 1
    text[first + 2] = "0.5 abc 0.1"
    path = tmp_path / "bad.ovf"
    path.write_text("\n".join(text) + "\n")
    msg = _refused(path, rf"line {first + 3}: 'abc' is not a number")
    assert "could not convert" not in msg
    text[first + 2] = "0.5 0.1"  # a missing value
    path.write_text("\n".join(text) + "\n")
    _refused(path, "179 text values, expected 180")


def test_initial_state_bad_header_value(tmp_path):
    raw = write_ovf(tmp_path / "g.ovf", UNIT, GRID).read_bytes()
    path = tmp_path / "h.ovf"
    path.write_bytes(raw.replace(b"# xnodes: 5", b"# xnodes: five"))
    _refused(path, "header xnodes = 'five' is not an integer")
    path.write_bytes(raw.replace(b"# ystepsize: 2e-09", b"# ystepsize: nan"))
    _refused(path, "header ystepsize = 'nan' is not finite")


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_initial_state_nan_or_inf(tmp_path, bad):
    v = UNIT.copy()
    v[2, 1, 0, 1] = bad
    msg = _refused(write_ovf(tmp_path / "n.ovf", v, GRID), r"NaN or infinite values in 1 cell")
    assert "first at cell (2, 1, 0)" in msg and "zero" not in msg


def test_initial_state_zero_vectors(tmp_path):
    v = UNIT.copy()
    v[:, :, 1] = 0.0  # e.g. a spacer layer: zero is fine there, not in a magnetic cell
    path = write_ovf(tmp_path / "z.ovf", v, GRID)
    magnetic = np.ones(GRID.shape, bool)
    magnetic[:, :, 1] = False
    m = read_initial_state(path, GRID, magnetic=magnetic)
    assert np.array_equal(m[:, :, 1], np.zeros((5, 4, 3)))
    _refused(path, r"zero vectors in 20 magnetic cell\(s\), first at cell \(0, 0, 1\)")
    magnetic[3, 2, 1] = True
    _refused(path, r"zero vectors in 1 magnetic cell\(s\), first at cell \(3, 2, 1\)",
             magnetic=magnetic)
    # a file on the layer slab: the slab is the z range of the mask
    slab = Grid((5, 4, 1), GRID.cell)
    layer = np.zeros(GRID.shape, bool)
    layer[:, :, 2] = True
    path = write_ovf(tmp_path / "s.ovf", v[:, :, 1:2], slab)
    _refused(path, r"first at cell \(0, 0, 0\)", layer_shape=(5, 4, 1), magnetic=layer)


def test_initial_state_wrong_shape(tmp_path):
    other = Grid((4, 4, 3), GRID.cell)
    path = write_ovf(tmp_path / "w.ovf", UNIT[:4], other)
    _refused(path, r"values on 4 x 4 x 3 cells \(4, 4, 3\); allowed: the grid \(5, 4, 3\) or "
                   r"the layer \(5, 4, 1\)", layer_shape=(5, 4, 1))
    path = write_ovf(tmp_path / "d.ovf", UNIT[..., :2], GRID, labels=("a", "b"), units=("1", "1"))
    _refused(path, "valuedim = 2")


def test_initial_state_cell_size(tmp_path):
    # same shape, other cell size: accepted silently before, refused now
    other = Grid(GRID.n, (1e-9, 2e-9, 2.5e-9), GRID.origin)
    msg = _refused(write_ovf(tmp_path / "c.ovf", UNIT, other), "cell size .* differs from the mesh")
    assert "2.5e-09" in msg and "3e-09" in msg
    # within the relative 1e-6 it is the same mesh (e.g. a cell size printed to 9 digits)
    near = Grid(GRID.n, (1e-9 * (1 + 5e-7), 2e-9, 3e-9 * (1 - 5e-7)), GRID.origin)
    assert read_initial_state(write_ovf(tmp_path / "n.ovf", UNIT, near), GRID).shape == GRID.vshape
    far = Grid(GRID.n, (1e-9 * (1 + 2e-6), 2e-9, 3e-9), GRID.origin)
    _refused(write_ovf(tmp_path / "f.ovf", UNIT, far), "cell size")
