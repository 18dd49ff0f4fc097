"""Rules across the tables of a run config, run once every table has validated: cells tiling
the sample and the layers, names that refer to existing layers and materials, output and step
counts within limits, and memory that fits. Each rule returns ``(path, value, allowed)`` triples
(dotted TOML paths from the top); :func:`cross_problems` runs them all."""

from __future__ import annotations

import difflib
from typing import TYPE_CHECKING, Any

from ..dynamics.integrators.registry import INTEGRATORS, integrator_spec
from ..io import memory
from ..io.memory import format_bytes
from ..transport.models import NO_TRANSPORT
from .base import (
    MAX_CELLS_PER_AXIS,
    MAX_FIXED_STEPS,
    MAX_OUTPUT_ROWS,
    MAX_SNAPSHOTS,
    REL_TOL,
    whole,
)
from .geometry import geometry_config_problems, region_cell_problems
from .initial_files import initial_file_problems
from .interlayer import interlayer_problems
from .scales import scale_problems
from .thermal import thermal_problems

if TYPE_CHECKING:
    from .run_config import RunConfig

Problem = tuple[str, Any, str]


def cross_problems(cfg: RunConfig, context: dict) -> list[Problem]:
    """Every cross-field problem of ``cfg``. The derived scales (:mod:`.scales`) are checked
    once the rest passes, then the memory guard (unless ``context["check_memory"]`` is false),
    then the initial-state files are opened (:mod:`.initial_files`)."""
    problems = geometry_problems(cfg)
    problems += geometry_config_problems(cfg)
    problems += reference_problems(cfg)
    problems += run_problems(cfg)
    problems += thermal_problems(cfg)
    if not problems:
        problems += interlayer_problems(cfg)
    if not problems:
        problems += scale_problems(cfg)
    if not problems and context.get("check_memory", True):
        problems += memory_problems(cfg)
    if not problems:
        problems += region_cell_problems(cfg)
    if not problems:
        problems += initial_file_problems(cfg)
    return problems


def geometry_problems(cfg: RunConfig) -> list[Problem]:
    out: list[Problem] = []
    cell, size = cfg.mesh.cell, cfg.mesh.size
    for a, axis in enumerate("xy"):
        if whole(size[a] / cell[a]) is None:
            out.append(
                (f"mesh.size[{a}]", size[a],
                 f"must be a whole multiple of mesh.cell[{a}] = {cell[a]!r} m ({axis})")
            )
    total = 0.0
    for i, layer in enumerate(cfg.layer):
        total += layer.thickness
        if whole(layer.thickness / cell[2]) is None:
            out.append(
                (f"layer[{i}].thickness", layer.thickness,
                 f"must be a whole number of cells of mesh.cell[2] = {cell[2]!r} m")
            )
    if not abs(total - size[2]) <= REL_TOL * max(total, size[2]):
        out.append(
            ("mesh.size[2]", size[2], f"must equal the sum of layer thicknesses = {total!r} m")
        )
    if not out:
        for a, n in enumerate(cfg.grid_shape):
            if n > MAX_CELLS_PER_AXIS:
                out.append(
                    (f"mesh.cell[{a}]", cell[a],
                     f"too small: {n} cells along axis {a}, at most {MAX_CELLS_PER_AXIS}")
                )
    seen: set[str] = set()
    for i, layer in enumerate(cfg.layer):
        if layer.name in seen:
            out.append((f"layer[{i}].name", layer.name, "layer names must be unique"))
        seen.add(layer.name)
    return out


def reference_problems(cfg: RunConfig) -> list[Problem]:
    out: list[Problem] = []
    names = [layer.name for layer in cfg.layer]
    magnetic = set()
    for i, layer in enumerate(cfg.layer):
        mat = cfg.material.get(layer.material)
        if mat is None:
            out.append(
                (f"layer[{i}].material", layer.material,
                 "must be a [material.*] key: " + choices(layer.material, cfg.material))
            )
            continue
        if mat.magnetic:
            magnetic.add(layer.name)
        elif layer.initial is not None:
            out.append(
                (f"layer[{i}].initial", layer.initial.kind,
                 f"not allowed: material {layer.material!r} is non-magnetic (Ms = 0)")
            )
        vortex = layer.initial.vortex if layer.initial is not None else None
        if vortex is not None and vortex.center is not None:
            for a in range(2):
                if not 0 <= vortex.center[a] <= cfg.mesh.size[a]:
                    out.append(
                        (f"layer[{i}].initial.vortex.center[{a}]", vortex.center[a],
                         f"must lie in [0, mesh.size[{a}] = {cfg.mesh.size[a]!r}] m")
                    )
    for reg in cfg.region:  # regions are named like layers
        names.append(reg.name)
        if reg.material in cfg.material and cfg.material[reg.material].magnetic:
            magnetic.add(reg.name)
    if not out and not magnetic:
        out.append(("layer", names, "at least one layer must be magnetic (material Ms > 0)"))
    if cfg.field is not None:
        for key in cfg.field.per_region:
            if key not in names:
                out.append(
                    (f"field.per_region.{key}", key,
                     "must be a layer name: " + choices(key, names))
                )
    slon = cfg.torque.slonczewski
    if slon is not None and slon.region is not None and slon.region not in magnetic:
        out.append(
            ("torque.slonczewski.region", slon.region,
             "must name a magnetic layer: " + choices(slon.region, sorted(magnetic)))
        )
    if cfg.transport.model != NO_TRANSPORT:
        for i, layer in enumerate(cfg.layer):
            mat = cfg.material.get(layer.material)
            if mat is not None and mat.D0 <= 0:
                out.append(
                    (f"material.{layer.material}.D0", mat.D0,
                     f"must be > 0: layer[{i}] ({layer.name!r}) carries the current of "
                     f"transport.model = {cfg.transport.model!r}")
                )
        for key in ("zhang_li", "slonczewski"):
            if getattr(cfg.torque, key) is not None:
                out.append(
                    (f"torque.{key}", "given",
                     f"not allowed with transport.model = {cfg.transport.model!r}: the "
                     "transport model already produces the spin torque (use one or the other)")
                )
    return out


