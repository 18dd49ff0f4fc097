"""Magnetization snapshots as VTK files for ParaView: one ``.vti`` per snapshot and a ``.pvd``.

Each snapshot becomes a VTK XML image-data file (``.vti``: a uniform grid, which is what the
finite-difference mesh is), written by VTK's own XML writer through ``pyvista``. Lengths are in
metres (origin at the mesh's lower corner, spacing the cell size), and the arrays are *cell* data
(one value per finite-difference cell):

- ``m``: the unit magnetization [1] (zero in non-magnetic cells);
- ``M``: Ms·m [A/m], the values of the OVF snapshot;
- ``region`` (when the sample is known): the region index of each cell (int), with the region
  names, in index order, in the field-data array ``region_names``.

The ``.pvd`` collection lists the ``m_NNNNNN.vti`` files with their simulation times [s], so
ParaView opens the run as one time series. It is written with Python's XML library (a PVD
``Collection`` has no writer in VTK).

``pyvista`` (with ``vtk``) is an optional dependency: ``pip install 'spintorque[vtk]'`` (the
``ubermag`` extra has it already, through ``discretisedfield``). Without it the functions here raise
a :class:`~spintorque.io.errors.UserError` saying what to install.
"""

from __future__ import annotations

import os
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..mesh import Grid
from .atomic import atomic_write
from .errors import UserError
from .ovf import read_ovf

if TYPE_CHECKING:
    from ..materials import Sample

__all__ = ["SERIES", "SNAPSHOT", "export_vtk", "read_pvd", "require_pyvista", "snapshot_vti",
           "write_pvd", "write_vti"]

#: name of the snapshot series' collection in a run folder
SERIES = "m.pvd"
#: the numbered snapshots of a run folder
SNAPSHOT = re.compile(r"^m_(\d+)\.ovf$")


def require_pyvista() -> Any:
    """The ``pyvista`` module, or a :class:`UserError` saying how to install it."""
    try:
        import pyvista
    except ImportError as exc:
        raise UserError(f"VTK output needs the optional package pyvista ({exc}); install it "
                        "with: pip install 'spintorque[vtk]'") from None
    return pyvista


def _cells(values: np.ndarray) -> np.ndarray:
    """(nx, ny, nz[, dim]) -> (nx*ny*nz[, dim]) in VTK's cell order (x fastest, then y, z)."""
    if values.ndim == 3:
        return np.ascontiguousarray(values.transpose(2, 1, 0)).reshape(-1)
    return np.ascontiguousarray(values.transpose(2, 1, 0, 3)).reshape(-1, values.shape[3])


def write_vti(path: str | os.PathLike, magnetization: np.ndarray, grid: Grid, *,
              region: np.ndarray | None = None,
              region_names: Sequence[str] | None = None) -> Path:
    """Write one snapshot as a VTK image-data file (``.vti``, binary); returns its path.

    ``magnetization``: Ms·m [A/m], shape ``(nx, ny, nz, 3)`` on ``grid`` (lengths in m);
    stored as the cell arrays ``M`` [A/m] and ``m`` [1] (M/|M|, zero where M is zero).
    ``region``: int array of ``grid.shape`` (region index per cell), stored as the cell array
    ``region``; ``region_names`` (one per index) as the field array ``region_names``.
    The file is written under a temporary name and renamed.
    """
    pv = require_pyvista()
    mag = np.asarray(magnetization, dtype=float)
    if mag.shape != (*grid.shape, 3):
        raise ValueError(f"magnetization of shape {mag.shape}; the grid needs "
                         f"{(*grid.shape, 3)}")
    norm = np.linalg.norm(mag, axis=-1, keepdims=True)
    unit = np.divide(mag, norm, out=np.zeros_like(mag), where=norm > 0)
    image = pv.ImageData(dimensions=tuple(n + 1 for n in grid.shape),
                         spacing=tuple(float(c) for c in grid.cell),
                         origin=tuple(float(o) for o in grid.origin))
    image.cell_data["m"] = _cells(unit)
    image.cell_data["M"] = _cells(mag)
    if region is not None:
        reg = np.asarray(region)
        if reg.shape != grid.shape:
            raise ValueError(f"region of shape {reg.shape}; the grid is {grid.shape}")
        image.cell_data["region"] = _cells(reg.astype(np.int32))
        if region_names is not None:
            image.field_data["region_names"] = np.array([str(n) for n in region_names])
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp.vti")  # the writer picks its format by the suffix
    try:
        image.save(tmp, binary=True)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def snapshot_vti(ovf_path: str | os.PathLike, vti_path: str | os.PathLike | None = None, *,
                 sample: Sample | None = None) -> tuple[Path, float | None]:
    """Convert one OVF snapshot of Ms·m (``m_NNNNNN.ovf``, ``relaxed.ovf``, ...) to ``.vti``.

    ``vti_path``: None puts it next to the OVF file with the suffix ``.vti``. ``sample``: adds
    the region index and names when its grid has the snapshot's shape. Returns the path written
    and the snapshot's time [s] (None if the file records none)."""
    ovf_path = Path(ovf_path)
    data = read_ovf(ovf_path)
    if data.values.shape[3] != 3:
        raise UserError(f"{ovf_path}: valuedim = {data.values.shape[3]}; a magnetization "
                        "snapshot has 3 components")
    out = ovf_path.with_suffix(".vti") if vti_path is None else Path(vti_path)
    region = names = None
    if sample is not None and sample.grid.shape == data.values.shape[:3]:
        region, names = sample.region, sample.names
    write_vti(out, data.values, data.grid, region=region, region_names=names)
    return out, data.time


