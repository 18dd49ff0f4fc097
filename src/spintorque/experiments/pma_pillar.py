"""The perpendicular spin-valve pillar: a circular MRAM-like stack with perpendicular anisotropy.

Bottom to top, all inside one cylinder of diameter ``diameter`` (the cells outside are empty):
a reference layer (``ref``, frozen along +z: a pinned layer), a Cu spacer and the free layer
(``free``), one cell thick each along z by default. The free layer starts antiparallel (along −z,
tilted by ``theta0`` towards +x) and a current along z switches it to parallel (+z). Three
spin-torque descriptions act on the same device: the spin accumulation of the diffusion model
or of the moment model, solved self-consistently in the whole pillar (``spin_accumulation``
term), and the local Slonczewski torque with polarization ``P`` and Λ = ``Lambda``.

Current sign: ``j`` [A/m²] is the conventional current along +z (bottom → top) for the
transport models (:mod:`spintorque.transport.diffusion`), so electrons flow from the free
layer into the reference layer for j > 0; the switching current of AP → P is negative. The
local torque is given the same physical current: its J [A/m²] (positive when electrons flow
from the fixed layer into the free layer, :class:`spintorque.dynamics.torques.Slonczewski`)
is ``-j``. So all three drives switch AP → P at j < 0.

Macrospin (Sun) threshold of the local torque for the collinear perpendicular case: linearizing
the Gilbert equation about the free layer's initial direction s·z (s = −1 for AP) with
p = +z gives a growth rate (β ε − α γ0 H_eff)/(1 + α²), so

    j_c = α μ0 e d Ms H_eff / (ħ ε),   H_eff = 2 Ku/(μ0 Ms) − (N_z − N_x) Ms + s H_ref,

with ε = P Λ²/((Λ² + 1) − (Λ² − 1) s) (ε of m·p = s), d the free layer's thickness, N its
demagnetizing factors and H_ref the reference layer's stray field along z averaged over the free
layer, both from the device's own stray-field operator (:func:`macrospin_inputs`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from ..constants import E_CHARGE, HBAR, MU0
from ..dynamics.torques import Slonczewski
from ..fields.anisotropy import UniaxialAnisotropy
from ..fields.exchange import Exchange
from ..geometry import Cylinder
from ..materials import Material, Sample
from ..mesh import Grid
from ..problem import Problem, Stepping

#: the drives compared side by side (the two transport models and the local torque)
DRIVES = ("diffusion", "moment", "slonczewski")

#: CoFeB-like perpendicular magnet with the magnum.fe transport parameters (docs/theory/
#: parameters.md), s-d coupling from one J_sd = 2 ħ D0/λ_J² at λ_J = 4 nm
_FM = {"Ms": 1.1e6, "A": 2.0e-11, "Ku": 1.0e6, "axis": (0.0, 0.0, 1.0), "alpha": 0.05,
       "D0": 1e-3, "beta": 0.9, "beta_prime": 0.8, "lambda_sf": 10e-9,
       "J_sd": 2.0 * HBAR * 1e-3 / (4e-9) ** 2}
_CU = {"Ms": 0.0, "D0": 5e-3, "lambda_sf": 10e-9}


@dataclass(frozen=True)
class PillarDevice:
    """Geometry [m], materials and drive parameters of the pillar (module docstring).

    ``cell``: (dx, dy, dz) [m], dz the thickness of one layer cell; ``t_ref``, ``t_spacer``,
    ``t_free``: layer thicknesses [m] (whole multiples of dz); ``fm``: overrides of the FM
    parameters (both magnetic layers), ``P``, ``Lambda``: the local Slonczewski torque's
    polarization and asymmetry; ``z_refine``: transport sub-cells per cell along z;
    ``theta0``: initial tilt of the free layer from −z [degrees].
    """

    diameter: float = 40e-9
    cell: tuple[float, float, float] = (4e-9, 4e-9, 2e-9)
    t_ref: float = 2e-9
    t_spacer: float = 2e-9
    t_free: float = 2e-9
    fm: dict[str, Any] = field(default_factory=dict)
    P: float = 0.5
    Lambda: float = 1.0
    z_refine: int = 4
    theta0: float = 2.0

    def fm_params(self) -> dict[str, Any]:
        return {**_FM, **self.fm}

    def materials(self) -> tuple[Material, Material, Material]:
        fm = self.fm_params()
        ref = Material("ref", frozen=True, **fm)
        free = Material("free", P=self.P, Lambda=self.Lambda, **fm)
        return ref, Material("cu", **_CU), free

    def sample(self) -> Sample:
        """The pillar on its grid: the cylinder's cells in three layers, the rest empty."""
        dx, dy, dz = self.cell
        n_xy = max(1, math.ceil(self.diameter / dx - 1e-9))
        counts = [round(t / dz) for t in (self.t_ref, self.t_spacer, self.t_free)]
        for name, t, k in zip(("t_ref", "t_spacer", "t_free"),
                              (self.t_ref, self.t_spacer, self.t_free), counts, strict=True):
            if k < 1 or abs(t / dz - k) > 1e-9 * k:
                raise ValueError(f"{name} = {t!r} m: need a whole number of cells of {dz!r} m")
        grid = Grid((n_xy, round(self.diameter / dy + 0.4999999), sum(counts)), self.cell)
        size = grid.size
        center = (size[0] / 2, size[1] / 2)
        ref, cu, free = self.materials()
        bounds = np.cumsum([0, *counts]) * dz
        regions = [(name, mat, Cylinder(center, self.diameter / 2, z=(bounds[i], bounds[i + 1])))
                   for i, (name, mat) in enumerate((("ref", ref), ("spacer", cu), ("free", free)))]
        return Sample.from_regions(grid, regions)

    def m0(self, sample: Sample) -> np.ndarray:
        """Reference along +z, free layer along −z tilted by ``theta0`` towards +x."""
        m = np.zeros(sample.grid.vshape)
        m[sample.mask("ref")] = (0.0, 0.0, 1.0)
        th = math.radians(self.theta0)
        m[sample.mask("free")] = (math.sin(th), 0.0, -math.cos(th))
        return m

    def problem(self, drive: str, j: float, *, demag: bool = True,
                stepping: Stepping | None = None, extra_terms: list[Any] | None = None,
                shape: Any = None) -> Problem:
        """The pillar driven by ``drive`` (one of :data:`DRIVES`) at current density ``j``
        [A/m²] (conventional, along +z); ``shape``: a pulse shape w(t) multiplying the current
        (:mod:`spintorque.waveforms`); ``extra_terms``: e.g. a thermal field."""
        if drive not in DRIVES:
            raise ValueError(f"drive = {drive!r}; allowed: {list(DRIVES)}")
        sample = self.sample()
        terms: list[Any] = [Exchange(sample), UniaxialAnisotropy(sample)]
        if demag:
            from ..fields.demag import Demag

            terms.append(Demag(sample))
        drives: list[Any] = list(extra_terms or [])
        torques: list[Any] = []
        if drive == "slonczewski":
            torque: Any = Slonczewski(sample, -j, (0.0, 0.0, 1.0), region="free")
            if shape is not None:
                from ..waveforms import ScaledTorque

                torque = ScaledTorque(torque, shape)
            torques.append(torque)
        else:
            from ..transport.coupling import SpinAccumulationField
            from ..waveforms import scaled_current

            current: Any = scaled_current(j, shape) if shape is not None else j
            drives.append(SpinAccumulationField(sample, model=drive, current_density=current,
                                                z_refine=self.z_refine))
        return Problem(sample, self.m0(sample), terms, drives=drives, torques=torques,
                       stepping=stepping or Stepping("rk45"))

    def with_(self, **changes: Any) -> PillarDevice:
        return replace(self, **changes)