def run_problems(cfg: RunConfig) -> list[Problem]:
    out: list[Problem] = []
    run = cfg.run
    if run.duration / run.output_every > MAX_OUTPUT_ROWS:
        out.append(
            ("run.output_every", run.output_every,
             f"too small: duration / output_every must be <= {MAX_OUTPUT_ROWS} table rows")
        )
    if run.snapshot_every is not None and run.duration / run.snapshot_every > MAX_SNAPSHOTS:
        out.append(
            ("run.snapshot_every", run.snapshot_every,
             f"too small: duration / snapshot_every must be <= {MAX_SNAPSHOTS} snapshots")
        )
    if cfg.transport.mode == "implicit" and not integrator_spec(run.integrator).monotone_stages:
        able = [name for name, spec in INTEGRATORS.items() if spec.monotone_stages]
        out.append(("transport.mode", "implicit",
                    f"needs run.integrator {' or '.join(map(repr, able))} (got "
                    f"{run.integrator!r}): the time-dependent s is stepped between evaluation "
                    "times, which Runge-Kutta stages revisit"))
    fixed_step = not integrator_spec(run.integrator).adaptive
    if fixed_step and run.duration / run.dt > MAX_FIXED_STEPS:
        out.append(
            ("run.dt", run.dt,
             f"too small for integrator {run.integrator!r}: duration / dt must be <= "
             f"{MAX_FIXED_STEPS} steps")
        )
    if not fixed_step and run.dt_max is not None and run.duration / run.dt_max > MAX_FIXED_STEPS:
        out.append(
            ("run.dt_max", run.dt_max,
             f"too small: every step is at most dt_max, so duration / dt_max must be <= "
             f"{MAX_FIXED_STEPS} steps")
        )
    return out + pulse_problems(cfg) + switching_problems(cfg) + frozen_problems(cfg)


def pulse_problems(cfg: RunConfig) -> list[Problem]:
    """A ``[pulse]`` needs a current to shape, and rows close enough to see its edges."""
    pulse = cfg.pulse
    if pulse is None:
        return []
    has_current = (cfg.transport.model != NO_TRANSPORT
                   and any(v != 0 for v in _components(cfg.transport.current_density))
                   or cfg.torque.zhang_li is not None or cfg.torque.slonczewski is not None)
    out: list[Problem] = []
    if not has_current:
        out.append(("pulse", "[pulse]", "shapes the current, but the run has none: give "
                    "[transport] a model and current_density, or a [torque.*] table"))
    if pulse.duration < cfg.run.output_every:
        # adaptive steps never cross a table row, so rows at least this close keep the
        # integrator from stepping over the whole flat top
        out.append(("pulse.duration", pulse.duration,
                    f"must be >= run.output_every = {cfg.run.output_every!r} s (the table "
                    "rows bound the step, so that no step jumps over the pulse)"))
    return out


def frozen_problems(cfg: RunConfig) -> list[Problem]:
    """Frozen materials need a scheme that moves only what the right-hand side moves."""
    used = {layer.material for layer in cfg.layer}
    frozen = sorted(key for key in used if key in cfg.material and cfg.material[key].frozen)
    if frozen and cfg.run.integrator == "gspm":
        return [("run.integrator", "gspm",
                 f"cannot hold material(s) {frozen} frozen (gspm's implicit exchange solve "
                 "moves every magnetic cell); use 'rk45', 'rk43' or a fixed-step scheme")]
    return []


def switching_problems(cfg: RunConfig) -> list[Problem]:
    """``[switching]`` watches a magnetic layer that exists."""
    spec = cfg.switching
    if spec is None or spec.layer is None:
        return []
    names = [layer.name for layer in cfg.layer]
    if spec.layer not in names:
        return [("switching.layer", spec.layer,
                 f"must be one of the layers: {choices(spec.layer, names)}")]
    layer = cfg.layer[names.index(spec.layer)]
    material = cfg.material.get(layer.material)
    if material is not None and not material.magnetic:
        return [("switching.layer", spec.layer,
                 "must be a magnetic layer (its material has Ms = 0)")]
    return []


def _components(j: Any) -> tuple[float, ...]:
    return (j,) if isinstance(j, (int, float)) else tuple(j)


def choices(value: str, options: Any) -> str:
    options = sorted(options)
    text = ", ".join(repr(o) for o in options) if options else "(none defined)"
    close = difflib.get_close_matches(value, options, n=1)
    return text + (f" (did you mean {close[0]!r}?)" if close else "")


def memory_problems(config: RunConfig) -> list[Problem]:
    need = memory.estimate_memory(config)
    have = memory.available_memory()  # looked up at call time so that tests can patch it
    if have is not None and need > have:
        nx, ny, nz = config.grid_shape
        return [
            ("mesh", f"{nx} x {ny} x {nz} = {nx * ny * nz} cells",
             f"estimated memory {format_bytes(need)} ({need} bytes) exceeds the available "
             f"{format_bytes(have)}; use larger cells or a smaller sample")
        ]
    return []
