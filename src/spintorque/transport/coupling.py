"""The spin accumulation as an effective-field term: H = c s / mu0 in the magnetic cells.

The LLG (docs/theory/llg.md, the LLG equation) carries the torque −γ m × (c s) (Gilbert form, c s in
tesla), i.e. an extra field H_s = c s/mu0 [A/m] next to the other terms, so it enters both
integrators (RK45 and GSPM, which treats every non-exchange term explicitly) unchanged. At each
evaluation ``field(m, t)`` solves the transport model for s from the current m (quasi-static,
warm-started from the previous s): transport relaxes ~100× faster than m (docs/theory/transport.md,
quasi-static and time-dependent solves).

Transport mesh: with ``z_refine = r`` every magnetization cell is split into r sub-cells along
z; m is piecewise constant on them, and s is averaged back over the r sub-cells (c is constant
within a cell, so this is the average of c·s).

Time-dependent mode (``mode = "implicit"``): instead of the steady state, s follows
∂s/∂t = b − K(m) s from s = 0 when the current is switched on, one implicit Euler step from the
last solve time to each new evaluation time (docs/theory/transport.md, quasi-static and
time-dependent solves). Evaluations must come at non-decreasing times (a repeated time returns the
last s), so it suits the fixed-step GSPM, not RK stages that go back in time after a rejected step.

``energy`` returns 0: the spin-transfer torque is a driven, non-equilibrium term with no energy
functional (it does work on m supplied by the current), so it contributes nothing to the
magnetic free energy that the other terms' energies add up to.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numba
import numpy as np

from ..constants import MU0
from ..fields.base import write_or_add
from ..materials import Sample
from .current_field import CurrentField
from .diffusion import DiffusionModel, current_vector
from .models import transport_model
from .solver import TransportSolver

MODES = ("quasistatic", "implicit")
# 4-point Gauss-Legendre on [-1, 1]: exact for the lag polynomial ω up to degree 7
_GAUSS_X, _GAUSS_W = np.polynomial.legendre.leggauss(4)


@numba.njit(cache=True)
def _scaled_extrapolation(out, sa, sb, f, c, accumulate):
    """out (+)= c · (s_b + f (s_b − s_a)) on flat arrays (c per cell): the predicted field in
    one pass, no temporaries."""
    n = c.shape[0]
    for i in range(n):
        ci = c[i]
        for k in range(3):
            j = 3 * i + k
            v = ci * (sb[j] + f * (sb[j] - sa[j]))
            if accumulate:
                out[j] += v
            else:
                out[j] = v


@numba.njit(cache=True)
def _scaled_combination(out, s0, s1, s2, w0, w1, w2, c, accumulate):
    """out (+)= c · (w0 s0 + w1 s1 + w2 s2) on flat arrays (c per cell): the quadratic
    prediction in one pass."""
    n = c.shape[0]
    for i in range(n):
        ci = c[i]
        for k in range(3):
            j = 3 * i + k
            v = ci * (w0 * s0[j] + w1 * s1[j] + w2 * s2[j])
            if accumulate:
                out[j] += v
            else:
                out[j] = v


def _lagrange_weights(times: Sequence[float], t: float) -> tuple[float, ...]:
    """Weights of the values at ``times`` in the polynomial through them, evaluated at t."""
    w = []
    for i, ti in enumerate(times):
        v = 1.0
        for j, tj in enumerate(times):
            if j != i:
                v *= (t - tj) / (ti - tj)
        w.append(v)
    return tuple(w)


def _through(solves: Sequence[tuple[float, np.ndarray]], t: float) -> np.ndarray:
    """The polynomial in time through the ``(t_i, s_i)`` of ``solves``, evaluated at t."""
    w = _lagrange_weights([ts for ts, _ in solves], t)
    return sum(wi * ss for wi, (_, ss) in zip(w, solves, strict=True))


def _nonzero(current) -> bool:
    """True if a current density (vector, cell array or field) has a nonzero value."""
    if isinstance(current, CurrentField):
        return any(bool(np.any(f)) for f in current.faces)
    arr = np.asarray(current, dtype=float)
    return bool(np.any(current_vector(current))) if arr.ndim <= 1 else bool(np.any(arr))


class SpinAccumulationField:
    """Field term ``c s / mu0`` [A/m] from the spin accumulation solved self-consistently with m.

    Parameters
    ----------
    sample : Sample (transport parameters per region, see :class:`DiffusionModel`)
    model : a registered model name (:data:`~spintorque.transport.models.TRANSPORT_MODELS`:
        ``"diffusion"`` (ZLF), ``"moment"``), or a model instance (then ``bc``,
        ``z_refine``, ``a``, ``sign_e`` are ignored; a nonzero ``current_density`` replaces the
        model's current)
    current_density : A/m²; scalar (along z), 3-vector, a non-uniform field (a
        :class:`~.current_field.CurrentField` such as ``ChargeSolution.field``, or a cell array
        ``vshape``), or a callable ``t [s] -> any of these``
    bc, z_refine, sign_e : see :class:`DiffusionModel`; ``a`` : moment-model coefficient
    method, preconditioner, rtol : see :class:`TransportSolver`
    mode : ``"quasistatic"`` (default) or ``"implicit"`` (time-dependent, module docstring)
    predict_order : degree of the polynomial in time through the last solves that predicts s
        while ``hold`` is set: 1 (default, linear from the last two) or 2 (quadratic from the
        last three; the prediction error falls from O(τ²) to O(τ³) in the time τ since the
        last solve, docs/performance.md "Work-precision at 2 × 10¹² A/m²")

    Attributes
    ----------
    s : last spin accumulation on the sample grid, shape ``grid.vshape`` [A/m] (sub-cell mean)
    s_fine : last spin accumulation on the transport mesh, shape ``(nx, ny, nz·r, 3)`` [A/m]
    solver : the :class:`TransportSolver` (``stats`` holds iterations and timings)
    hold : while True, :meth:`field` does not solve but predicts s at the requested time by
        extrapolation in time from the last ``predict_order + 1`` solves (of lower degree while
        fewer exist; the last s if there was one solve only); set by integrators that solve s
        once per step (``transport_update = "step"`` or ``"accepted"`` of GSPM and RK45). The
        first call always solves.
    solves : the last ``predict_order + 1`` solves as ``(t [s], s)`` pairs, oldest first
        (checkpointed)
    """

    name = "spin_accumulation"

    def __init__(
        self,
        sample: Sample,
        model: str | DiffusionModel = "diffusion",
        current_density: float | Sequence[float] | Callable[[float], object] = 0.0,
        *,
        bc: str = "N",
        z_refine: int = 1,
        a: float = 1.0,
        sign_e: float = -1.0,
        method: str = "auto",
        preconditioner: str = "auto",
        rtol: float = 1e-6,
        mode: str = "quasistatic",
        predict_order: int = 1,
    ):
        if mode not in MODES:
            raise ValueError(f"mode = {mode!r}: allowed values are {MODES}")
        if predict_order not in (1, 2):
            raise ValueError(f"predict_order = {predict_order!r}: allowed values are 1, 2")
        self.predict_order = int(predict_order)
        self.mode = mode
        self.t_last: float | None = None  # time of the last implicit step [s]
        self.sample = sample
        self._current_fn = current_density if callable(current_density) else None
        j0 = 0.0 if callable(current_density) else current_density
        if isinstance(model, str):
            model = transport_model(model).build(sample, j0, bc=bc, z_refine=z_refine,
                                                 sign_e=sign_e, a=a)
        elif not callable(current_density) and _nonzero(current_density):
            model.current = model.as_current(current_density)
        self.model = model
        self.solver = TransportSolver(
            model, method=method, preconditioner=preconditioner, rtol=rtol
        )
        c = np.array([mat.effective_c_sd for mat in sample.materials])[sample.region]
        self._c_over_mu0 = np.where(sample.magnetic, c / MU0, 0.0)[..., None]
        self._c_flat = np.ascontiguousarray(self._c_over_mu0).reshape(-1)
        self.s = np.zeros(sample.grid.vshape)
        self._s_cells = np.zeros((model.ncells, 3))
        self.hold = False
        self.solves: list[tuple[float, np.ndarray]] = []
        # with predict_order 2: the same solves on the transport mesh (the Krylov start)
        self._fine_solves: list[tuple[float, np.ndarray]] = []

    def once_per_step(self) -> None:
        """Set up for one solve per LLG step (called by the integrators' ``TransportHold``).

        Keeps the solver's projected warm start over the last two solutions only
        (``history`` = 2): when the last s alone misses the tolerance, the start becomes
        s_n + c (s_n − s_(n−1)) with c minimizing the residual, a linear extrapolation in time
        with a fitted step ratio that costs one extra product. The default history of 6 pays
        when several solves per step see m move along a few directions; one step apart its
        extra products are wasted (measured on the 4 nm trilayer, ZLF: 6.8 instead of 10.7 ms
        of solve per step), while the two-solution start halves the Krylov iterations of a
        strongly driven run (moment model at 2e12 A/m², moving state: 6.0 → 2.9 per solve;
        docs/performance.md).

        With ``predict_order = 2`` the Krylov start is the quadratic prediction itself, and the
        solver keeps no history (``history`` = 0) and takes up to eight minimal-residual steps
        (``gmres_steps`` = 8) before BiCGSTAB: the projection's two extra products no longer
        find a better start, and BiCGSTAB's pairs of preconditioner applications cost more
        than GMRES steps from a start a few times the tolerance (moment model at 2e12 A/m²,
        moving state, transport rtol 1e-4: 9.9 → 6.1 products per solve, 46 → 34 ms per solve,
        iterations 5.2 → 5.1; docs/performance.md)."""
        if self.predict_order == 2:
            self.solver.history = 0
            self.solver.gmres_steps = 8
        else:
            self.solver.history = 2
        self.solver.warm_history = np.zeros((0, *self.solver.s.shape))

    @property
    def s_fine(self) -> np.ndarray:
        """The last s on the transport mesh, ``(nx, ny, nz·r, 3)`` [A/m] (built on request)."""
        return self.model.mesh.to_grid(self._s_cells)

    def current(self, t: float = 0.0) -> np.ndarray:
        """Current density [A/m²] at time t [s]: a vector, or a field (:meth:`DiffusionModel.
        as_current`)."""
        if self._current_fn is not None:
            return self.model.as_current(self._current_fn(t))
        return self.model.current

    def solve(self, m: np.ndarray, t: float = 0.0) -> np.ndarray:
        """Solve for s from m (warm start); returns s on the sample grid ``vshape`` [A/m]."""
        t = float(t)
        if self.mode == "implicit":
            sc = self._advance(m, t)
        else:
            # quadratic prediction: the Krylov start is the prediction on the transport mesh
            # (once per step the solver then keeps no history of its own, see once_per_step)
            start = (self._predict_fine(t) if self.predict_order == 2
                     and len(self._fine_solves) == 3 else None)
            sc = self.solver.solve(m, self.current(t), s0=start)
        self._s_cells = sc
        self.s = self.model.mesh.restrict(sc)
        # a solve at or before a recorded time (a step retried after a rejection) replaces it
        keep = self.predict_order
        self.solves = [(ts, ss) for ts, ss in self.solves if ts < t][-keep:] + [(t, self.s.copy())]
        if self.predict_order == 2:
            self._fine_solves = ([(ts, ss) for ts, ss in self._fine_solves if ts < t][-keep:]
                                 + [(t, sc.copy())])
        return self.s

    def _predict_fine(self, t: float) -> np.ndarray:
        """The quadratic prediction at t [s] on the transport mesh ``(N, 3)`` [A/m]."""
        return _through(self._fine_solves, t)

    def add_solve_correction(self, m: np.ndarray, t: float, out: np.ndarray) -> np.ndarray:
        """Solve s at (m, t) and add ``c (s_solved − s_predicted) / mu0`` [A/m] to ``out``:
        the change of this term's field from the prediction an evaluation under ``hold`` used
        to the solution (``transport_update = "accepted"``). The solve is recorded as usual."""
        s_pred = self.predict(t) if self.solves else np.zeros_like(self.s)
        s_new = self.solve(m, t)
        out += (s_new - s_pred) * self._c_over_mu0
        return out

    def lag_weight(self, t0: float, t1: float) -> float:
        """Mean over a step [t0, t1] [s] of the prediction's error relative to its value at t1.

        The polynomial through the last solves at t_i misses a smooth s by
        ω(t) s⁽ᵏ⁾/k! with ω(t) = Π (t − t_i) (to leading order), so the error seen at time t
        is ω(t)/ω(t1) times the one measured by the solve at t1; an integrator that solved at
        t1 corrects its step by this mean times dt times the rate of that measured error."""
        times = np.array([ts for ts, _ in self.solves], dtype=float)
        if times.size == 0:
            return 0.0
        tq = 0.5 * (t1 - t0) * _GAUSS_X + 0.5 * (t1 + t0)
        omega = np.prod(tq[:, None] - times[None, :], axis=1)
        end = float(np.prod(t1 - times))
        return float(0.5 * (_GAUSS_W @ omega) / end) if end != 0.0 else 0.0

    def predict(self, t: float) -> np.ndarray:
        """s at time t [s] extrapolated from the last solves (no solve) [A/m]: linear from the
        last two, or with ``predict_order = 2`` quadratic from the last three."""
        if len(self.solves) == 3:
            return _through(self.solves, float(t))
        sa, sb, f = self._extrapolation(t)
        return sb + f * (sb - sa)

    def _weights(self, t: float) -> tuple[float, ...]:
        return _lagrange_weights([ts for ts, _ in self.solves], float(t))

    def _extrapolation(self, t: float) -> tuple[np.ndarray, np.ndarray, float]:
        """(s_a, s_b, f) with the prediction at t = s_b + f (s_b − s_a) (f = 0 after one solve)."""
        if not self.solves:
            raise RuntimeError("SpinAccumulationField.predict: no solve yet")
        if len(self.solves) == 1:
            return self.solves[0][1], self.solves[0][1], 0.0
        (ta, sa), (tb, sb) = self.solves
        return sa, sb, (float(t) - tb) / (tb - ta)

    def _advance(self, m: np.ndarray, t: float) -> np.ndarray:
        """Implicit Euler from the last solve time to t; s = 0 at the first call."""
        if self.t_last is None:
            self.t_last = t
            self.solver.s = np.zeros_like(self.solver.s)
        elif t < self.t_last:
            raise ValueError(
                f"transport mode 'implicit': evaluation at t = {t:.6e} s before the last one at "
                f"{self.t_last:.6e} s; the time-dependent mode needs a fixed-step integrator "
                "(gspm)"
            )
        elif t > self.t_last:
            self.solver.s = self.solver.step(m, self.solver.s, t - self.t_last, self.current(t))
            self.t_last = t
        return self.solver.s.copy()

    def field(self, m: np.ndarray, t: float = 0.0, out: np.ndarray | None = None) -> np.ndarray:
        """H = c s / mu0 [A/m], shape ``vshape``, zero outside the magnetic cells."""
        out = np.empty_like(m) if out is None else out
        return self._field(m, t, out, False)

    def add_field(self, m: np.ndarray, t: float, out: np.ndarray) -> np.ndarray:
        """out += c s / mu0 [A/m] (predicted or solved as in :meth:`field`)."""
        return self._field(m, t, out, True)

    def _field(self, m: np.ndarray, t: float, out: np.ndarray, accumulate: bool) -> np.ndarray:
        if self.hold and len(self.solves) == 3:
            w0, w1, w2 = self._weights(t)
            (_, s0), (_, s1), (_, s2) = self.solves
            if not out.flags.c_contiguous:
                return write_or_add(out, np.multiply(w0 * s0 + w1 * s1 + w2 * s2,
                                                     self._c_over_mu0), accumulate)
            _scaled_combination(out.reshape(-1), s0.reshape(-1), s1.reshape(-1),
                                s2.reshape(-1), w0, w1, w2, self._c_flat, accumulate)
            return out
        if self.hold and self.solves:
            sa, sb, f = self._extrapolation(t)
        else:
            sa = sb = self.solve(m, t)
            f = 0.0
        if not out.flags.c_contiguous:
            return write_or_add(out, np.multiply(sb + f * (sb - sa), self._c_over_mu0), accumulate)
        _scaled_extrapolation(out.reshape(-1), sa.reshape(-1), sb.reshape(-1), f, self._c_flat,
                              accumulate)
        return out

    def energy(self, m: np.ndarray, t: float = 0.0) -> float:
        """0 J: the torque is non-conservative (see the module docstring)."""
        return 0.0

    # -- outputs and checkpoints ----------------------------------------------------------------
    def _conducting_layers(self) -> list[str]:
        sample = self.sample
        return [name for name, mat in zip(sample.names, sample.materials, strict=True)
                if mat.conducting]

    def table_columns(self) -> list[str]:
        """Header cells this term adds to a run's table: mean |s| [A/m] per conducting layer."""
        return [f"|s|_{name} (A/m)" for name in self._conducting_layers()]

    def table_values(self, m: np.ndarray, t: float) -> list[float]:
        """Mean |s| [A/m] over each conducting layer's cells, from the last solve."""
        s = self.s
        if s is None or s.shape != self.sample.grid.vshape:
            return [math.nan] * len(self._conducting_layers())
        return [float(np.linalg.norm(s[self.sample.mask(name)], axis=-1).mean())
                for name in self._conducting_layers()]

    def state_dict(self) -> dict[str, np.ndarray]:
        """Arrays that make a resumed run continue bit for bit: s on the grid [A/m], the
        solver's warm start and projected history, the time of the last implicit step [s] and
        the last solves from which predictions are made."""
        out = {"s": np.array(self.s)}
        if isinstance(self.solver.s, np.ndarray):
            out["warm"] = self.solver.s.copy()
        past = getattr(self.solver, "warm_history", None)
        if isinstance(past, np.ndarray) and past.size:
            out["history"] = past
        if self.t_last is not None:
            out["time"] = np.array(self.t_last)
        if self.solves:
            out["solve_times"] = np.array([ts for ts, _ in self.solves])
            out["solves"] = np.array([ss for _, ss in self.solves])
        if self._fine_solves:
            out["fine_solve_times"] = np.array([ts for ts, _ in self._fine_solves])
            out["fine_solves"] = np.array([ss for _, ss in self._fine_solves])
        return out

    def load_state_dict(self, state: dict[str, np.ndarray]) -> None:
        """Restore what :meth:`state_dict` returned."""
        if "s" in state:
            self.s = np.array(state["s"])
        if "warm" in state:
            self.solver.s = np.array(state["warm"])
        if "history" in state and hasattr(self.solver, "warm_history"):
            self.solver.warm_history = state["history"]
        if "time" in state:
            self.t_last = float(state["time"])
        if "solve_times" in state and "solves" in state:
            self.solves = [(float(ts), np.array(ss))
                           for ts, ss in zip(state["solve_times"], state["solves"], strict=True)]
        if "fine_solve_times" in state and "fine_solves" in state:
            self._fine_solves = [(float(ts), np.array(ss)) for ts, ss in
                                 zip(state["fine_solve_times"], state["fine_solves"], strict=True)]
