"""The problem object: what is simulated, independent of where it came from (TOML, the trilayer
experiment or a Python script) and of how it is driven.

A :class:`Problem` holds the sample (grid, regions, materials), the initial magnetization, the
field terms that are always on (exchange, anisotropy, stray field), the drives that act during
the run only (applied field, spin accumulation), the local torques, and how to relax and step.
It relaxes itself (:meth:`Problem.relax` at zero drive, :meth:`Problem.minimize`); the time
evolution is driven from outside, by :func:`spintorque.run` (relax if asked, then the run with
table, OVF snapshots and checkpoints in an output folder, resumable; :mod:`spintorque.run_folder`)
or by the bare loop :func:`spintorque.drive.drive`::

    import spintorque as st

    py = st.Material("permalloy", Ms=8e5, A=1.3e-11, alpha=0.02)
    sample = st.Sample.box((500e-9, 125e-9, 3e-9), cell=(5e-9, 5e-9, 3e-9), material=py)
    problem = st.Problem(sample, m0=(1, 0.25, 0.1),
                         terms=[st.Exchange(sample), st.Demag(sample)],
                         drives=[st.Zeeman(sample, B=(-24.6e-3, 4.3e-3, 0))],
                         relaxation=st.Relaxation("minimize"))
    result = st.run(problem, 1e-9, output_every=1e-12, out="runs/sp4")

Every term is an object with ``name``, ``field(m, t, out)`` [A/m] and ``energy(m, t)`` [J]
(:class:`spintorque.fields.base.FieldTerm`); optional methods are used where a term has them:
``add_field`` (in-place sums), ``energy_from_field`` (table energies without a second field
evaluation), ``table_columns``/``table_values`` (extra table columns), ``state_dict``/
``load_state_dict`` (state carried by checkpoints, e.g. the spin accumulation's warm start).
"""

from __future__ import annotations

import math
import time as _time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from .dynamics.integrators.registry import DEFAULT_INTEGRATOR
from .dynamics.llg import LLG, Torque
from .fields.base import EffectiveField, FieldTerm
from .io.errors import UserError
from .materials import Sample, material_fingerprint

if TYPE_CHECKING:
    from .dynamics.relax import RelaxCheckpoint

RELAX_METHODS = ("minimize", "llg")


@dataclass(frozen=True)
class Stepping:
    """How the run is stepped.

    ``integrator``: a registered scheme (``rk45``, ``rk43``, ``gspm``, ...); ``dt`` [s]: the
    fixed step, or the adaptive schemes' first step; ``rtol`` [1]: the adaptive schemes'
    relative (and absolute) tolerance; ``dt_max`` [s]: their largest step; ``transport_update``:
    when the spin accumulation is solved (``"evaluation"``, ``"step"``, ``"accepted"``; None:
    the scheme's default). Options a scheme does not take are not passed to it.
    """

    integrator: str = DEFAULT_INTEGRATOR
    dt: float | None = None
    rtol: float | None = None
    dt_max: float | None = None
    transport_update: str | None = None

    def options(self, integrator: str | None = None) -> dict[str, Any]:
        """Keyword options for ``make_integrator(integrator or self.integrator, ...)``."""
        from .dynamics.integrators import integrator_options

        return integrator_options(integrator or self.integrator, dt=self.dt, rtol=self.rtol,
                                  dt_max=self.dt_max, transport_update=self.transport_update)

    def make(self, llg: LLG, integrator: str | None = None) -> Any:
        """The integrator for ``llg`` (:func:`spintorque.dynamics.integrators.make_integrator`)."""
        from .dynamics.integrators import make_integrator

        name = integrator or self.integrator
        return make_integrator(name, llg, **self.options(name))


@dataclass(frozen=True)
class Relaxation:
    """How to relax before a run: ``method`` ``"minimize"`` (Barzilai-Borwein descent on the
    sphere) or ``"llg"`` (rk45 at damping ``alpha``); stop when max|m × H| < ``tol`` [A/m]
    (the config's default 0.1 A/m; None: the minimizer's own default, 1e-5·max Ms) or after
    ``max_iter`` iterations, or at the method's floor (:mod:`spintorque.dynamics.relax`). A run
    that relaxes first stops with an error when the relaxation did not converge, unless
    ``allow_unconverged`` (then it warns and goes on)."""

    method: str = "minimize"
    tol: float | None = 0.1
    max_iter: int = 20000
    alpha: float = 1.0
    allow_unconverged: bool = False

    def __post_init__(self) -> None:
        if self.method not in RELAX_METHODS:
            raise UserError(f"relax.method = {self.method!r}; allowed: {list(RELAX_METHODS)}")


