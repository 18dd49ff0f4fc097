"""Ubermag drivers running spintorque in-process, in the structure of
``micromagneticmodel.ExternalDriver`` (as oommfc and mumax3c): ``drive(system, ...)`` checks the
system, makes ``<dirname>/<system.name>/drive-<n>/``, writes the input record and ``info.json``,
runs, and reads the result back into ``system.m`` and ``system.table``.

Drive folder (mumax3's layout, which ``micromagneticdata`` reads): ``m0.omf`` (the initial
magnetization), ``<name>.mx3`` (a record of the translated problem; spintorque's, not a mumax3
script, every line a ``//`` comment), ``info.json``, ``<name>.out/table.txt`` (mumax3 table
layout, SI units in the header) and ``<name>.out/m_NNNNNN.ovf`` (one OVF 2.0 snapshot per output
step; the initial state is ``m0.omf``). A time drive also keeps spintorque's own run folder
``spintorque/`` (``table.tsv``, snapshots, checkpoint) from :func:`spintorque.run`.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import pathlib
import pickle
import shutil
import sys
import warnings
from typing import Any

import discretisedfield as df
import micromagneticmodel as mm
import numpy as np

from ..dynamics.minimize import Minimizer
from ..io.ovf import write_magnetization
from ._values import UbermagSystemError
from .translate import PBC_IMAGES, Translation, translate

OVF_FORMATS = {"bin8": "binary", "bin4": "binary", "txt": "text"}
#: default stopping criterion of the minimizing drivers, max|m x H| [A/m]
STOPPING_MXHXM = 1e-4
#: largest rotation of a cell in one minimizer step [rad] (:class:`SmallStepMinimizer`)
MAX_STEP_ANGLE = 0.1
#: default iteration limit of one minimization (``stage_iteration_limit`` overrides it)
MAX_ITERATIONS = 50000
#: default fixed step [s] of the thermal (stochastic Heun) evolvers
THERMAL_DT = 1e-13


# -- evolvers ------------------------------------------------------------------------------------
class _Evolver(mm.Evolver):
    """An OOMMF evolver name, accepted with its OOMMF attributes; ``integrator`` is the
    spintorque scheme it runs (docs/ubermag.md lists them)."""

    integrator = "rk45"
    kind = "time"
    _allowed_attributes = ["method", "alpha", "gamma_G", "gamma_LL", "start_dm", "min_timestep",
                           "max_timestep", "fixed_timestep", "stage_start", "reject_goal",
                           "allowed_error_rate", "absolute_step_error", "relative_step_error",
                           "energy_precision", "min_step_headroom", "max_step_headroom",
                           "temperature", "uniform_seed", "tempscript", "tempscript_args",
                           "ito_calculus", "J", "mp", "P", "Lambda", "eps_prime", "u", "beta",
                           "gradient_reorientation", "line_minimizer", "minimum_bracket",
                           "maximum_bracket", "line_minimum_angle_precision",
                           "line_minimum_relwidth", "energy_error_adj", "kernel"]


class RungeKuttaEvolver(_Evolver):
    """OOMMF's Runge-Kutta evolver: runs spintorque's adaptive ``rk45``."""


class EulerEvolver(_Evolver):
    """OOMMF's Euler evolver: runs spintorque's adaptive ``rk45``."""


class SpinTEvolver(_Evolver):
    """OOMMF's Zhang-Li evolver: runs spintorque's adaptive ``rk45``."""


class SpinXferEvolver(_Evolver):
    """OOMMF's Slonczewski evolver: runs spintorque's adaptive ``rk45``."""


class _ThermalEvolver(_Evolver):
    integrator = "heun"


class UHH_ThetaEvolver(_ThermalEvolver):
    """OOMMF's thermal evolver: spintorque's stochastic Heun, fixed step ``fixed_timestep``."""


class Xf_ThermHeunEvolver(_ThermalEvolver):
    """OOMMF's thermal Heun evolver: spintorque's stochastic Heun, fixed step."""


class Xf_ThermSpinXferEvolver(_ThermalEvolver):
    """OOMMF's thermal Slonczewski evolver: spintorque's stochastic Heun, fixed step."""


class CGEvolver(_Evolver):
    """OOMMF's conjugate-gradient minimizer: runs spintorque's minimizer (Barzilai-Borwein
    descent on the sphere)."""

    kind = "min"


# -- shared driver machinery -----------------------------------------------------------------------
class _Driver(mm.ExternalDriver):
    _allowed_attributes = ["evolver", "stopping_mxHxm", "stopping_dm_dt", "stage_iteration_limit",
                           "total_iteration_limit", "stage_count_check", "checkpoint_file",
                           "checkpoint_interval"]
    _evolver_kind = "time"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._kw: dict[str, Any] = {}
        self._tr: Translation | None = None

    # ExternalDriver hooks
    def drive_kwargs_setup(self, drive_kwargs: dict[str, Any]) -> None:
        self._kw = dict(drive_kwargs)

    def schedule_kwargs_setup(self, schedule_kwargs: dict[str, Any]) -> None:
        self.drive_kwargs_setup(schedule_kwargs)

    def _evolver(self) -> _Evolver | None:
        ev = getattr(self, "evolver", None)
        if ev is not None and (not isinstance(ev, _Evolver) or ev.kind != self._evolver_kind):
            raise TypeError(f"{type(self).__name__} cannot use the evolver "
                            f"{type(ev).__name__}")
        return ev

    def _check_system(self, system: Any) -> None:
        if isinstance(self, TimeDriver) and len(system.dynamics) == 0:
            raise RuntimeError("System's dynamics is not defined")
        if len(system.energy) == 0:
            raise RuntimeError("System's energy is not defined")
        ev = self._evolver()
        integrator = getattr(ev, "integrator", "rk45") if ev is not None else "rk45"
        dt = None
        if integrator == "heun":
            dt = float(getattr(ev, "fixed_timestep", None) or THERMAL_DT)
        self._tr = translate(system, fixed_subregions=self._kw.get("fixed_subregions", ()),
                             integrator=integrator, dt=dt,
                             pbc_images=int(self._kw.get("pbc_images", PBC_IMAGES)))
        if self._tr.thermal and integrator != "heun":
            raise RuntimeError(f"system.T = {system.T}: a finite temperature needs a thermal "
                               "evolver (Xf_ThermHeunEvolver, UHH_ThetaEvolver or "
                               "Xf_ThermSpinXferEvolver); spintorque runs it with its "
                               "stochastic Heun scheme")

    def _write_input_files(self, system: Any, ovf_format: str = "bin8", **kwargs: Any) -> None:
        if ovf_format not in OVF_FORMATS:
            raise ValueError(f"ovf_format = {ovf_format!r}; allowed: {list(OVF_FORMATS)}")
        self._fmt = OVF_FORMATS[ovf_format]
        tr = self._tr
        p = tr.problem
        write_magnetization("m0.omf", p.m0, tr.ms, p.sample.grid, t=0.0, fmt=self._fmt)
        lines = [f"spintorque drive of the Ubermag system {system.name!r} (a record of the "
                 "translated problem, not a mumax3 script)",
                 f"driver: {type(self).__name__} {json.dumps(_jsonable(kwargs))}",
                 f"grid: n = {p.sample.grid.n}, cell = {p.sample.grid.cell} m, origin = "
                 f"{p.sample.grid.origin} m",
                 f"regions: {list(p.sample.names)}",
                 f"energy (Ubermag): {system.energy!r}",
                 f"dynamics (Ubermag): {system.dynamics!r}",
                 f"spintorque terms: {[t.name for t in p.terms]}",
                 f"spintorque drives: {[t.name for t in p.drives]}",
                 f"spintorque torques: {[getattr(t, 'name', type(t).__name__) for t in p.torques]}",
                 f"stepping: {p.stepping!r}"]
        pathlib.Path(f"{system.name}.mx3").write_text("".join(f"// {s}\n" for s in lines),
                                                     encoding="utf-8")

    def _call(self, system: Any, runner: Any = None, verbose: int = 0, **kwargs: Any) -> None:
        out = pathlib.Path(f"{system.name}.out")
        out.mkdir(exist_ok=True)
        from ..threads import limit_threads

        n_threads = kwargs.get("n_threads")
        if n_threads is not None:
            with limit_threads(int(n_threads)):
                self._m = self._run(system, out, **kwargs)
        else:
            self._m = self._run(system, out, **kwargs)

    def _read_data(self, system: Any) -> None:
        import ubermagtable as ut

        tr = self._tr
        values = self._m * tr.ms[..., None]
        system.m.array = values.reshape(system.m.array.shape)
        system.table = ut.Table.fromfile(f"{system.name}.out/table.txt", x=self._x)

    def _schedule_commands(self, system: Any, runner: Any = None) -> list[str]:
        return [f"{sys.executable} -m spintorque.ubermag scheduled.pickle"]

    def schedule(self, system: Any, cmd: str, header: str, **kwargs: Any) -> None:
        """Write the drive folder and submit ``python -m spintorque.ubermag scheduled.pickle``
        with ``cmd`` (e.g. ``sbatch``) and the resources in ``header`` (a file or a string),
        as ``micromagneticmodel.ExternalDriver.schedule``. The system must be picklable (no
        lambdas in it). A missing submission program is a ``RuntimeError``."""
        if shutil.which(cmd) is None:
            raise RuntimeError(f"Error during job schedule: the command {cmd!r} is not found")
        self._pickle_for_schedule = (system, {k: v for k, v in kwargs.items()
                                              if k not in ("script_name", "dirname", "append",
                                                           "runner", "verbose")})
        super().schedule(system, cmd, header, **kwargs)

    def _write_schedule_script(self, system: Any, header: Any, script_name: str,
                               runner: Any) -> None:
        sysobj, kw = self._pickle_for_schedule
        try:
            with open("scheduled.pickle", "wb") as f:
                pickle.dump((type(self), dict(self), sysobj, kw), f)
        except Exception as exc:
            raise UbermagSystemError(f"schedule: the system cannot be pickled ({exc}); use "
                                     "functions defined at module level") from None
        super()._write_schedule_script(system, header, script_name, runner)

    # helpers for the drivers
    def _tables(self, out: pathlib.Path, columns: list[str]) -> Any:
        from ..io.ubermag_table import UbermagTableWriter

        return UbermagTableWriter(out / "table.txt", columns)

    def _snapshot(self, out: pathlib.Path, number: int, t: float, m: np.ndarray) -> None:
        tr = self._tr
        write_magnetization(out / f"m_{number:06d}.ovf", m, tr.ms, tr.problem.sample.grid, t=t,
                            fmt=self._fmt)

    def _iteration_limit(self) -> int:
        limit = getattr(self, "stage_iteration_limit", None) or getattr(
            self, "total_iteration_limit", None)
        return int(limit) if limit else MAX_ITERATIONS

    def _minimize(self, m: np.ndarray, tol: float, each: Any = None
                  ) -> tuple[np.ndarray, dict[str, Any]]:
        """Minimize from ``m`` with :class:`SmallStepMinimizer` until max|m × H| < ``tol``
        [A/m]; ``each(iteration, m)`` after every accepted step."""
        run = SmallStepMinimizer(self._tr.problem.relax_llg, m, tol)
        limit = self._iteration_limit()
        while not run.done and run.iteration < limit:
            if not run.step():
                break
            if each is not None:
                each(run.iteration, run.m)
        if not math.isfinite(run.torque):
            raise RuntimeError(f"{type(self).__name__}: the field became NaN or Inf")
        return run.m, {"converged": bool(run.torque < run.tol or run.torque == 0),
                       "iterations": run.iteration, "max_torque": float(run.torque),
                       "message": run.message}

    def _warn_unconverged(self, info: dict[str, Any], tol: float) -> None:
        if not info["converged"]:
            warnings.warn(f"{type(self).__name__}: not converged after {info['iterations']} "
                          f"iterations (max|m x H| = {info['max_torque']:.3g} A/m > {tol} A/m; "
                          f"{info['message']})", stacklevel=3)


class SmallStepMinimizer(Minimizer):
    """spintorque's Barzilai-Borwein minimizer (:class:`spintorque.dynamics.minimize.Minimizer`,
    monotone in energy) with every step turning a cell by at most :data:`MAX_STEP_ANGLE` rad
    instead of 1 rad. The descent then follows the energy landscape closely enough to end in
    the minimum whose basin the start state lies in: from standard problem 3's vortex start
    the 1 rad steps jump over the barrier into the flower state."""

    def step(self) -> bool:
        if self.torque > 0:
            self.tau = min(self.tau, MAX_STEP_ANGLE / self.torque)
        return super().step()


def _jsonable(kw: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in kw.items():
        try:
            json.dumps(v)
            out[k] = v
        except TypeError:
            out[k] = repr(v)
    return out


# -- the drivers ---------------------------------------------------------------------------------
class TimeDriver(_Driver):
    """Time evolution: ``drive(system, t=..., n=...)`` runs ``t`` [s] and saves ``n`` steps
    (table rows and snapshots at t/n, 2t/n, ..., t), through :func:`spintorque.run`.
    Options: ``evolver`` (:class:`RungeKuttaEvolver` etc.; a thermal one for ``system.T`` > 0),
    ``n_threads``, ``ovf_format``. ``stopping_dm_dt`` is accepted and not used (the drive runs
    to ``t``)."""

    _x = "t"

    def drive_kwargs_setup(self, drive_kwargs: dict[str, Any]) -> None:
        t, n = drive_kwargs.get("t"), drive_kwargs.get("n")
        if t is None or n is None:
            raise ValueError("TimeDriver.drive needs t [s] and n (number of steps)")
        if not (float(t) > 0):
            raise ValueError(f"t = {t!r}: must be > 0")
        if int(n) != n or int(n) < 1:
            raise ValueError(f"n = {n!r}: must be a positive integer")
        super().drive_kwargs_setup(drive_kwargs)

    def _run(self, system: Any, out: pathlib.Path, *, t: float, n: int, **kw: Any) -> np.ndarray:
        from ..io.table import read_table
        from ..run_folder import run

        problem = self._tr.problem
        every = float(t) / int(n)
        result = run(problem, float(t), every, "spintorque", snapshot_every=every,
                     checkpoint_every=3600.0, progress=None)
        table = read_table("spintorque/table.tsv")
        with self._tables(out, list(table.columns)) as writer:
            for row in table.data[1:]:  # the initial state is m0.omf, not a step
                writer.append(row)
        snaps = sorted(pathlib.Path("spintorque").glob("m_*.ovf"))[1:]
        for i, snap in enumerate(snaps):
            target = out / f"m_{i:06d}.ovf"
            try:
                os.link(snap, target)
            except OSError:
                shutil.copyfile(snap, target)
        return result.m


class MinDriver(_Driver):
    """Energy minimization with spintorque's minimizer until max|m × H| < ``stopping_mxHxm``
    [A/m] (default :data:`STOPPING_MXHXM`). ``fixed_subregions``: regions whose m is held;
    ``output_step=True``: a table row and snapshot after every iteration (the minimizer
    restarts its step size each time: slower)."""

    _x = "iteration"
    _evolver_kind = "min"

    def _run(self, system: Any, out: pathlib.Path, output_step: bool = False, **kw: Any
             ) -> np.ndarray:
        from ..outputs import TableFormat

        problem = self._tr.problem
        tol = float(getattr(self, "stopping_mxHxm", None) or STOPPING_MXHXM)
        fmt = TableFormat(problem)
        with self._tables(out, [*fmt.columns(), "iteration"]) as writer:
            numbers = itertools.count()

            def record(it: int, m: np.ndarray) -> None:
                writer.append([*fmt.row(0.0, m), it])
                self._snapshot(out, next(numbers), 0.0, m)

            m, info = self._minimize(problem.m0, tol, record if output_step else None)
            if not output_step or info["iterations"] == 0:
                record(info["iterations"], m)
        self._warn_unconverged(info, tol)
        return m


class HysteresisDriver(_Driver):
    """Hysteresis: an extra uniform field steps through ``Hmin``/``Hmax``/``n`` (Hmax → Hmin
    → Hmax, n fields each way) or ``Hsteps`` (``[[H_start, H_end, n], ...]``), [A/m], added to
    the system's own Zeeman terms; at each field m is minimized (``stopping_mxHxm``) and a table
    row (with ``B_hysteresis``, ``Bx_hysteresis``... = mu0 H [T]) and snapshot written."""

    _x = "B_hysteresis"
    _evolver_kind = "min"

    def drive_kwargs_setup(self, drive_kwargs: dict[str, Any]) -> None:
        if "Hsteps" in drive_kwargs:
            steps = [(np.asarray(a, float), np.asarray(b, float), int(k))
                     for a, b, k in drive_kwargs["Hsteps"]]
        elif all(k in drive_kwargs for k in ("Hmin", "Hmax", "n")):
            hmin = np.asarray(drive_kwargs["Hmin"], float)
            hmax = np.asarray(drive_kwargs["Hmax"], float)
            n = int(drive_kwargs["n"])
            steps = [(hmax, hmin, n), (hmin, hmax, n)]
        else:
            raise ValueError("HysteresisDriver.drive needs Hmin, Hmax and n, or Hsteps")
        fields: list[np.ndarray] = []
        for a, b, k in steps:
            if a.shape != (3,) or b.shape != (3,) or k < 2:
                raise ValueError("HysteresisDriver: each step needs two 3-vectors [A/m] and "
                                 "n >= 2")
            seg = [a + (b - a) * i / (k - 1) for i in range(k)]
            if fields and np.allclose(fields[-1], seg[0]):
                seg = seg[1:]
            fields += seg
        self._fields = fields
        super().drive_kwargs_setup(drive_kwargs)

    def _run(self, system: Any, out: pathlib.Path, **kw: Any) -> np.ndarray:
        from ..constants import MU0
        from ..outputs import TableFormat
        from .terms import UbermagZeeman

        problem = self._tr.problem
        z = UbermagZeeman(problem.sample, np.zeros(problem.sample.grid.vshape),
                          name="hysteresis_field")
        problem.terms.append(z)
        tol = float(getattr(self, "stopping_mxHxm", None) or STOPPING_MXHXM)
        fmt = TableFormat(problem)
        cols = [*fmt.columns(), "B_hysteresis (T)", "Bx_hysteresis (T)", "By_hysteresis (T)",
                "Bz_hysteresis (T)"]
        m = problem.m0
        with self._tables(out, cols) as writer:
            for i, H in enumerate(self._fields):
                z.set_H(H)
                m, info = self._minimize(m, tol)
                self._warn_unconverged(info, tol)
                B = MU0 * H
                writer.append([*fmt.row(0.0, m), float(np.linalg.norm(B)), *B])
                self._snapshot(out, i, 0.0, m)
        return m


class RelaxDriver(_Driver):
    """Relaxation by the LLG (spintorque's ``llg`` relaxation, rk45 at the system's damping)
    until max|m × H| < ``stopping_mxHxm`` [A/m] (default :data:`STOPPING_MXHXM`). Not an
    attribute of :mod:`spintorque.ubermag` (see docs/ubermag.md): import it from
    ``spintorque.ubermag.drivers``."""

    _x = "iteration"
    _evolver_kind = "time"

    def _run(self, system: Any, out: pathlib.Path, **kw: Any) -> np.ndarray:
        from ..outputs import TableFormat
        from ..problem import Relaxation

        problem = self._tr.problem
        tol = float(getattr(self, "stopping_mxHxm", None) or STOPPING_MXHXM)
        alpha = problem.sample.param("alpha")[problem.sample.magnetic]
        if not np.any(alpha > 0):
            raise RuntimeError("RelaxDriver: the system needs Damping with alpha > 0")
        m, info = problem.relax(problem.m0, Relaxation("llg", tol=tol, alpha=float(alpha.max()),
                                                       allow_unconverged=True))
        fmt = TableFormat(problem)
        with self._tables(out, [*fmt.columns(), "iteration"]) as writer:
            writer.append([*fmt.row(0.0, m), int(info.get("iterations", 0))])
        self._snapshot(out, 0, 0.0, m)
        return m


# -- compute and delete ------------------------------------------------------------------------
def _density(term: Any, m: np.ndarray, ms: np.ndarray) -> np.ndarray:
    from ..constants import MU0

    if hasattr(term, "density"):
        return term.density(m, 0.0)
    h = term.field(m, 0.0)
    return -0.5 * MU0 * ms * np.einsum("...i,...i", m, h)


def compute(func: Any, system: Any, /, dirname: str = ".", **kwargs: Any) -> Any:
    """Evaluate ``func`` of the system's energy or one of its terms, at ``system.m``:
    ``energy`` (float [J]), ``density`` (``discretisedfield.Field`` [J/m^3]) or
    ``effective_field`` (``discretisedfield.Field`` [A/m]), e.g.
    ``compute(system.energy.demag.effective_field, system)``. Makes the folder
    ``<dirname>/<name>/compute-<n>/`` with the result (``result.json`` or ``result.ovf``)."""
    name = getattr(func, "__name__", "")
    owner = getattr(func, "__self__", None)
    if name not in ("energy", "density", "effective_field") or not isinstance(
            owner, (mm.Energy, mm.energy.EnergyTerm)):
        raise ValueError(f"compute: {func!r} is not the energy, density or effective_field of "
                         "the system's energy or of one of its terms")
    tr = translate(system)
    problem = tr.problem
    m = problem.m0
    if isinstance(owner, mm.Energy):
        terms = [t for ts in tr.by_term.values() for t in ts]
    else:
        terms = tr.by_term.get(owner.name)
        if terms is None:
            raise ValueError(f"compute: the term {owner.name!r} is not in the system's energy")
    seen: list[Any] = []
    for t in terms:
        if all(t is not s for s in seen):
            seen.append(t)
    workdir = mm.ExternalDriver._setup_working_directory(system, dirname, "compute")
    mesh = system.m.mesh
    if name == "energy":
        result: Any = float(sum(t.energy(m, 0.0) for t in seen))
        (workdir / "result.json").write_text(json.dumps({"energy": result, "unit": "J"}))
        return result
    if name == "effective_field":
        h = np.zeros(m.shape)
        for t in seen:
            h += t.field(m, 0.0)
        write_magnetization(workdir / "result.ovf", h, np.ones(m.shape[:3]), tr.problem.sample
                            .grid, unit="1")
        return df.Field(mesh, nvdim=3, value=h, units="A/m")
    w = np.zeros(m.shape[:3])
    for t in seen:
        w += _density(t, m, tr.ms)
    np.save(workdir / "result.npy", w)
    return df.Field(mesh, nvdim=1, value=w[..., None], units="J/m^3")


def delete(system: Any, dirname: str = ".") -> None:
    """Remove the system's folder ``<dirname>/<system.name>`` (all its drives)."""
    path = pathlib.Path(dirname, system.name)
    if path.exists():
        shutil.rmtree(path)


def run_scheduled(path: str | os.PathLike) -> None:
    """Run a drive written by :meth:`_Driver.schedule` (``python -m spintorque.ubermag
    scheduled.pickle`` in the drive folder)."""
    import datetime

    with open(path, "rb") as f:
        cls, attrs, system, kw = pickle.load(f)
    driver = cls(**attrs)
    driver.drive_kwargs_setup(dict(kw))
    driver._check_system(system)
    fmt = kw.pop("ovf_format", "bin8")
    driver._write_input_files(system, ovf_format=fmt, **kw)
    start = datetime.datetime.now()
    ok = False
    try:
        driver._call(system, **kw)
        ok = True
    finally:
        driver._update_info_json(start, datetime.datetime.now(), ok)