@dataclass(frozen=True)
class MacrospinInputs:
    """Free layer's demagnetizing factors ``N`` (x, y, z) and the reference layer's mean stray
    field along z over the free layer ``H_ref`` [A/m], from the device's stray-field operator."""

    N: tuple[float, float, float]
    H_ref: float


def macrospin_inputs(device: PillarDevice) -> MacrospinInputs:
    """:class:`MacrospinInputs` of ``device`` (one stray-field evaluation per direction)."""
    from ..fields.demag import Demag

    sample = device.sample()
    demag = Demag(sample)
    free, ref = sample.mask("free"), sample.mask("ref")
    ms = device.fm_params()["Ms"]
    n = []
    for axis in range(3):
        m = np.zeros(sample.grid.vshape)
        m[free, axis] = 1.0
        n.append(-float(demag.field(m)[free, axis].mean()) / ms)
    m = np.zeros(sample.grid.vshape)
    m[ref] = (0.0, 0.0, 1.0)
    h_ref = float(demag.field(m)[free, 2].mean())
    return MacrospinInputs((n[0], n[1], n[2]), h_ref)


def sun_critical_current(device: PillarDevice, inputs: MacrospinInputs | None = None,
                         start: int = -1) -> float:
    """Macrospin threshold j_c [A/m²] (conventional current along +z; negative for AP → P)
    of the local Slonczewski torque, module docstring; ``start``: the free layer's initial
    direction s (−1: AP, along −z; +1: P)."""
    inputs = inputs or macrospin_inputs(device)
    fm = device.fm_params()
    ms, ku, alpha = fm["Ms"], fm["Ku"], fm["alpha"]
    s = float(start)
    h_eff = 2 * ku / (MU0 * ms) - (inputs.N[2] - inputs.N[0]) * ms + s * inputs.H_ref
    lam2 = device.Lambda**2
    eps = device.P * lam2 / ((lam2 + 1.0) - (lam2 - 1.0) * s)
    j_torque = alpha * MU0 * E_CHARGE * device.t_free * ms * h_eff / (HBAR * eps)
    # the torque's J drives m towards p = +z when positive; from −z that is J > 0, i.e. j < 0
    return -j_torque if s < 0 else j_torque


