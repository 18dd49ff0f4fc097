"""OVF 2.0 files (the OOMMF / mumax3 vector-field format): writer and reader.

Layout written (as OOMMF and mumax3 write it): a text header of ``# key: value`` lines, then
``# Begin: Data Binary 8`` followed by the check value 123456789012345.0 and the values as
little-endian float64, or ``# Begin: Data Text`` with one node per line. Nodes are ordered with x
fastest, then y, then z; the ``valuedim`` components of one node are stored together.

Arrays in this module have shape ``(nx, ny, nz, valuedim)``; lengths are in metres. The reader also
accepts OVF 2.0 ``Binary 4`` and OVF 1.0 files (big-endian binary, ``# OOMMF: rectangular mesh
v1.0``), which older OOMMF versions write. Its errors (``ValueError``) name the file and what is
wrong (a truncated binary segment, a token that is not a number, a bad header value).

:func:`read_initial_state` reads an initial magnetization for a given mesh and refuses, as a
:class:`~spintorque.io.errors.UserError` naming the file, anything that cannot be one.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import numpy as np

from ..mesh import Grid
from .atomic import atomic_write
from .errors import UserError

CHECK_8 = 123456789012345.0
CHECK_4 = 1234567.0


@dataclass
class OVFData:
    """Values and geometry read from an OVF file.

    ``values``: shape ``(nx, ny, nz, valuedim)`` float64; ``cell`` [m] step sizes; ``origin``
    [m] the lower corner of the mesh (``xmin``, ...); ``labels``/``units`` per component;
    ``header`` every header key (lower case) with its raw string value; ``desc`` the ``Desc``
    lines in file order.
    """

    values: np.ndarray
    cell: tuple[float, float, float]
    origin: tuple[float, float, float]
    labels: list[str] = field(default_factory=list)
    units: list[str] = field(default_factory=list)
    title: str = ""
    header: dict[str, str] = field(default_factory=dict)
    desc: list[str] = field(default_factory=list)

    @property
    def grid(self) -> Grid:
        """The grid the values live on."""
        return Grid(self.values.shape[:3], self.cell, self.origin)

    @property
    def time(self) -> float | None:
        """The simulation time [s] of a snapshot, from its ``Desc: Total simulation time: ... s``
        line (as spintorque and mumax3 write it); None if the file has none."""
        for line in self.desc:
            head, _, rest = line.partition(":")
            if head.strip().lower() == "total simulation time":
                words = rest.split()
                try:
                    return float(words[0]) if words else None
                except ValueError:
                    return None
        return None


def _fmt(x: float) -> str:
    return repr(float(x))


def write_ovf(
    path: str | os.PathLike,
    values: np.ndarray,
    grid: Grid,
    *,
    fmt: str = "binary",
    title: str = "m",
    labels: Sequence[str] = ("m_x", "m_y", "m_z"),
    units: Sequence[str] = ("1", "1", "1"),
    desc: Sequence[str] = (),
) -> Path:
    """Write ``values`` (shape ``(nx, ny, nz, dim)``) on ``grid`` to ``path`` as OVF 2.0.

    ``fmt`` is ``"binary"`` (Binary 8, float64 little-endian) or ``"text"``. ``desc`` lines go into
    ``# Desc:`` header lines (e.g. the simulation time). The file is written to a temporary name and
    renamed, so a reader never sees half a file.
    """
    values = np.asarray(values, dtype=float)
    if values.ndim == 3:
        values = values[..., None]
    if values.shape[:3] != grid.shape:
        raise ValueError(f"values shape {values.shape} does not match grid shape {grid.shape}")
    dim = values.shape[3]
    if len(labels) != dim or len(units) != dim:
        raise ValueError(f"need {dim} labels and units, got {list(labels)} and {list(units)}")
    if fmt not in ("binary", "text"):
        raise ValueError(f"fmt = {fmt!r}; allowed: 'binary', 'text'")
    nx, ny, nz = grid.shape
    lo = grid.origin
    hi = tuple(o + s for o, s in zip(grid.origin, grid.size, strict=True))
    lines = [
        "# OOMMF OVF 2.0",
        "# Segment count: 1",
        "# Begin: Segment",
        "# Begin: Header",
        f"# Title: {title}",
        "# meshtype: rectangular",
        "# meshunit: m",
        f"# xmin: {_fmt(lo[0])}",
        f"# ymin: {_fmt(lo[1])}",
        f"# zmin: {_fmt(lo[2])}",
        f"# xmax: {_fmt(hi[0])}",
        f"# ymax: {_fmt(hi[1])}",
        f"# zmax: {_fmt(hi[2])}",
        f"# valuedim: {dim}",
        "# valuelabels: " + " ".join(labels),
        "# valueunits: " + " ".join(units),
        *(f"# Desc: {d}" for d in desc),
        # node positions are cell centres: base = origin + half a cell
        f"# xbase: {_fmt(lo[0] + grid.cell[0] / 2)}",
        f"# ybase: {_fmt(lo[1] + grid.cell[1] / 2)}",
        f"# zbase: {_fmt(lo[2] + grid.cell[2] / 2)}",
        f"# xnodes: {nx}",
        f"# ynodes: {ny}",
        f"# znodes: {nz}",
        f"# xstepsize: {_fmt(grid.cell[0])}",
        f"# ystepsize: {_fmt(grid.cell[1])}",
        f"# zstepsize: {_fmt(grid.cell[2])}",
        "# End: Header",
    ]
    # x fastest: (nx, ny, nz, dim) -> (nz, ny, nx, dim) in C order
    ordered = np.ascontiguousarray(values.transpose(2, 1, 0, 3))

    def write(f: IO[bytes]) -> None:
        f.write(("\n".join(lines) + "\n").encode("ascii"))
        if fmt == "binary":
            f.write(b"# Begin: Data Binary 8\n")
            f.write(np.array([CHECK_8], "<f8").tobytes())
            f.write(ordered.astype("<f8").tobytes())
            f.write(b"\n# End: Data Binary 8\n")
        else:
            f.write(b"# Begin: Data Text\n")
            rows = ordered.reshape(-1, dim)
            f.write(
                "".join(" ".join(repr(float(v)) for v in row) + "\n" for row in rows).encode()
            )
            f.write(b"# End: Data Text\n")
        f.write(b"# End: Segment\n")

    return atomic_write(path, write)


def _header_number(path: Path, header: dict[str, str], key: str, kind: type,
                   default: str | None = None):
    """Header value ``key`` as an int or a finite float, or a ValueError naming the key."""
    text = header.get(key, default)
    if text is None:
        raise ValueError(f"{path}: header lacks {key!r}")
    try:
        value = kind(text)
    except ValueError:
        what = "an integer" if kind is int else "a number"
        raise ValueError(f"{path}: header {key} = {text!r} is not {what}") from None
    if kind is float and not math.isfinite(value):
        raise ValueError(f"{path}: header {key} = {text!r} is not finite")
    return value


def _text_values(path: Path, raw: bytes, pos: int, count: int) -> np.ndarray:
    """The numbers of a ``Data Text`` segment starting at byte ``pos``; a ValueError names the
    line of a token that is not a number, or the count found against the count expected."""
    stop = raw.find(b"# End: Data", pos)
    chunk = raw[pos : stop if stop >= 0 else len(raw)]
    first_line = raw.count(b"\n", 0, pos) + 1
    values: list[float] = []
    for i, line in enumerate(chunk.split(b"\n")):
        line = line.strip()
        if not line or line.startswith(b"#"):
            continue
        for token in line.split():
            try:
                values.append(float(token))
            except ValueError:
                shown = token.decode("ascii", errors="replace")
                raise ValueError(
                    f"{path}: line {first_line + i}: {shown!r} is not a number"
                ) from None
    if len(values) != count:
        raise ValueError(f"{path}: {len(values)} text values, expected {count}")
    return np.array(values, dtype=float)


def read_ovf(path: str | os.PathLike) -> OVFData:
    """Read an OVF 1.0 or 2.0 file with a rectangular mesh (text, binary 4 or binary 8)."""
    path = Path(path)
    raw = path.read_bytes()
    header: dict[str, str] = {}
    desc: list[str] = []
    pos = 0
    version = None
    data_kind = None
    while pos < len(raw):
        end = raw.find(b"\n", pos)
        if end < 0:
            if version is None:
                raise ValueError(f"{path}: not an OVF file (no '# OOMMF OVF 2.0' first line)")
            raise ValueError(f"{path}: header ends without a data segment")
        line = raw[pos:end].decode("ascii", errors="replace").strip()
        pos = end + 1
        if not line:
            continue
        if version is None:
            if "OVF 2.0" in line:
                version = 2
            elif "rectangular mesh v1.0" in line or "OVF 1.0" in line:
                version = 1
            else:
                raise ValueError(f"{path}: not an OVF file (first line {line!r})")
            continue
        if line.startswith("##"):
            continue  # comment
        if not line.startswith("#"):
            raise ValueError(f"{path}: unexpected line in header: {line!r}")
        body = line.lstrip("#").strip()
        key, _, value = body.partition(":")
        key = key.strip().lower()
        value = value.split("##")[0].strip()
        if key == "begin" and value.lower().startswith("data"):
            data_kind = value[4:].strip().lower()
            break
        if key == "desc":
            desc.append(value)
        elif key not in ("begin", "end", "segment count"):
            header[key] = value
    if data_kind is None:
        raise ValueError(f"{path}: no data segment")
    if header.get("meshtype", "rectangular").lower() != "rectangular":
        raise ValueError(f"{path}: meshtype {header['meshtype']!r}; only rectangular is supported")
    n = tuple(_header_number(path, header, f"{a}nodes", int) for a in "xyz")
    cell = tuple(_header_number(path, header, f"{a}stepsize", float) for a in "xyz")
    if any(k < 1 for k in n):
        raise ValueError(f"{path}: node counts {n}; each must be >= 1")
    dim = _header_number(path, header, "valuedim", int, "3") if version == 2 else 3
    if dim < 1:
        raise ValueError(f"{path}: valuedim = {dim}; must be >= 1")
    if "xmin" in header:
        origin = tuple(_header_number(path, header, f"{a}min", float) for a in "xyz")
    else:
        origin = tuple(_header_number(path, header, f"{a}base", float) - h / 2
                       for a, h in zip("xyz", cell, strict=True))
    count = n[0] * n[1] * n[2] * dim
    if data_kind.startswith("binary"):
        kind = data_kind.split()
        width = int(kind[1]) if len(kind) == 2 and kind[1].isdigit() else 0
        if width not in (4, 8):
            raise ValueError(f"{path}: 'Data {data_kind}'; allowed: Binary 4 or Binary 8")
        order = "<" if version == 2 else ">"
        dtype = np.dtype(f"{order}f{width}")
        need, have = (count + 1) * width, len(raw) - pos
        if have < need:
            raise ValueError(
                f"{path}: truncated binary data: {have} bytes after 'Begin: Data Binary "
                f"{width}', expected {need} (check value and {n[0]} x {n[1]} x {n[2]} nodes x "
                f"{dim} values x {width} bytes)"
            )
        check = np.frombuffer(raw, dtype, count=1, offset=pos)[0]
        if check != (CHECK_8 if width == 8 else CHECK_4):
            raise ValueError(f"{path}: bad binary check value {check!r}")
        flat = np.frombuffer(raw, dtype, count=count, offset=pos + width).astype(float)
    elif data_kind.startswith("text"):
        flat = _text_values(path, raw, pos, count)
    else:
        raise ValueError(f"{path}: unknown data kind {data_kind!r}")
    values = flat.reshape(n[2], n[1], n[0], dim).transpose(2, 1, 0, 3).copy()
    labels = header.get("valuelabels", "").split()
    units = header.get("valueunits", "").split()
    if version == 1 and "valueunit" in header:
        units = [header["valueunit"]] * 3
    return OVFData(values, cell, origin, labels, units, header.get("title", ""), header, desc)


def write_magnetization(
    path: str | os.PathLike,
    m: np.ndarray,
    ms: np.ndarray,
    grid: Grid,
    *,
    t: float | None = None,
    unit: str = "A/m",
    fmt: str = "binary",
) -> Path:
    """Snapshot of the magnetization: ``Ms·m`` [A/m] (``unit="A/m"``) or the unit vector ``m``
    (``unit="1"``). ``m`` shape ``(nx, ny, nz, 3)``, ``ms`` per-cell Ms [A/m] shape ``grid.shape``;
    ``t`` [s] goes into a ``Desc`` line as mumax3 writes it."""
    desc = [f"Total simulation time: {t!r} s"] if t is not None else []
    if unit == "A/m":
        return write_ovf(path, m * ms[..., None], grid, fmt=fmt, title="M",
                         labels=("M_x", "M_y", "M_z"), units=("A/m",) * 3, desc=desc)
    if unit == "1":
        return write_ovf(path, m, grid, fmt=fmt, title="m", desc=desc)
    raise ValueError(f"unit = {unit!r}; allowed: 'A/m', '1'")


def read_magnetization(path: str | os.PathLike) -> tuple[np.ndarray, OVFData]:
    """Unit magnetization from an OVF file (normalised; zero where the value is zero)."""
    data = read_ovf(path)
    if data.values.shape[3] != 3:
        raise ValueError(f"{path}: valuedim = {data.values.shape[3]}; a magnetization needs 3")
    norm = np.linalg.norm(data.values, axis=-1, keepdims=True)
    m = np.divide(data.values, norm, out=np.zeros_like(data.values), where=norm > 0)
    return m, data


#: largest relative difference between a file's cell size and the mesh's that is taken as equal
CELL_RTOL = 1e-6


def read_initial_state(
    path: str | os.PathLike,
    grid: Grid,
    layer_shape: tuple[int, int, int] | None = None,
    *,
    magnetic: np.ndarray | None = None,
) -> np.ndarray:
    """Unit vectors of an initial-state OVF file, checked against the mesh it is meant for.

    Parameters
    ----------
    path : the OVF file (1.0 or 2.0, text or binary, ``valuedim`` 3; values in any unit, e.g.
        A/m: only directions are used)
    grid : the run's mesh; the file's cell size must equal ``grid.cell`` to a relative
        difference below :data:`CELL_RTOL` per axis (its origin is not compared)
    layer_shape : ``(nx, ny, nz_layer)`` of the layer the state is for; the file may hold
        values on the whole grid or on the layer's slab alone (None: the grid only)
    magnetic : bool mask of shape ``grid.shape`` of the cells that must hold a direction (the
        layer's magnetic cells); for a file on the layer slab, the slab is the z range of the
        mask. None: every cell of the file must hold one.

    Returns
    -------
    float64 array of shape ``grid.vshape`` or ``(*layer_shape, 3)`` (whichever the file fits,
    the grid first): unit vectors, zero where the file's value is zero outside ``magnetic``.

    Raises
    ------
    UserError
        naming the file and what is wrong: missing or unreadable, not an OVF file, truncated
        binary data, a token that is not a number, a shape that fits neither the grid nor the
        layer, a different cell size, NaN or infinite values, zero vectors in a magnetic cell.
    """
    path = Path(path)
    name = str(path)

    def bad(what: str) -> UserError:
        return UserError(f"initial-state file {name!r}: {what}")

    try:
        data = read_ovf(path)
    except FileNotFoundError:
        raise bad("no such file") from None
    except IsADirectoryError:
        raise bad("is a directory, not an OVF file") from None
    except OSError as exc:
        raise bad(f"cannot read: {exc.strerror or exc}") from None
    except (ValueError, OverflowError) as exc:
        text = str(exc)
        prefix = f"{path}: "
        raise bad(text[len(prefix):] if text.startswith(prefix) else text) from None
    values = data.values
    if values.shape[3] != 3:
        raise bad(f"valuedim = {values.shape[3]}; a magnetization needs 3 components")
    shape = values.shape[:3]
    if shape == grid.shape:
        mask = None if magnetic is None else np.asarray(magnetic, bool)
    elif layer_shape is not None and shape == tuple(layer_shape):
        mask = None if magnetic is None else _slab_of(np.asarray(magnetic, bool), shape)
    else:
        allowed = f"the grid {grid.shape}"
        if layer_shape is not None and tuple(layer_shape) != grid.shape:
            allowed += f" or the layer {tuple(layer_shape)}"
        raise bad(f"values on {shape[0]} x {shape[1]} x {shape[2]} cells {shape}; allowed: "
                  f"{allowed}")
    cell = np.asarray(data.cell, float)
    mesh = np.asarray(grid.cell, float)
    if not np.all(np.abs(cell - mesh) < CELL_RTOL * mesh):
        unit = data.header.get("meshunit", "m")
        note = f" (meshunit {unit!r}; lengths must be in m)" if unit.lower() != "m" else ""
        raise bad(f"cell size {tuple(cell.tolist())} differs from the mesh's "
                  f"{tuple(mesh.tolist())} m{note}; they must agree to a relative {CELL_RTOL:g}")
    finite = np.isfinite(values).all(axis=-1)
    if not finite.all():
        where = tuple(int(i) for i in np.argwhere(~finite)[0])
        raise bad(f"NaN or infinite values in {int((~finite).sum())} cell(s), first at cell "
                  f"{where}")
    # scale per cell before the norm, so that huge (but finite) values do not overflow
    peak = np.abs(values).max(axis=-1, keepdims=True)
    scaled = np.divide(values, peak, out=np.zeros_like(values), where=peak > 0)
    norm = np.linalg.norm(scaled, axis=-1, keepdims=True)
    m = np.divide(scaled, norm, out=np.zeros_like(values), where=norm > 0)
    need = np.ones(shape, bool) if mask is None else mask
    zero = need & (norm[..., 0] == 0)
    if zero.any():
        where = tuple(int(i) for i in np.argwhere(zero)[0])
        raise bad(f"zero vectors in {int(zero.sum())} magnetic cell(s), first at cell {where}; "
                  "every magnetic cell needs a direction")
    return m


def _slab_of(mask: np.ndarray, shape: tuple[int, ...]) -> np.ndarray:
    """The part of a grid mask on the layer slab (the z range where the mask has cells)."""
    ks = np.nonzero(mask.any(axis=(0, 1)))[0]
    if ks.size == 0:
        return np.zeros(shape, bool)
    slab = mask[:, :, ks[0] : ks[-1] + 1]
    if slab.shape != tuple(shape):
        raise ValueError(f"magnetic mask spans z cells {ks[0]}..{ks[-1]}, not a slab of "
                         f"shape {tuple(shape)}")
    return slab