def write_pvd(path: str | os.PathLike, entries: Sequence[tuple[float, str | os.PathLike]]
              ) -> Path:
    """Write a ParaView collection (``.pvd``) of ``(time [s], file)`` entries, in time order;
    files are stored relative to the collection's folder when they lie in it."""
    path = Path(path)
    root = ET.Element("VTKFile", type="Collection", version="0.1", byte_order="LittleEndian")
    coll = ET.SubElement(root, "Collection")
    for t, file in sorted(entries, key=lambda e: float(e[0])):
        file = Path(file)
        try:
            name = file.resolve().relative_to(path.parent.resolve()).as_posix()
        except ValueError:
            name = str(file)
        ET.SubElement(coll, "DataSet", timestep=repr(float(t)), group="", part="0", file=name)
    ET.indent(root)
    text = ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
    return atomic_write(path, lambda f: f.write(text.encode("utf-8")))


def read_pvd(path: str | os.PathLike) -> list[tuple[float, Path]]:
    """The ``(time [s], file)`` entries of a ``.pvd`` collection (files as absolute paths)."""
    path = Path(path)
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise UserError(f"{path}: not a PVD collection ({exc})") from None
    return [(float(ds.get("timestep", "nan")), path.parent / ds.get("file", ""))
            for ds in root.iter("DataSet")]


def _run_sample(run_dir: Path) -> Sample | None:
    """The sample of a run folder, rebuilt from its ``config.json`` (None if it has none or it
    cannot be rebuilt, e.g. a mask file that moved)."""
    record = run_dir / "config.json"
    if not record.is_file():
        return None
    import json

    from ..simulation import as_config, build_sample

    try:
        return build_sample(as_config(json.loads(record.read_text())))
    except (UserError, ValueError, OSError):
        return None


def export_vtk(run_dir: str | os.PathLike, out_dir: str | os.PathLike | None = None, *,
               sample: Sample | None = None) -> list[Path]:
    """Write a ``.vti`` for every OVF snapshot of a run folder and ``m.pvd`` for the series.

    Converts ``m_NNNNNN.ovf`` (listed in ``m.pvd`` with their times [s]) and, when present,
    ``relaxed.ovf`` and ``final.ovf`` (files of their own). ``out_dir``: where to write (None:
    the run folder). ``sample``: for the region index (None: rebuilt from the folder's
    ``config.json`` when it has one). Returns the files written, the ``.pvd`` last.

    Raises :class:`UserError` if the folder does not exist or holds no OVF snapshot, or pyvista
    is not installed.
    """
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise UserError(f"run folder {str(run_dir)!r} does not exist")
    snaps = sorted((int(mt.group(1)), p) for p in run_dir.iterdir()
                   if (mt := SNAPSHOT.match(p.name)))
    extra = [run_dir / n for n in ("relaxed.ovf", "final.ovf") if (run_dir / n).is_file()]
    if not snaps and not extra:
        raise UserError(f"{run_dir}: no OVF snapshots (m_NNNNNN.ovf, relaxed.ovf, final.ovf) "
                        "to convert; set run.snapshot_every to write them")
    require_pyvista()
    out = run_dir if out_dir is None else Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if sample is None:
        sample = _run_sample(run_dir)
    written, entries = [], []
    for number, ovf in snaps:
        vti, t = snapshot_vti(ovf, out / ovf.with_suffix(".vti").name, sample=sample)
        written.append(vti)
        entries.append((float(number) if t is None else t, vti))
    for ovf in extra:
        written.append(snapshot_vti(ovf, out / ovf.with_suffix(".vti").name, sample=sample)[0])
    if entries:
        written.append(write_pvd(out / SERIES, entries))
    return written
