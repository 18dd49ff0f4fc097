"""The config front end: a validated :class:`~spintorque.config.RunConfig` -> a
:class:`~spintorque.problem.Problem` -> a run in an output folder.

``build(cfg)`` makes the problem (sample stacked from the layers, initial state, terms, drives,
torques, stepping, relaxation); ``run_config(cfg, out_dir)`` runs it as ``spintorque run``
does (:mod:`spintorque.run_folder` describes the files and the resume rules), with
``run.threads`` compute threads (:mod:`spintorque.threads`). The relaxation has every term except
the applied field and the spin accumulation, and no current-driven torque.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from .config import RunConfig
from .drive import SimulationError
from .fields.anisotropy import UniaxialAnisotropy
from .fields.exchange import Exchange
from .fields.zeeman import Zeeman
from .initial import initial_state
from .io.checkpoint import config_hash
from .io.errors import ResumeError
from .materials import Sample
from .problem import Problem, Relaxation, Stepping
from .run_folder import (
    BusyError,
    ConfigMismatchError,
    RunResult,
    Schedule,
    output_stops,
    run_in_folder,
)
from .run_folder import run as _run_in_folder
from .switching_time import SwitchingTime
from .threads import check_threads, limit_threads, reapply

__all__ = ["BusyError", "ConfigMismatchError", "ResumeError", "RunResult", "SimulationError",
           "as_config", "build", "build_sample", "output_stops", "run", "run_config", "run_hash"]

_BC = {"neumann": "N", "zero_flux": "Z"}


def as_config(cfg: RunConfig | dict) -> RunConfig:
    """A validated ``RunConfig`` from a ``RunConfig`` or a plain dict (validated here)."""
    if isinstance(cfg, dict):
        from .config import config_from_dict

        return config_from_dict(cfg)
    return cfg


def build_sample(cfg: RunConfig) -> Sample:
    """Layers of the config stacked along z, bottom first (:meth:`Sample.stack`); with layer
    shapes or ``[[region]]`` tables, :func:`spintorque.config.geometry.shaped_sample`; then the
    ``[[cell_values]]`` tables."""
    from .config.cell_values import apply_cell_values
    from .config.geometry import shaped_sample, uses_geometry

    if uses_geometry(cfg):
        return apply_cell_values(cfg, shaped_sample(cfg))
    nx, ny, _ = cfg.grid_shape
    sample = Sample.stack((nx, ny), tuple(float(c) for c in cfg.mesh.cell), cfg.stack())
    return apply_cell_values(cfg, sample)


def _applied_field(cfg: RunConfig, sample: Sample) -> list[Any]:
    spec = cfg.field
    if spec is None:
        return []
    b = np.asarray(spec.B, float) if spec.time is None else spec.applied
    has_static = spec.time is not None or np.any(b != 0)
    if not (has_static or spec.per_region):
        return []
    return [Zeeman(sample, B=b, per_region=spec.per_region or None)]


def _transport(cfg: RunConfig, sample: Sample) -> list[Any]:
    spec = cfg.transport
    if spec.model == "none":
        return []
    # imported lazily: runs without transport never need the transport package
    from .transport.coupling import SpinAccumulationField

    j = spec.current_density
    current = float(j) if isinstance(j, (int, float)) else tuple(map(float, j))
    if getattr(cfg, "current", None) is not None:  # [current]: the solved non-uniform current
        from .transport.charge import solve_config_current

        current = solve_config_current(cfg.current, sample).field
        if cfg.pulse is not None:
            from .transport.charge import scaled_field

            current = scaled_field(current, cfg.pulse.shape())
    elif cfg.pulse is not None:
        from .waveforms import scaled_current

        current = scaled_current(current, cfg.pulse.shape())
    return [SpinAccumulationField(
        sample, model=spec.model,
        current_density=current,
        bc=_BC[spec.boundary], z_refine=int(spec.z_refine), a=float(spec.moment_a),
        rtol=float(spec.rtol), mode=spec.mode, predict_order=int(spec.predict_order),
    )]


def _torques(cfg: RunConfig, sample: Sample) -> list[Any]:
    zl, sl, alpha = cfg.torque.zhang_li, cfg.torque.slonczewski, cfg.run.alpha
    if zl is None and sl is None:
        return []
    from .dynamics.torques import Slonczewski, ZhangLi

    out: list[Any] = []
    solved = None
    if getattr(cfg, "current", None) is not None:  # [current]: the solved non-uniform current
        from .transport.charge import solve_config_current

        solved = solve_config_current(cfg.current, sample).field
    if zl is not None:
        j_zl: Any = tuple(zl.current_density) if solved is None else solved.cell
        out.append(ZhangLi(sample, current_density=j_zl, P=zl.P,
                           xi=float(zl.xi), convention=zl.convention, alpha=alpha))
    if sl is not None:
        # J > 0: electrons from the fixed into the free layer; conventional j_z > 0 carries
        # electrons towards -z, i.e. from the free layer into a fixed layer below it
        j_sl: Any = (float(sl.current_density) if solved is None else
                     (-1.0 if sl.fixed_layer == "below" else 1.0) * solved.cell[..., 2])
        out.append(Slonczewski(sample, current_density=j_sl, p=tuple(sl.p),
                               P=sl.P, Lambda=sl.Lambda, eps_prime=sl.eps_prime,
                               region=sl.region, thickness=sl.thickness, alpha=alpha,
                               thickness_convention=sl.thickness_convention))
    if cfg.pulse is not None:
        from .waveforms import ScaledTorque

        out = [ScaledTorque(torque, cfg.pulse.shape()) for torque in out]
    return out


def _thermal(cfg: RunConfig, sample: Sample) -> list[Any]:
    """The thermal field of ``[thermal]`` (a drive: the relaxation is done at 0 K)."""
    spec = getattr(cfg, "thermal", None)
    if spec is None or not spec.active:
        return []
    from .fields.thermal import ThermalField

    return [ThermalField(sample, T=float(spec.T), seed=int(spec.seed),
                         per_region=dict(spec.per_region))]


def _chiral_cubic(sample: Sample) -> list[Any]:
    """Interfacial DMI, bulk DMI and cubic anisotropy, each only where a magnetic cell has a
    nonzero ``Dind``, ``Dbulk`` or ``Kc1``/``Kc2``."""
    magnetic = sample.magnetic

    def present(key: str) -> bool:  # per cell: [[cell_values]] may set it where materials do not
        return bool(np.any(sample.param(key)[magnetic] != 0))

    out: list[Any] = []
    if present("Dind"):
        from .fields.dmi import InterfacialDMI

        out.append(InterfacialDMI(sample))
    if present("Dbulk"):
        from .fields.dmi import BulkDMI

        out.append(BulkDMI(sample))
    if present("Kc1") or present("Kc2"):
        from .fields.cubic import CubicAnisotropy

        out.append(CubicAnisotropy(sample))
    return out


def build(cfg: RunConfig | dict) -> Problem:
    """The :class:`Problem` a config describes (a dict is validated first)."""
    cfg = as_config(cfg)
    sample = build_sample(cfg)
    pair_A = {tuple(p.layers): float(p.A) for p in cfg.exchange.pair} or None
    terms: list[Any] = [Exchange(sample, float(cfg.exchange.interregion_scale), pair_A=pair_A)]
    if np.any(sample.param("Ku")[sample.magnetic] != 0):
        terms.append(UniaxialAnisotropy(sample))
    terms += _chiral_cubic(sample)
    if cfg.interlayer:  # [[interlayer]]: RKKY across spacers
        from .fields.interlayer import InterlayerExchange

        terms.append(InterlayerExchange(sample, [(*c.pair, float(c.J1), float(c.J2))
                                                 for c in cfg.interlayer]))
    if cfg.demag.enabled:
        from .fields.demag import Demag

        terms.append(Demag(sample, precision=cfg.run.precision))
    run, relax = cfg.run, cfg.relax
    stepping = Stepping(run.integrator, dt=run.dt, rtol=run.rtol, dt_max=run.dt_max,
                        transport_update=run.transport_update)
    relaxation = (Relaxation(relax.method, tol=relax.tol, max_iter=relax.max_iter,
                             alpha=relax.alpha, allow_unconverged=relax.allow_unconverged)
                  if relax.enabled else None)
    return Problem(sample, initial_state(cfg, sample), terms,
                   drives=_applied_field(cfg, sample) + _transport(cfg, sample)
                   + _thermal(cfg, sample),
                   torques=_torques(cfg, sample), alpha=run.alpha, stepping=stepping,
                   relaxation=relaxation, fingerprint=run_hash(cfg))


#: tables and keys added after the first release, left out of :func:`run_hash` while unused,
#: so that a config that does not use them keeps its hash (and its runs resume)
_UNUSED_TOP = {"region": [], "interlayer": [], "cell_values": [], "thermal": None, "current": None,
               "pulse": None,
               "switching": None}


def _drop_unused(data: dict[str, Any]) -> None:
    """Remove the later tables and keys at their unused value from a dumped config, in place;
    ``[hysteresis]`` always (a sweep's identity adds its fields, spintorque.hysteresis)."""
    from .materials import LATER_KEYS

    data.pop("hysteresis", None)
    for key, unused in _UNUSED_TOP.items():
        if key in data and data[key] in (unused, None):
            data.pop(key)
    if isinstance(data.get("run"), dict) and data["run"].get("precision") == "float64":
        data["run"].pop("precision")
    if isinstance(data.get("transport"), dict) and data["transport"].get("predict_order") == 1:
        data["transport"].pop("predict_order")
    slon = (data.get("torque") or {}).get("slonczewski")
    if isinstance(slon, dict) and slon.get("fixed_layer") is None:
        slon.pop("fixed_layer", None)
    if isinstance(data.get("exchange"), dict) and not data["exchange"].get("pair"):
        data["exchange"].pop("pair", None)
    for layer in data.get("layer") or []:
        if isinstance(layer, dict) and layer.get("shape") is None:
            layer.pop("shape", None)
    for mat in (data.get("material") or {}).values():
        for key, unused in LATER_KEYS.items():
            value = mat.get(key, unused) if isinstance(mat, dict) else unused
            if isinstance(value, list):
                value = tuple(value)
            if isinstance(mat, dict) and key in mat and value == unused:
                mat.pop(key)


def run_hash(cfg: RunConfig) -> str:
    """Hash of everything that determines the result (``title``, ``run.checkpoint_every``,
    ``run.threads`` and the file formats ``run.table_format``, ``run.vtk`` excluded: a run may
    resume with another thread count or more output files; initial OVF files also by
    content)."""
    data = json.loads(json.dumps(cfg.model_dump(mode="json"), default=str))
    data.pop("title", None)
    if isinstance(data.get("run"), dict):  # how the run is carried out, not what it computes
        for key in ("checkpoint_every", "threads", "table_format", "vtk"):
            data["run"].pop(key, None)
    _drop_unused(data)
    files = {}
    for layer in [*cfg.layer, *getattr(cfg, "region", [])]:
        path = layer.initial.file if layer.initial is not None else None
        if path is not None and Path(path).is_file():
            files[layer.name] = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    for i, spec in enumerate(getattr(cfg, "cell_values", [])):  # value files by content too
        files[f"cell_values[{i}]"] = hashlib.sha256(Path(spec.file).read_bytes()).hexdigest()
    for reg in getattr(cfg, "region", []):  # mask files by content too
        if reg.mask is not None and Path(reg.mask).is_file():
            files[f"{reg.name}.mask"] = hashlib.sha256(Path(reg.mask).read_bytes()).hexdigest()
    return config_hash({"config": data, "files": files})


def run_config(
    cfg: RunConfig | dict,
    out_dir: str | Path,
    *,
    restart: bool = False,
    progress: Callable[[str], None] | None = print,
    progress_every: float = 10.0,
    threads: int | None = None,
    precision: str | None = None,
) -> RunResult:
    """Relax (if enabled) and run ``cfg`` for ``cfg.run.duration`` seconds in ``out_dir``
    (:func:`spintorque.run_folder.run_in_folder`); resumes an unfinished run found there,
    returns a finished one unchanged. ``config.json`` records the config. ``threads``: compute
    threads (default ``cfg.run.threads``, itself 1 by default; :mod:`spintorque.threads`);
    ``precision``: the stray field's precision (default ``cfg.run.precision``, "float64"; it
    is part of the run's identity when not "float64")."""
    cfg = as_config(cfg)
    if precision is not None and precision != cfg.run.precision:
        from .fields.demag.convolution import PRECISIONS
        from .io.errors import ConfigError

        if precision not in PRECISIONS:
            raise ConfigError.single("run.precision", repr(precision),
                                     "'float64' or 'float32'", "run_config(precision=...)")
        cfg = cfg.model_copy(update={"run": cfg.run.model_copy(update={"precision": precision})})
    if threads is not None and check_threads(threads) != cfg.run.threads:
        cfg = cfg.model_copy(update={"run": cfg.run.model_copy(update={"threads": threads})})
    run = cfg.run
    schedule = Schedule(float(run.duration), float(run.output_every), run.snapshot_every,
                        float(run.checkpoint_every),
                        table_formats=tuple(run.table_format), vtk=run.vtk)

    def build_limited() -> Problem:
        problem = build(cfg)
        reapply()  # thread pools the build loaded (pyFFTW's OpenMP, SciPy's OpenBLAS)
        return problem

    watch = None
    if cfg.switching is not None:
        spec = cfg.switching

        def watch(problem: Problem) -> SwitchingTime:
            return SwitchingTime(problem.sample, spec.layer, spec.component, spec.threshold,
                                 spec.stop_after)

    with limit_threads(run.threads, blas=1):
        return run_in_folder(build_limited, out_dir, schedule, identity=run_hash(cfg),
                             restart=restart, switching=watch,
                             record=cfg.model_dump(mode="json"), progress=progress,
                             progress_every=progress_every)


def run(problem: Problem, duration: float, output_every: float, out: str | Path, *,
        threads: int | None = None, **options: Any) -> RunResult:
    """:func:`spintorque.run_folder.run` (``spintorque.run``: relax, run for ``duration`` [s]
    with a table row every ``output_every`` [s] in the folder ``out``, resumable; ``options``:
    ``snapshot_every``, ``checkpoint_every``, ``restart``, ``progress``, ``progress_every``) with
    ``threads`` compute threads (default: the enclosing ``limit_threads`` block's count, else 1;
    BLAS at 1 thread, :mod:`spintorque.threads`). The stray field's FFTW threads were fixed when
    ``problem`` was built: build it inside ``with spintorque.limit_threads(n):`` (or give
    ``Demag(sample, threads=n)``) for ``n``."""
    with limit_threads(threads, blas=1):
        return _run_in_folder(problem, duration, output_every, out, **options)