def tilt_growth_rate(device: PillarDevice, drive: str, j: float, duration: float = 0.4e-9,
                     rows: int = 9) -> float:
    """Growth rate [1/s] of the free layer's tilt from its initial axis under ``drive`` at
    ``j``, from a least-squares fit of ln sin θ(t) over ``rows`` outputs of a ``duration`` run
    (rk45 at rtol 1e-7); positive: the initial state is unstable."""
    from ..drive import Stop
    from ..drive import drive as run_loop

    problem = device.problem(drive, j, stepping=Stepping("rk45", rtol=1e-7))
    stops = [Stop(duration * k / (rows - 1)) for k in range(rows)]
    free = problem.sample.mask("free")
    tilts: list[float] = []

    class _Tilt:
        def open(self, _state: Any) -> None: ...
        def state(self) -> dict[str, Any]:
            return {}
        def close(self) -> None: ...
        def __call__(self, stop: Any, t: float, m: np.ndarray) -> None:
            mean = m[free].mean(axis=0)
            tilts.append(math.hypot(mean[0], mean[1]) / np.linalg.norm(mean))

    run_loop(problem, problem.m0, stops, hooks=[_Tilt()])
    times = np.array([s.t for s in stops])
    slope = np.polyfit(times, np.log(np.array(tilts)), 1)[0]
    return float(slope)


def critical_current_from_growth(device: PillarDevice, drive: str, j_lo: float, j_hi: float,
                                 duration: float = 0.4e-9) -> tuple[float, float, float]:
    """Threshold j_c [A/m²] where the tilt's growth rate crosses zero, by linear interpolation
    between runs at ``j_lo`` and ``j_hi`` (the rate is linear in j for the local torque, and
    nearly so for the transport models); returns (j_c, rate at j_lo, rate at j_hi) [1/s]."""
    r_lo = tilt_growth_rate(device, drive, j_lo, duration)
    r_hi = tilt_growth_rate(device, drive, j_hi, duration)
    return j_lo + (j_hi - j_lo) * r_lo / (r_lo - r_hi), r_lo, r_hi
