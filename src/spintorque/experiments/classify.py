"""Classify the final magnetic state of one layer from its averages and its pattern.

A layer is a block of unit vectors ``m`` of shape ``(nx, ny, nz, 3)`` (x, y in-plane, z the
stacking axis). The classifier looks at three things (docs/theory/switching.md, classification: not
one threshold on one number):

* the layer average ``<m>`` (how uniform the layer is, and along which axis);
* the in-plane circulation ``<m · phi_hat>`` about the layer's centre (+1 for a perfect
  counter-clockwise vortex seen from +z, 0 for any mirror-symmetric uniform/flower state);
* the transverse tilt of the two end domains along the magnetization axis: end domains tilted
  the *same* way make an S-state, tilted *opposite* ways a C-state (a flower state has
  symmetric ends whose transverse components cancel).

The label says what the state is, for example ``"FM2 +x"``, ``"FM2 −x"``, ``"FM2 vortex (ccw)"``,
``"FM2 C-state +x"``, ``"FM2 S-state −x"``, ``"FM2 multidomain"``.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

MINUS = "\u2212"  # labels use a true minus sign: "FM2 −x"


@dataclass(frozen=True)
class Thresholds:
    """Decision thresholds of :func:`classify_layer` (dimensionless).

    ``uniform``: |<m>| above which the layer counts as magnetized along one axis;
    ``vortex``: |circulation| above which a low-remanence layer counts as a vortex;
    ``end_tilt``: mean transverse component of an end domain that counts as tilted;
    ``end_fraction``: length fraction of each end domain along the magnetization axis.
    """

    uniform: float = 0.5
    vortex: float = 0.4
    end_tilt: float = 0.1
    end_fraction: float = 0.2

    def __post_init__(self) -> None:
        for key in ("uniform", "vortex", "end_tilt"):
            value = getattr(self, key)
            if not 0.0 < value < 1.0:
                raise ValueError(f"Thresholds.{key} = {value!r} must lie in (0, 1)")
        if not 0.0 < self.end_fraction <= 0.5:
            raise ValueError(
                f"Thresholds.end_fraction = {self.end_fraction!r} must lie in (0, 0.5]"
            )


@dataclass(frozen=True)
class LayerState:
    """Classified state of one layer.

    ``kind``: one of ``"uniform"``, ``"C-state"``, ``"S-state"``, ``"vortex"``, ``"multidomain"``;
    ``axis``: dominant direction such as ``"+x"`` or ``"−y"`` (empty for vortex/multidomain);
    ``mean``: layer average of m (3 floats, dimensionless); ``circulation``: <m·phi_hat>;
    ``end_tilts``: mean transverse component of the two end domains (lower end first);
    ``polarity``: sign of the core's m_z for a vortex (0 otherwise).
    """

    layer: str
    label: str
    kind: str
    axis: str
    mean: tuple[float, float, float]
    circulation: float
    end_tilts: tuple[float, float]
    polarity: int

    @property
    def family(self) -> str:
        """The label without the end-domain detail: uniform, C- and S-states along the same axis
        are one family ("FM2 +x"); vortices keep their sense, multidomain stays. Switching
        tables use this, since C/S end tilts flip with small transients."""
        if self.kind in ("uniform", "C-state", "S-state"):
            return f"{self.layer} {self.axis}"
        return self.label

    def to_dict(self) -> dict:
        """JSON-friendly dict (tuples become lists); includes ``family``."""
        d = asdict(self)
        d["family"] = self.family
        d["mean"] = list(self.mean)
        d["end_tilts"] = list(self.end_tilts)
        return d


def _axis_name(index: int, sign: float) -> str:
    return ("+" if sign > 0 else MINUS) + "xyz"[index]


def circulation(m: np.ndarray, cell: tuple[float, float] = (1.0, 1.0)) -> float:
    """In-plane circulation ``<m · phi_hat>`` about the layer centre, in [-1, 1].

    ``m``: shape ``(nx, ny, nz, 3)``; ``cell``: in-plane cell size [m] (only the aspect matters).
    ``phi_hat = z_hat × r_hat``, r measured from the layer centre in the x-y plane; positive for
    counter-clockwise circulation seen from +z. Cells with zero m (non-magnetic) are ignored.
    """
    m = _check_block(m)
    nx, ny = m.shape[:2]
    x = (np.arange(nx) + 0.5 - nx / 2) * cell[0]
    y = (np.arange(ny) + 0.5 - ny / 2) * cell[1]
    r = np.hypot(x[:, None], y[None, :])
    r = np.where(r > 0, r, np.inf)  # the exact centre has no direction: weight 0
    phi_x, phi_y = -y[None, :] / r, x[:, None] / r
    tang = m[..., 0] * phi_x[..., None] + m[..., 1] * phi_y[..., None]
    present = np.linalg.norm(m, axis=-1) > 0
    return float(tang[present].mean()) if present.any() else 0.0


def _check_block(m: np.ndarray) -> np.ndarray:
    m = np.asarray(m, dtype=float)
    if m.ndim != 4 or m.shape[-1] != 3:
        raise ValueError(f"m has shape {m.shape}; need (nx, ny, nz, 3)")
    if not np.all(np.isfinite(m)):
        raise ValueError("m contains NaN or Inf")
    return m


def end_tilts(m: np.ndarray, axis: int, fraction: float = 0.2) -> tuple[float, float]:
    """Mean transverse tilt of the two end domains along in-plane ``axis`` (0 or 1), relative to
    the middle of the layer.

    For ``axis = 0`` (magnetization along x) the ends are the first and last ``fraction`` of the
    cells along x and the transverse component is m_y; for ``axis = 1`` it is the mirror case.
    The middle's mean transverse component is subtracted, so a uniformly tilted layer has no
    end tilt.
    """
    m = _check_block(m)
    n = m.shape[axis]
    k = max(1, int(round(fraction * n)))
    other = 1 - axis
    lo = np.take(m, range(k), axis=axis)[..., other]
    hi = np.take(m, range(n - k, n), axis=axis)[..., other]
    mid = np.take(m, range(k, n - k), axis=axis)[..., other] if n > 2 * k else 0.5 * (lo + hi)
    return float(lo.mean() - mid.mean()), float(hi.mean() - mid.mean())


def classify_layer(
    m: np.ndarray,
    layer: str = "FM2",
    cell: tuple[float, float] = (1.0, 1.0),
    thresholds: Thresholds | None = None,
) -> LayerState:
    """Classify one layer's state.

    Parameters
    ----------
    m : array, shape ``(nx, ny, nz, 3)``
        Unit magnetization of the layer's cells (dimensionless); zero vectors are ignored.
    layer : str
        Layer name, used as the label's prefix.
    cell : (dx, dy) in m
        In-plane cell size, for the circulation's geometry.
    thresholds : Thresholds, optional
    """
    th = thresholds or Thresholds()
    m = _check_block(m)
    present = np.linalg.norm(m, axis=-1) > 0
    if not present.any():
        raise ValueError(f"layer {layer!r} has no magnetic cells")
    mean = m[present].mean(axis=0)
    circ = circulation(m, cell)
    norm = float(np.linalg.norm(mean))
    tilts = (0.0, 0.0)
    polarity = 0
    if norm >= th.uniform:
        idx = int(np.argmax(np.abs(mean)))
        axis_name = _axis_name(idx, mean[idx])
        kind = "uniform"
        if idx < 2 and min(m.shape[0], m.shape[1]) > 1:
            tilts = end_tilts(m, idx, th.end_fraction)
            if abs(tilts[0]) > th.end_tilt and abs(tilts[1]) > th.end_tilt:
                kind = "S-state" if tilts[0] * tilts[1] > 0 else "C-state"
        label = f"{layer} {axis_name}" if kind == "uniform" else f"{layer} {kind} {axis_name}"
    elif abs(circ) >= th.vortex:
        kind, axis_name = "vortex", ""
        nx, ny = m.shape[:2]
        core = m[nx // 2 - (nx > 1) : nx // 2 + 1, ny // 2 - (ny > 1) : ny // 2 + 1, :, 2]
        polarity = int(np.sign(core.mean())) if abs(core.mean()) > 0.1 else 0
        label = f"{layer} vortex ({'ccw' if circ > 0 else 'cw'})"
    else:
        kind, axis_name = "multidomain", ""
        label = f"{layer} multidomain"
    return LayerState(
        layer=layer,
        label=label,
        kind=kind,
        axis=axis_name,
        mean=(float(mean[0]), float(mean[1]), float(mean[2])),
        circulation=circ,
        end_tilts=tilts,
        polarity=polarity,
    )


def state_label(states: list[LayerState] | tuple[LayerState, ...]) -> str:
    """Combined label of several layers, e.g. ``"FM1 multidomain / FM2 −x"``."""
    return " / ".join(s.label for s in states)
