"""Initial-state files of a run config, opened and checked at validation time.

``initial = { file = "m0.ovf" }`` names an OVF file; the schema only checks that it exists. Once
the mesh is known, every such file is read with :func:`spintorque.io.ovf.read_initial_state`
against the run's grid and the layer's slab, so that ``spintorque validate`` and ``spintorque run``
refuse (exit 2, naming the file) what the run would fail on: an unreadable or truncated file, a
token that is not a number, NaN/Inf or zero vectors, a shape that fits neither the grid nor the
layer, a cell size other than the mesh's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from ..io.errors import UserError
from ..io.ovf import read_initial_state
from ..mesh import Grid
from .geometry import layer_cells_mask

if TYPE_CHECKING:
    from .run_config import RunConfig

__all__ = ["initial_file_problems"]

Problem = tuple[str, Any, str]


def initial_file_problems(cfg: RunConfig) -> list[Problem]:
    """One problem per ``layer[i].initial.file`` that is no valid initial state for this mesh
    (``cfg`` passed every other check, so its grid is known and fits in memory)."""
    files = [(i, layer) for i, layer in enumerate(cfg.layer)
             if layer.initial is not None and layer.initial.file is not None]
    if not files:
        return []
    grid = Grid(cfg.grid_shape, cfg.mesh.cell)
    slabs = {name: (k0, k1) for name, k0, k1 in cfg.layer_cells()}
    nx, ny, _ = grid.shape
    out: list[Problem] = []
    for i, layer in files:
        k0, k1 = slabs[layer.name]
        magnetic = np.zeros(grid.shape, bool)
        magnetic[:, :, k0:k1] = True  # a layer is a full-plane slab of one material
        shaped = layer_cells_mask(cfg, i)  # ... unless it has a shape
        if shaped is not None:
            magnetic = shaped
        try:
            read_initial_state(layer.initial.file, grid, (nx, ny, k1 - k0), magnetic=magnetic)
        except UserError as exc:
            out.append((f"layer[{i}].initial.file", layer.initial.file, str(exc)))
    return out
