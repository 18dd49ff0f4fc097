"""Initial magnetization of a layered sample from the layers' ``initial`` entries.

Forms: ``uniform``, ``random`` (seeded), ``vortex`` and ``file`` (OVF). Non-magnetic cells are
zero; every magnetic cell is a unit vector.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .io.errors import UserError
from .io.ovf import read_magnetization
from .materials import Sample


def _get(obj: Any, key: str, default: Any = None) -> Any:
    """Attribute or mapping entry ``key`` of a config section (None-safe)."""
    if obj is None:
        return default
    value = obj.get(key, default) if isinstance(obj, dict) else getattr(obj, key, default)
    return default if value is None else value


def initial_state(cfg: Any, sample: Sample) -> np.ndarray:
    """Unit magnetization at t = 0 from the layers' ``initial`` entries, shape ``grid.vshape``.

    Forms: ``uniform = [x, y, z]``; ``random = {seed}`` (Gaussian components, normalised);
    ``vortex = {center [m], polarity ±1, chirality ±1, core_radius [m]}`` with
    m ∝ (−c (y − yc), c (x − xc), p R); ``file = "path.ovf"`` (values on the whole grid or on the
    layer alone). Layers without ``initial`` start along +x. Non-magnetic cells are zero.
    """
    grid = sample.grid
    m = np.zeros(grid.vshape)
    x, y, _ = grid.coordinates()
    for layer in cfg.layer:
        mask = sample.mask(layer.name)
        if not sample.materials[sample.names.index(layer.name)].magnetic:
            continue
        k0, k1 = sample.z_range(layer.name)
        init = _get(layer, "initial")
        where = f"layer {layer.name!r}: initial"
        if init is None:
            m[mask] = (1.0, 0.0, 0.0)
        elif _get(init, "uniform") is not None:
            v = np.asarray(_get(init, "uniform"), float)
            if v.shape != (3,) or not np.linalg.norm(v) > 0:
                raise UserError(f"{where}.uniform = {v.tolist()}: need a nonzero 3-vector")
            m[mask] = v / np.linalg.norm(v)
        elif _get(init, "random") is not None:
            seed = int(_get(_get(init, "random"), "seed", 0))
            rng = np.random.default_rng(seed)
            v = rng.normal(size=(*grid.shape[:2], k1 - k0, 3))
            m[:, :, k0:k1] = v / np.linalg.norm(v, axis=-1, keepdims=True)
        elif _get(init, "vortex") is not None:
            vx = _get(init, "vortex")
            size = grid.size
            center = _get(vx, "center", [grid.origin[0] + size[0] / 2,
                                         grid.origin[1] + size[1] / 2])
            p = float(_get(vx, "polarity", 1))
            c = float(_get(vx, "chirality", 1))
            radius = float(_get(vx, "core_radius", 10e-9))
            dx = np.broadcast_to(x - center[0], grid.shape)
            dy = np.broadcast_to(y - center[1], grid.shape)
            v = np.stack([-c * dy, c * dx, np.full(grid.shape, p * radius)], axis=-1)
            v /= np.linalg.norm(v, axis=-1, keepdims=True)
            m[mask] = v[mask]
        elif _get(init, "file") is not None:
            path = Path(_get(init, "file"))
            values, _ = read_magnetization(path)
            nx, ny, nz = grid.shape
            if values.shape == grid.vshape:
                m[mask] = values[mask]
            elif values.shape == (nx, ny, k1 - k0, 3):
                m[:, :, k0:k1] = values
            else:
                raise UserError(
                    f"{where}.file = {str(path)!r}: values of shape {values.shape[:3]}; allowed: "
                    f"the grid {grid.shape} or the layer {(nx, ny, k1 - k0)}"
                )
            if not np.all(np.linalg.norm(m[mask], axis=-1) > 0):
                raise UserError(f"{where}.file = {str(path)!r}: zero vectors in a magnetic layer")
        else:
            raise UserError(f"{where} = {init!r}; allowed: uniform, random, vortex, file")
    m[~sample.magnetic] = 0.0
    return m
