"""``[[cell_values]]``: per-cell values of a material parameter from a file (docs/config.md).

    [[cell_values]]
    key = "Ku"                 # J/m^3, the material parameter's own unit
    file = "ku.npy"            # (nx, ny, nz) array; (nx, ny, nz, 3) for key = "axis"
    region = "free"            # optional: only these cells take the file's values

The values replace the materials' value of ``key`` in the cells of ``region`` (every cell when
omitted), as :meth:`spintorque.Sample.with_param` does from Python; tables apply in order, a
later one winning where two overlap. Files: ``.npy`` (read without pickle) or ``.ovf`` (a scalar
field, or a vector field for ``axis``). The transport parameters are read per region and cannot
vary within one, so they are not allowed here.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import numpy as np
from pydantic import Field, Strict, ValidationInfo, field_validator

from .base import Name, SchemaModel
from .geometry import data_file

if TYPE_CHECKING:
    from ..materials import Sample
    from .run_config import RunConfig

__all__ = ["CELL_KEYS", "CellValuesConfig", "apply_cell_values", "cell_values_problems"]

#: material parameters that may vary from cell to cell (units as in ``[material.*]``)
CELL_KEYS = ("Ms", "A", "Ku", "axis", "alpha", "gamma0", "P", "Lambda", "eps_prime", "Dind",
             "Dbulk", "Kc1", "Kc2")
#: parameters that must be >= 0 in every cell they set
_NON_NEGATIVE = ("Ms", "A", "alpha", "gamma0")


class CellValuesConfig(SchemaModel):
    """``[[cell_values]]``: one parameter's per-cell values from a file."""

    key: Literal[CELL_KEYS] = Field(  # type: ignore[valid-type]
        description="material parameter whose values the file gives")
    file: Annotated[str, Strict(), Field(min_length=1, max_length=4096)] = Field(
        description="path (relative to the config file) to a .npy or .ovf file of the grid's "
        "(nx, ny, nz) values, (nx, ny, nz, 3) for axis")
    region: Name | None = Field(
        None, description="layer or [[region]] name whose cells take the values; omitted: all")

    @field_validator("file")
    @classmethod
    def _exists(cls, v: str, info: ValidationInfo) -> str:
        return data_file(v, info)


def read_values(spec: CellValuesConfig) -> np.ndarray:
    """The file's values as a float array (ValueError with the reason when unreadable)."""
    path = Path(spec.file)
    try:
        if path.suffix.lower() == ".npy":
            values = np.load(path, allow_pickle=False)  # data only, nothing executed
        else:
            from ..io.ovf import read_ovf

            values = read_ovf(path).values
            if spec.key != "axis" and values.shape[-1] == 1:
                values = values[..., 0]
        return np.asarray(values, dtype=float)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is the user's error to see
        raise ValueError(f"cannot be read as numbers: {exc}") from None


def cell_values_problems(cfg: RunConfig) -> list[tuple[str, Any, str]]:
    """Region names, file shapes and values of every ``[[cell_values]]`` table."""
    out: list[tuple[str, Any, str]] = []
    tables = getattr(cfg, "cell_values", [])
    if not tables:
        return out
    names = [layer.name for layer in cfg.layer] + [reg.name for reg in cfg.region]
    shape = cfg.grid_shape
    for i, spec in enumerate(tables):
        where = f"cell_values[{i}]"
        if spec.region is not None and spec.region not in names:
            out.append((f"{where}.region", spec.region, f"no layer or region of that name; "
                        f"names are {names}"))
        try:
            values = read_values(spec)
        except ValueError as exc:
            out.append((f"{where}.file", spec.file, str(exc)))
            continue
        want = (*shape, 3) if spec.key == "axis" else shape
        if values.shape != want:
            out.append((f"{where}.file", spec.file, f"holds an array of shape {values.shape}; "
                        f"{spec.key} needs the grid's {want}"))
            continue
        if not np.all(np.isfinite(values)):
            out.append((f"{where}.file", spec.file, "holds NaN or infinite values"))
        elif spec.key in _NON_NEGATIVE and np.any(values < 0):
            out.append((f"{where}.file", spec.file, f"holds negative values; {spec.key} must "
                        "be >= 0"))
        elif spec.key == "axis" and np.any(np.linalg.norm(values, axis=-1) == 0):
            out.append((f"{where}.file", spec.file, "holds zero vectors; axis vectors must be "
                        "nonzero"))
    return out


def apply_cell_values(cfg: RunConfig, sample: Sample) -> Sample:
    """``sample`` with every ``[[cell_values]]`` table applied in order."""
    for spec in getattr(cfg, "cell_values", []):
        sample = sample.with_param(spec.key, read_values(spec), region=spec.region)
    return sample
