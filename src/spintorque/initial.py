"""Initial magnetization of a layered sample from the layers' ``initial`` entries.

Forms: ``uniform``, ``random`` (seeded), ``vortex`` and ``file`` (OVF). Non-magnetic cells are
zero; every magnetic cell is a unit vector.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .io.errors import UserError
from .io.ovf import read_initial_state
from .materials import Sample


def _get(obj: Any, key: str, default: Any = None) -> Any:
    """Attribute or mapping entry ``key`` of a config section (None-safe)."""
    if obj is None:
        return default
    value = obj.get(key, default) if isinstance(obj, dict) else getattr(obj, key, default)
    return default if value is None else value


def uniform(sample: Sample, layer: str, direction: Any) -> np.ndarray:
    """Unit vectors along ``direction`` (nonzero 3-vector) in the cells of ``layer``, shape
    ``grid.vshape`` (zero elsewhere)."""
    v = np.asarray(direction, float)
    if v.shape != (3,) or not np.linalg.norm(v) > 0:
        raise UserError(f"layer {layer!r}: initial.uniform = {v.tolist()}: need a nonzero "
                        "3-vector")
    m = np.zeros(sample.grid.vshape)
    m[sample.mask(layer)] = v / np.linalg.norm(v)
    return m


def random(sample: Sample, layer: str, seed: int) -> np.ndarray:
    """Random unit vectors (normalized Gaussian components, generator seeded by ``seed``) in the
    z slab of ``layer``, shape ``grid.vshape`` (zero elsewhere)."""
    grid = sample.grid
    k0, k1 = sample.z_range(layer)
    v = np.random.default_rng(int(seed)).normal(size=(*grid.shape[:2], k1 - k0, 3))
    m = np.zeros(grid.vshape)
    m[:, :, k0:k1] = v / np.linalg.norm(v, axis=-1, keepdims=True)
    return m


def vortex(sample: Sample, layer: str, center: Any = None, polarity: float = 1.0,
           chirality: float = 1.0, core_radius: float = 10e-9) -> np.ndarray:
    """A vortex m ∝ (−c (y − yc), c (x − xc), p R) in ``layer``: ``center`` [m] (default: the
    middle of the plane), polarity p = ±1, chirality c = ±1, core radius R [m]."""
    grid = sample.grid
    x, y, _ = grid.coordinates()
    if center is None:
        center = [grid.origin[0] + grid.size[0] / 2, grid.origin[1] + grid.size[1] / 2]
    dx = np.broadcast_to(x - center[0], grid.shape)
    dy = np.broadcast_to(y - center[1], grid.shape)
    c, p = float(chirality), float(polarity)
    v = np.stack([-c * dy, c * dx, np.full(grid.shape, p * float(core_radius))], axis=-1)
    v /= np.linalg.norm(v, axis=-1, keepdims=True)
    mask = sample.mask(layer)
    m = np.zeros(grid.vshape)
    m[mask] = v[mask]
    return m


def from_file(sample: Sample, layer: str, path: str | Path) -> np.ndarray:
    """The directions of an OVF file in ``layer``: given on the whole grid or on the layer's
    slab, with the mesh's cell size (:func:`spintorque.io.ovf.read_initial_state` names the
    file and the problem otherwise)."""
    grid = sample.grid
    nx, ny, _ = grid.shape
    k0, k1 = sample.z_range(layer)
    mask = sample.mask(layer)
    try:
        values = read_initial_state(path, grid, (nx, ny, k1 - k0),
                                    magnetic=mask & sample.magnetic)
    except UserError as exc:
        raise UserError(f"layer {layer!r}: initial.file: {exc}") from None
    m = np.zeros(grid.vshape)
    if values.shape == grid.vshape:
        m[mask] = values[mask]
    else:
        m[:, :, k0:k1] = np.where(mask[:, :, k0:k1, None], values, 0.0)
    return m


def layer_state(sample: Sample, layer: str, init: Any) -> np.ndarray:
    """One layer's initial state from its config entry (None: uniform +x)."""
    if init is None:
        return uniform(sample, layer, (1.0, 0.0, 0.0))
    if _get(init, "uniform") is not None:
        return uniform(sample, layer, _get(init, "uniform"))
    if _get(init, "random") is not None:
        return random(sample, layer, int(_get(_get(init, "random"), "seed", 0)))
    if _get(init, "vortex") is not None:
        vx = _get(init, "vortex")
        return vortex(sample, layer, _get(vx, "center"), _get(vx, "polarity", 1),
                      _get(vx, "chirality", 1), _get(vx, "core_radius", 10e-9))
    if _get(init, "file") is not None:
        return from_file(sample, layer, _get(init, "file"))
    raise UserError(f"layer {layer!r}: initial = {init!r}; allowed: uniform, random, vortex, "
                    "file")


def combine(sample: Sample, states: dict[str, np.ndarray]) -> np.ndarray:
    """The layers' states ``{layer: m}`` (each nonzero in its own layer only) on one grid; the
    magnetic layers not named start along +x; non-magnetic cells are zero."""
    m = np.zeros(sample.grid.vshape)
    for name, mat in zip(sample.names, sample.materials, strict=True):
        if not mat.magnetic:
            continue
        part = states[name] if name in states else uniform(sample, name, (1.0, 0.0, 0.0))
        k0, k1 = sample.z_range(name)
        m[:, :, k0:k1] = np.where(sample.mask(name)[:, :, k0:k1, None], part[:, :, k0:k1],
                                  m[:, :, k0:k1])
    m[~sample.magnetic] = 0.0
    return m


def initial_state(cfg: Any, sample: Sample) -> np.ndarray:
    """Unit magnetization at t = 0 from the config layers' ``initial`` entries, shape
    ``grid.vshape``: ``uniform = [x, y, z]``; ``random = {seed}``; ``vortex = {center [m],
    polarity ±1, chirality ±1, core_radius [m]}``; ``file = "path.ovf"`` (values on the whole
    grid or on the layer alone). Layers without ``initial`` start along +x."""
    magnetic = {name for name, mat in zip(sample.names, sample.materials, strict=True)
                if mat.magnetic}
    entries = [*cfg.layer, *getattr(cfg, "region", [])]  # [[region]] tables take the same forms
    return combine(sample, {layer.name: layer_state(sample, layer.name, layer.initial)
                            for layer in entries if layer.name in magnetic})
