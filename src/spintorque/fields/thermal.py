"""Stochastic thermal field (Brown): a Gaussian white-noise field H_th [A/m] per magnetic cell.

The field enters the LLG like any other field term, in the Gilbert form
``dm/dt = −γ0 m × (H + H_th) + α m × dm/dt``, i.e. in this code's explicit LL form
``−γ0/(1+α²) [m × (H + H_th) + α m × (m × (H + H_th))]`` (noise in both the precession and the
damping term). Its components are independent, with

    ⟨H_th,i(t) H_th,j(t')⟩ = σ² δ_ij δ(t − t'),   σ² = 2 α k_B T / (γ0 μ0 Ms V)   [A²/m² · s]

(γ0 = μ0γ [m/(A·s)], V the cell volume [m³]); this is the fluctuation-dissipation value for which
the Stratonovich solution has the Boltzmann distribution ∝ exp(−E/k_B T) as its stationary state
(derivation in docs/theory/thermal.md). Over a step Δt the field is constant with variance
σ²/Δt per component.

The field is drawn once per step by a stochastic integrator (``heun``): the integrator calls
:meth:`ThermalField.begin_step` before the first stage, every stage sees the same field, and
:meth:`ThermalField.end_step` after the last. Outside a step the field is zero, so table rows
(energies, max|m × H|) are deterministic functions of m and the ``E_thermal`` column is 0.
Adaptive schemes cannot integrate it (a rejected step would need the same Brownian path at
another step size); building one for a problem with T > 0 is refused
(:func:`spintorque.dynamics.integrators.make_integrator`).

Cells with T = 0, α = 0 or Ms = 0 get no noise. Random numbers come from one numpy
:class:`~numpy.random.Generator` (PCG64) seeded with ``seed``: 3 standard normals per noisy cell
and step, in C order of the noisy cells, independent of the thread count. Its state is the
term's ``state_dict`` and so travels in checkpoints: a resumed run continues the same trajectory
bit for bit.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..constants import MU0
from ..materials import Sample
from .base import linear_energy

#: Boltzmann constant [J/K] (exact, SI 2019)
K_B: float = 1.380649e-23


def cell_temperatures(sample: Sample, T: float | np.ndarray = 0.0,
                      per_region: Mapping[str, float] | None = None) -> np.ndarray:
    """Per-cell temperature [K], shape ``grid.shape``: ``T`` everywhere (a number or an array of
    the grid's shape), overridden by ``per_region`` (region name -> T [K]); zero in non-magnetic
    cells. ValueError on a negative or non-finite T or an unknown region name."""
    cells = np.array(np.broadcast_to(np.asarray(T, dtype=float), sample.grid.shape))
    for name, value in (per_region or {}).items():
        if name not in sample.names:
            raise ValueError(f"thermal.per_region.{name}: no region named {name!r}; regions "
                             f"are {list(sample.names)}")
        cells[sample.mask(name)] = float(value)
    if not np.all(np.isfinite(cells)) or np.any(cells < 0):
        bad = cells[~(np.isfinite(cells) & (cells >= 0))].flat[0]
        raise ValueError(f"thermal: T = {float(bad)!r} K; need finite temperatures >= 0 K")
    cells[~sample.magnetic] = 0.0
    return cells


class ThermalField:
    """Brown's thermal field at temperature ``T`` [K] (see the module docstring).

    Parameters
    ----------
    sample : the grid, regions and materials (Ms [A/m], γ0 [m/(A·s)], α per cell)
    T : temperature [K] everywhere: a number >= 0 or an array of shape ``grid.shape``
    seed : seed of the run's random stream (an int >= 0)
    per_region : region name -> temperature [K], overriding ``T`` in that region
    alpha : damping [1] the noise is scaled with (a number or per-cell array); None: the
        materials' α. A stochastic integrator sets it to its LLG's damping
        (:meth:`use_damping`), so that a run's ``alpha`` override is honoured.
    """

    name = "thermal"
    #: drawn once per step by a stochastic integrator (see :meth:`begin_step`)
    stochastic = True

    def __init__(
        self,
        sample: Sample,
        T: float | np.ndarray = 0.0,
        seed: int = 0,
        per_region: Mapping[str, float] | None = None,
        alpha: float | np.ndarray | None = None,
    ) -> None:
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ValueError(f"thermal.seed = {seed!r}: need an integer >= 0")
        self.seed = int(seed)
        self.temperature = cell_temperatures(sample, T, per_region)
        #: the temperature description (part of the problem's identity)
        self.T_spec = (repr(float(T)) if np.ndim(T) == 0
                       else hashlib.sha256(np.ascontiguousarray(T, float).tobytes()).hexdigest())
        self.per_region = tuple(sorted((str(k), float(v)) for k, v in (per_region or {}).items()))
        self._sample = sample
        ms = sample.param("Ms")
        gamma0 = sample.param("gamma0")
        volume = sample.grid.cell_volume
        magnetic = ms > 0
        # σ²/α = 2 k_B T / (γ0 μ0 Ms V) [A²/m² · s]; zero where T = 0 or Ms = 0
        with np.errstate(divide="ignore", invalid="ignore"):
            per_alpha = np.where(magnetic & (self.temperature > 0),
                                 2.0 * K_B * self.temperature
                                 / (gamma0 * MU0 * np.where(magnetic, ms, 1.0) * volume), 0.0)
        if not np.all(np.isfinite(per_alpha)):
            raise ValueError("thermal: gamma0 must be > 0 in every magnetic cell with T > 0")
        self._per_alpha = per_alpha
        self._ms_volume = ms * volume
        self._h = np.zeros(sample.grid.vshape)
        self._rng = np.random.Generator(np.random.PCG64(self.seed))
        self._active = False
        self._steps_drawn = 0
        self.use_damping(sample.param("alpha") if alpha is None else alpha)

    # -- setup ------------------------------------------------------------------------------------
    def use_damping(self, alpha: float | np.ndarray) -> None:
        """Scale the noise with damping ``alpha`` [1] (a number or a per-cell array): the
        per-cell standard deviation times √Δt, σ = √(2 α k_B T / (γ0 μ0 Ms V))."""
        a = np.broadcast_to(np.asarray(alpha, dtype=float), self.temperature.shape)
        if not np.all(np.isfinite(a)) or np.any(a < 0):
            raise ValueError("thermal: alpha must be finite and >= 0")
        sigma = np.sqrt(self._per_alpha * a)
        noisy = sigma > 0
        self._noisy_mask = noisy
        self._all_noisy = bool(noisy.all())
        self._n_noisy = int(noisy.sum())
        self._sigma_flat = np.ascontiguousarray(sigma[noisy])[:, None]  # (n_noisy, 1)
        self._z = np.zeros((self._n_noisy, 3))

    @property
    def active(self) -> bool:
        """True between :meth:`begin_step` and :meth:`end_step`."""
        return self._active

    @property
    def steps_drawn(self) -> int:
        """Steps drawn so far (restored from checkpoints)."""
        return self._steps_drawn

    @property
    def noisy(self) -> bool:
        """True if some cell gets noise (T > 0, α > 0, Ms > 0 somewhere)."""
        return self._n_noisy > 0

    @property
    def mean_temperature(self) -> float:
        """Average temperature [K] over the magnetic cells."""
        magnetic = self._sample.magnetic
        return float(self.temperature[magnetic].mean()) if magnetic.any() else 0.0

    # -- the step protocol ------------------------------------------------------------------------
    def begin_step(self, dt: float) -> None:
        """Draw the field of a step of ``dt`` [s]: per noisy cell and component σ/√dt times a
        standard normal (one draw of 3 × noisy cells numbers from the run's stream); the field is
        on until :meth:`end_step`."""
        if not (dt > 0 and math.isfinite(dt)):
            raise ValueError(f"thermal: step dt = {dt!r} s must be positive and finite")
        self._active = True
        if not self._n_noisy:
            return
        self._standard_normal(self._z)
        self._z *= self._sigma_flat
        self._z *= 1.0 / math.sqrt(dt)
        if self._all_noisy:
            self._h.reshape(-1, 3)[...] = self._z
        else:
            self._h[self._noisy_mask] = self._z
        self._steps_drawn += 1

    def _standard_normal(self, out: np.ndarray) -> None:
        """Fill ``out`` with independent standard normals from the run's stream (the one place
        random numbers are drawn; a test may substitute coupled paths here)."""
        self._rng.standard_normal(out=out)

    def end_step(self) -> None:
        """The step is over: the field is zero again until the next :meth:`begin_step`."""
        self._active = False

    # -- the field term interface -----------------------------------------------------------------
    def field(self, m: np.ndarray, t: float = 0.0, out: np.ndarray | None = None) -> np.ndarray:
        """H_th [A/m] of the current step (zero outside a step)."""
        out = np.zeros_like(m) if out is None else out
        if self._active and self._n_noisy:
            out[...] = self._h
        else:
            out[...] = 0.0
        return out

    def add_field(self, m: np.ndarray, t: float, out: np.ndarray) -> np.ndarray:
        """out += H_th [A/m] (nothing outside a step)."""
        if self._active and self._n_noisy:
            out += self._h
        return out

    def energy_from_field(self, m: np.ndarray, h: np.ndarray) -> float:
        """−μ0 Σ Ms V m·H_th [J] of the field ``h`` just computed (0 outside a step)."""
        return linear_energy(self._ms_volume, m, h)

    def energy(self, m: np.ndarray, t: float = 0.0) -> float:
        """−μ0 Σ Ms V m·H_th [J] (0 outside a step)."""
        if not (self._active and self._n_noisy):
            return 0.0
        return linear_energy(self._ms_volume, m, self._h)

    def table_columns(self) -> list[str]:
        return ["T (K)"]

    def table_values(self, m: np.ndarray, t: float) -> list[float]:
        """The mean temperature [K] over the magnetic cells."""
        return [self.mean_temperature]

    # -- checkpoints ------------------------------------------------------------------------------
    def state_dict(self) -> dict[str, Any]:
        """The random stream's state (JSON-able; PCG64's 128-bit integers stay exact)."""
        return {"rng": self._rng.bit_generator.state, "steps_drawn": int(self._steps_drawn)}

    def load_state_dict(self, state: Mapping[str, Any]) -> None:
        """Continue the stream saved by :meth:`state_dict` (a state without ``rng``, e.g. from a
        run without this term, leaves the stream as it is)."""
        if "rng" not in state:
            return
        from ..io.checkpoint import rng_from_state

        saved = state["rng"]
        if not isinstance(saved, Mapping) or saved.get("bit_generator") != "PCG64":
            raise ValueError(f"thermal: checkpointed rng state {saved!r} is not a PCG64 state")
        self._rng = rng_from_state(dict(saved))
        self._steps_drawn = int(state.get("steps_drawn", 0))