def _as_state(sample: Sample, m0: np.ndarray | Sequence[float]) -> np.ndarray:
    """Unit magnetization on the grid from a field of vectors or one vector; zero outside the
    magnetic cells."""
    v = np.asarray(m0, float)
    vshape = sample.grid.vshape
    if v.shape == (3,):
        norm = float(np.linalg.norm(v))
        if not norm > 0:
            raise UserError(f"m0 = {v.tolist()}: need a nonzero 3-vector")
        v = np.broadcast_to(v / norm, vshape).copy()
    elif v.shape != vshape:
        raise UserError(f"m0 of shape {v.shape}: need a 3-vector or shape {vshape}")
    else:
        v = v.copy()
    magnetic = sample.magnetic
    norms = np.linalg.norm(v[magnetic], axis=-1)
    if not np.all(np.isfinite(norms)) or not np.all(norms > 0):
        raise UserError("m0: every magnetic cell needs a finite nonzero vector")
    if np.any(np.abs(norms - 1.0) > 1e-14):  # unit vectors stay bit for bit as given
        v[magnetic] /= norms[:, None]
    v[~magnetic] = 0.0
    return v


class Problem:
    """A micromagnetic problem built from parts (see the module docstring for an example).

    Parameters
    ----------
    sample : the grid, regions and materials
    m0 : initial magnetization, a 3-vector or an array of shape ``grid.vshape`` (normalized here;
        zero in non-magnetic cells)
    terms : field terms on during relaxation and run (exchange, anisotropy, demag)
    drives : field terms on during the run only (applied field, spin accumulation)
    torques : local torques, run only (:class:`spintorque.dynamics.torques.ZhangLi`, ...)
    alpha : damping override for the run [1] (None: the materials' alpha)
    stepping : :class:`Stepping` of the run
    relaxation : :class:`Relaxation` before the run, or None (no relaxation)
    fingerprint : identity of the problem for resuming in an output folder (None: derived from
        the parts, see :meth:`identity`)
    """

    def __init__(
        self,
        sample: Sample,
        m0: np.ndarray | Sequence[float],
        terms: Sequence[FieldTerm],
        drives: Sequence[FieldTerm] = (),
        torques: Sequence[Torque] = (),
        *,
        alpha: float | None = None,
        stepping: Stepping | None = None,
        relaxation: Relaxation | None = None,
        fingerprint: str | None = None,
        description: dict[str, Any] | None = None,
    ) -> None:
        self.sample = sample
        self.m0 = _as_state(sample, m0)
        self.terms = list(terms)
        self.drives = list(drives)
        self.torques = list(torques)
        self.alpha = alpha
        self.stepping = stepping or Stepping()
        self.relaxation = relaxation
        self.fingerprint = fingerprint
        self.description = description
        names = [term.name for term in self.all_terms]
        if len(set(names)) != len(names):
            raise UserError(f"terms: names {names} repeat; each term may appear once")

    # -- the bound equations ----------------------------------------------------------------------
    @property
    def all_terms(self) -> list[FieldTerm]:
        """Field terms of the run: ``terms`` then ``drives``."""
        return self.terms + self.drives

    @cached_property
    def llg(self) -> LLG:
        """The run's LLG: every term, the torques, the ``alpha`` override."""
        return LLG(self.sample, EffectiveField(self.all_terms, self.sample.grid.vshape),
                   torques=self.torques, alpha=self.alpha)

    @cached_property
    def relax_llg(self) -> LLG:
        """The relaxation's LLG: the ``terms`` alone (no drive, no torque)."""
        return LLG(self.sample, EffectiveField(self.terms, self.sample.grid.vshape))

    def integrator(self) -> Any:
        """A fresh integrator of the run (:class:`Stepping`)."""
        return self.stepping.make(self.llg)

    def term(self, name: str) -> FieldTerm | None:
        """The field term called ``name`` (None if the problem has none)."""
        return next((term for term in self.all_terms if term.name == name), None)

    def stateful_terms(self) -> list[Any]:
        """Terms whose state travels in checkpoints (they have ``state_dict``)."""
        return [term for term in self.all_terms if hasattr(term, "state_dict")]

    def state_dict(self) -> dict[str, Any]:
        """The stateful terms' states, flat: ``"<term>/<key>"`` -> array."""
        return {f"{term.name}/{key}": value for term in self.stateful_terms()
                for key, value in term.state_dict().items()}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore the stateful terms from :meth:`state_dict` (other keys are ignored)."""
        for term in self.stateful_terms():
            prefix = f"{term.name}/"
            term.load_state_dict({k[len(prefix):]: v for k, v in state.items()
                                  if k.startswith(prefix)})

    @contextmanager
    def full_precision(self) -> Iterator[None]:
        """Every term in float64 inside the block (terms with a ``full_precision`` context, such
        as ``Demag(sample, precision="float32")``); relaxations run in it."""
        with ExitStack() as stack:
            for term in self.all_terms:
                if hasattr(term, "full_precision"):
                    stack.enter_context(term.full_precision())
            yield

    # -- identity ---------------------------------------------------------------------------------
    def identity(self) -> str:
        """A hash of what determines the result (for resuming in an output folder): the given
        ``fingerprint`` or, by default, ``description`` if given, else the sample's parameters,
        m0, the terms' and torques' class names and parameters, alpha, stepping and
        relaxation."""
        from .io.checkpoint import config_hash

        if self.fingerprint is not None:
            return self.fingerprint
        if self.description is not None:
            return config_hash(self.description)
        import hashlib

        def params(obj: Any) -> dict[str, Any]:
            return {k: v for k, v in vars(obj).items()
                    if isinstance(v, (int, float, str, bool, tuple)) and not k.startswith("_")}

        data = {
            "grid": [self.sample.grid.shape, self.sample.grid.cell],
            "region": hashlib.sha256(self.sample.region.tobytes()).hexdigest(),
            "materials": [material_fingerprint(mat) for mat in self.sample.materials],
            "m0": hashlib.sha256(self.m0.tobytes()).hexdigest(),
            "terms": [[type(t).__name__, t.name, params(t)] for t in self.terms],
            "drives": [[type(t).__name__, t.name, params(t)] for t in self.drives],
            "torques": [[type(t).__name__, params(t)] for t in self.torques],
            "alpha": self.alpha, "stepping": repr(self.stepping),
            "relaxation": repr(self.relaxation),
        }
        if self.sample.overrides:  # per-cell parameters (Sample.with_param); absent: hash as before
            data["overrides"] = [[key, hashlib.sha256(values.tobytes()).hexdigest()]
                                 for key, values in self.sample.overrides]
        return config_hash(data)

    # -- drivers ----------------------------------------------------------------------------------
    def minimize(self, m: np.ndarray | None = None, tol: float | None = None,
                 max_iter: int = 20000) -> tuple[np.ndarray, dict[str, Any]]:
        """Energy minimum near ``m`` (default m0) of the ``terms`` (no drive): unit m and a dict
        (method, converged, iterations, max_torque [A/m])."""
        return self.relax(m, Relaxation("minimize", tol=tol, max_iter=max_iter))

    def relax(
        self,
        m: np.ndarray | None = None,
        relaxation: Relaxation | None = None,
        progress: Callable[[str], None] | None = None,
        progress_every: float = 10.0,
        checkpoint: RelaxCheckpoint | None = None,
    ) -> tuple[np.ndarray, dict[str, Any]]:
        """Relaxed unit magnetization from ``m`` (default m0) at zero drive, and the record of
        the relaxation (method, converged, reason, iterations, evaluations, max_torque [A/m],
        energy [J]; :mod:`spintorque.dynamics.relax`).

        ``relaxation`` defaults to the problem's (or :class:`Relaxation`'s defaults).
        ``progress`` gets a line (iteration, energy, max|m × H|) about every ``progress_every``
        s of wall time. ``checkpoint``: save the relaxation's state on an interval and continue
        a matching saved one.
        """
        from .dynamics.relax import relax

        spec = relaxation or self.relaxation or Relaxation()
        start = self.m0 if m is None else m
        last = [_time.monotonic()]

        def report(iteration: int, energy: float, torque: float) -> None:
            now = _time.monotonic()
            if progress is not None and now - last[0] >= progress_every:
                e = f"E = {energy:.6g} J, " if math.isfinite(energy) else ""  # not tracked
                progress(f"relaxing ({spec.method}): iteration {iteration}, {e}"
                         f"max|mxH| = {torque:.3g} A/m (tol {spec.tol} A/m)")
                last[0] = now

        with self.full_precision():  # float32 energies would stall the descent (Demag)
            return relax(self.relax_llg, start, spec, self.stepping, report, checkpoint)
