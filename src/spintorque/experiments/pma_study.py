"""The perpendicular pillar's switching study: thresholds, switching time at 0 K and switching
probability at room temperature, for the diffusion model, the moment model and the local
Slonczewski torque side by side (:mod:`.pma_pillar`; docs/results/pma_pillar.md).

Three kinds of points, each one Dask task (:func:`point`) whose result goes to a resumable store:

``threshold``
    the zero-temperature threshold j_c [A/m²] of one drive, where the measured growth rate of the
    free layer's tilt crosses zero (:func:`.pma_pillar.critical_current_from_growth`, bracketed
    on 0.25, 0.5, 1 and 2 × the Sun threshold of the local torque).
``switch0k``
    a run at constant current j from the tilted AP state (rk45): the switching time t_sw [s]
    where the free layer's ⟨m_z⟩ crosses 0 (None within ``t_max``).
``thermal``
    a run at temperature T [K] (stochastic Heun, step ``dt``, seeded thermal field): ``pre`` [s]
    at zero current to thermalize the tilted AP state, a current pulse (rise, flat top, fall),
    ``post`` [s] at zero current; switched when the free layer's final ⟨m_z⟩ > 0.

The currents of the last two kinds are set relative to each drive's own threshold (the
``ratios`` of the preset), so every drive is sampled where it switches; tables and figures give
the absolute current density. :func:`run_study` runs the thresholds first, then the rest;
:func:`report` writes the tables (Markdown and CSV) and figures.
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .pma_pillar import (
    DRIVES,
    PillarDevice,
    sun_critical_current,
    tilt_growth_rate,
)

TASK = "spintorque.experiments.pma_study:point"


@dataclass(frozen=True)
class StudyPreset:
    """Sizes of the study: ``device`` fields (dict), ``drives``, ``ratios_0k`` and
    ``ratios_T`` (current / the drive's threshold), ``seeds`` per thermal point, ``T`` [K],
    pulse ``rise``/``duration``/``fall`` [s], ``pre``/``post`` [s], Heun step ``dt`` [s],
    ``t_max`` [s] of the 0 K runs."""

    device: dict[str, Any] = field(default_factory=dict)
    drives: tuple[str, ...] = DRIVES
    ratios_0k: tuple[float, ...] = (1.1, 1.25, 1.5, 2.0, 3.0, 4.0)
    ratios_T: tuple[float, ...] = (1.0, 1.2, 1.4, 1.6, 1.8, 2.0, 2.4)
    seeds: int = 25
    T: float = 300.0
    rise: float = 0.1e-9
    duration: float = 1.0e-9
    fall: float = 0.1e-9
    pre: float = 0.3e-9
    post: float = 0.3e-9
    dt: float = 0.25e-12
    t_max: float = 10e-9


#: ``full``: the 40 nm pillar, 25 seeds per point (binomial error ±0.1 at P = 0.5), the three
#: drives; ``quick``: a 20 nm pillar, two drives, 3 seeds (a smoke test of the whole chain)
PRESETS: dict[str, StudyPreset] = {
    "full": StudyPreset(),
    "quick": StudyPreset(device={"diameter": 20e-9, "cell": (5e-9, 5e-9, 2e-9)},
                         drives=("diffusion", "slonczewski"), ratios_0k=(1.5, 3.0),
                         ratios_T=(1.5,), seeds=2, duration=0.3e-9, pre=0.05e-9,
                         post=0.05e-9, dt=0.5e-12, t_max=3e-9),
}


def device_of(spec: dict[str, Any]) -> PillarDevice:
    """The :class:`PillarDevice` of a task's ``device`` dict (lists become tuples)."""
    kw = {k: tuple(v) if isinstance(v, list) else v for k, v in spec.items()}
    return PillarDevice(**kw)


# -- the task function -----------------------------------------------------------------------


def point(params: dict) -> dict:
    """One study point (module docstring); returns a JSON-serialisable dict."""
    kind = params["kind"]
    device = device_of(params.get("device", {}))
    wall0 = time.monotonic()
    if kind == "threshold":
        out = _threshold(device, params["drive"])
    elif kind == "switch0k":
        out = _switch_0k(device, params["drive"], float(params["j"]), float(params["t_max"]))
    elif kind == "thermal":
        out = _thermal(device, params)
    else:
        raise ValueError(f"kind = {kind!r}; allowed: threshold, switch0k, thermal")
    return {**out, "kind": kind, "drive": params["drive"], "wall_s": time.monotonic() - wall0}


def _threshold(device: PillarDevice, drive: str) -> dict:
    sun = sun_critical_current(device)
    factors = (0.25, 0.5, 1.0, 2.0)
    rates: list[float] = []
    for f in factors:
        rates.append(tilt_growth_rate(device, drive, f * sun))
        if rates[-1] > 0:
            break
    if len(rates) < 2 or rates[-1] <= 0 or rates[-2] > 0:
        return {"j_c": None, "sun": sun, "rates": rates}
    f0, f1 = factors[len(rates) - 2], factors[len(rates) - 1]
    r0, r1 = rates[-2], rates[-1]
    j_c = sun * (f0 + (f1 - f0) * r0 / (r0 - r1))
    return {"j_c": j_c, "sun": sun, "rates": rates, "factors": list(factors[:len(rates)])}


def _run(problem: Any, duration: float, every: float, watch: Any) -> Any:
    from ..drive import Stop, drive

    n = max(1, math.ceil(duration / every - 1e-9))
    stops = [Stop(min(k * every, duration)) for k in range(n + 1)]
    return drive(problem, problem.m0, stops, hooks=[watch], until=watch.until)


def _switch_0k(device: PillarDevice, drive: str, j: float, t_max: float) -> dict:
    from ..switching_time import SwitchingTime

    problem = device.problem(drive, j)
    watch = SwitchingTime(problem.sample, "free", "z", 0.0, stop_after=20e-12)
    result = _run(problem, t_max, 5e-12, watch)
    return {"j": j, "t_switch": watch.time, "steps": result.stats.get("steps"),
            "mz_free": float(problem.sample.average(result.m, "free")[2])}


def _thermal(device: PillarDevice, p: dict) -> dict:
    from ..fields.thermal import ThermalField
    from ..problem import Stepping
    from ..switching_time import SwitchingTime
    from ..waveforms import Pulse

    pulse = Pulse(start=float(p["pre"]), rise=float(p["rise"]), duration=float(p["duration"]),
                  fall=float(p["fall"]))
    sample = device.sample()
    thermal = ThermalField(sample, float(p["T"]), seed=int(p["seed"]))
    problem = device.problem(p["drive"], float(p["j"]), shape=pulse, extra_terms=[thermal],
                             stepping=Stepping("heun", dt=float(p["dt"])))
    watch = SwitchingTime(problem.sample, "free", "z", 0.0)
    result = _run(problem, pulse.end + float(p["post"]), 10e-12, watch)
    mz = float(problem.sample.average(result.m, "free")[2])
    return {"j": float(p["j"]), "seed": int(p["seed"]), "switched": bool(mz > 0),
            "mz_free": mz, "t_switch": watch.time, "steps": result.stats.get("steps")}


# -- the study ---------------------------------------------------------------------------------


def threshold_tasks(preset: StudyPreset) -> dict[str, dict]:
    return {f"threshold/{d}": {"kind": "threshold", "drive": d, "device": preset.device}
            for d in preset.drives}


def current_tasks(preset: StudyPreset, thresholds: dict[str, float]) -> dict[str, dict]:
    """0 K and thermal tasks at the preset's ratios of each drive's threshold [A/m²]."""
    tasks: dict[str, dict] = {}
    for d in preset.drives:
        j_c = thresholds.get(d)
        if j_c is None:
            continue
        for r in preset.ratios_0k:
            tasks[f"switch0k/{d}/{r:g}"] = {"kind": "switch0k", "drive": d, "j": r * j_c,
                                            "ratio": r, "t_max": preset.t_max,
                                            "device": preset.device}
        for r in preset.ratios_T:
            for seed in range(preset.seeds):
                tasks[f"thermal/{d}/{r:g}/{seed}"] = {
                    "kind": "thermal", "drive": d, "j": r * j_c, "ratio": r, "seed": seed,
                    "T": preset.T, "rise": preset.rise, "duration": preset.duration,
                    "fall": preset.fall, "pre": preset.pre, "post": preset.post,
                    "dt": preset.dt, "device": preset.device}
    return tasks


def run_study(store: str | Path, preset: StudyPreset, workers: int | None = None,
              scheduler: str | None = None, progress: bool = True) -> dict[str, int]:
    """Thresholds, then the 0 K and thermal points, on Dask into ``store`` (resumable);
    returns the store's status counts."""
    from ..sweep.dask_runner import run_sweep
    from ..sweep.store import Store

    path = Path(store)
    path.parent.mkdir(parents=True, exist_ok=True)
    with Store(path) as st:
        st.set_meta("preset", dataclasses.asdict(preset))
    run_sweep(path, TASK, threshold_tasks(preset), scheduler=scheduler, workers=workers,
              progress=progress)
    with Store(path) as st:
        results = st.results()
    thresholds = {key.split("/", 1)[1]: res.get("j_c") for key, res in results.items()
                  if key.startswith("threshold/") and isinstance(res, dict)}
    tasks = current_tasks(preset, thresholds)
    if tasks:
        run_sweep(path, TASK, tasks, scheduler=scheduler, workers=workers, progress=progress)
    with Store(path) as st:
        return st.counts()


# -- the report ----------------------------------------------------------------------------------


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Wilson score interval of a binomial proportion k/n (95 % for z = 1.96)."""
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return (max(0.0, centre - half), min(1.0, centre + half))


def summarize(results: dict[str, Any]) -> dict[str, Any]:
    """Per drive: threshold, 0 K points (j, t_sw) and thermal points (j, switched, n)."""
    out: dict[str, Any] = {}
    for _key, res in sorted(results.items()):
        if not isinstance(res, dict):
            continue
        d = res["drive"]
        entry = out.setdefault(d, {"threshold": None, "sun": None, "zero_k": [], "thermal": {}})
        if res["kind"] == "threshold":
            entry["threshold"], entry["sun"] = res.get("j_c"), res.get("sun")
        elif res["kind"] == "switch0k":
            entry["zero_k"].append((res["j"], res["t_switch"]))
        elif res["kind"] == "thermal":
            k, n = entry["thermal"].get(res["j"], (0, 0))
            entry["thermal"][res["j"]] = (k + int(res["switched"]), n + 1)
    for entry in out.values():
        entry["zero_k"].sort(key=lambda p: abs(p[0]))
    return out


def inverse_time_fit(points: Sequence[tuple[float, float | None]]) -> tuple[float, float] | None:
    """Least-squares line 1/t_sw = a (|j| − |j_0|) through the switched 0 K points:
    (|j_0| [A/m²], a [1/(s·A/m²)]); None with fewer than two."""
    xs = [abs(j) for j, t in points if t]
    ys = [1.0 / t for j, t in points if t]
    if len(xs) < 2:
        return None
    a, b = np.polyfit(xs, ys, 1)
    return (float(-b / a), float(a))


def logistic_fit(points: dict[float, tuple[int, int]]) -> tuple[float, float] | None:
    """Maximum-likelihood fit of P(|j|) = 1/(1 + exp(−(|j| − j50)/w)) to binomial counts
    ``{j: (switched, runs)}``: (j50 [A/m²], w [A/m²]); None without a point on each side of
    P = 1/2 or with fewer than two currents."""
    from scipy.optimize import minimize

    js = np.array([abs(j) for j in points])
    k = np.array([points[j][0] for j in points], float)
    n = np.array([points[j][1] for j in points], float)
    if len(js) < 2 or not (np.any(k < n) and np.any(k > 0)):
        return None
    scale = float(np.median(js))

    def nll(x: np.ndarray) -> float:
        z = (js / scale - x[0]) / math.exp(x[1])
        log_p = -np.logaddexp(0.0, -z)  # log P, stable
        log_q = -np.logaddexp(0.0, z)  # log (1 − P)
        return float(-(k * log_p + (n - k) * log_q).sum())

    best = minimize(nll, x0=np.array([1.0, math.log(0.1)]), method="Nelder-Mead",
                    options={"xatol": 1e-8, "fatol": 1e-10, "maxiter": 4000})
    return float(best.x[0] * scale), float(math.exp(best.x[1]) * scale)


def j50_interval(points: dict[float, tuple[int, int]], resamples: int = 1000,
                 seed: int = 0) -> tuple[float, float] | None:
    """95 % parametric-bootstrap interval [A/m²] of the fitted j50: counts redrawn from the
    fitted curve at the same currents and run counts, refitted (fixed seed)."""
    fit = logistic_fit(points)
    if fit is None:
        return None
    rng = np.random.default_rng(seed)
    j50, w = fit
    draws = []
    for _ in range(resamples):
        sample = {}
        for j, (_, n) in points.items():
            p = 1.0 / (1.0 + math.exp(-(abs(j) - j50) / w))
            sample[j] = (int(rng.binomial(n, p)), n)
        refit = logistic_fit(sample)
        if refit is not None:
            draws.append(refit[0])
    if len(draws) < 0.9 * resamples:
        return None
    return float(np.percentile(draws, 2.5)), float(np.percentile(draws, 97.5))


def report(store: str | Path, out_dir: str | Path) -> Path:
    """Write ``pma_pillar.md`` (tables), ``pma_pillar.csv`` and the figures ``p_switch.png``
    (P against |j|) and ``inverse_time.png`` (1/t_sw against |j|) into ``out_dir``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..sweep.store import Store

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    with Store(store) as st:
        results, counts, preset = st.results(), st.counts(), st.get_meta("preset", {})
    data = summarize(results)
    lines = ["| drive | threshold j_c at 0 K (A/m²) | Sun (local torque) j_c (A/m²) | "
             "1/t_sw intercept (A/m²) | j50 at T (A/m²) | j50 95 % interval (A/m²) | "
             "width w (A/m²) |", "|---|---|---|---|---|---|---|"]
    rows = ["drive,kind,j (A/m^2),t_switch (s),switched,n"]
    fig1, ax1 = plt.subplots(figsize=(5, 3.5))
    fig2, ax2 = plt.subplots(figsize=(5, 3.5))
    for d, entry in data.items():
        fit = inverse_time_fit(entry["zero_k"])
        logistic = logistic_fit(entry["thermal"]) if entry["thermal"] else None
        ci = j50_interval(entry["thermal"]) if logistic else None
        lines.append(f"| {d} | {_fmt(entry['threshold'])} | {_fmt(entry['sun'])} | "
                     f"{_fmt(-fit[0] if fit else None)} | "
                     f"{_fmt(-logistic[0] if logistic else None)} | "
                     f"{'—' if ci is None else f'[{_fmt(-ci[1])}, {_fmt(-ci[0])}]'} | "
                     f"{_fmt(logistic[1] if logistic else None)} |")
        for j, t in entry["zero_k"]:
            rows.append(f"{d},switch0k,{j:.6g},{'' if t is None else f'{t:.6g}'},,")
        js = sorted(entry["thermal"], key=abs)
        for j in js:
            k, n = entry["thermal"][j]
            rows.append(f"{d},thermal,{j:.6g},,{k},{n}")
        if js:
            ps = [entry["thermal"][j][0] / entry["thermal"][j][1] for j in js]
            ci = [wilson(*entry["thermal"][j]) for j in js]
            err = [[p - lo for p, (lo, _) in zip(ps, ci, strict=True)],
                   [hi - p for p, (_, hi) in zip(ps, ci, strict=True)]]
            ax1.errorbar([abs(j) for j in js], ps, yerr=err, marker="o", capsize=3, label=d)
        sw = [(abs(j), 1 / t) for j, t in entry["zero_k"] if t]
        if sw:
            ax2.plot(*zip(*sw, strict=True), "o-", label=d)
    ax1.set(xlabel="|j| (A/m²)", ylabel="switching probability P",
            title=f"T = {preset.get('T', '?')} K, pulse {preset.get('duration', 0) * 1e9:g} ns")
    ax2.set(xlabel="|j| (A/m²)", ylabel="1 / t_sw (1/s)", title="T = 0 K")
    for fig, ax, name in ((fig1, ax1, "p_switch.png"), (fig2, ax2, "inverse_time.png")):
        ax.legend()
        fig.tight_layout()
        fig.savefig(out / name, dpi=120)
        plt.close(fig)
    table = "\n".join(lines)
    summary = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items()))
    (out / "pma_pillar.md").write_text(f"{table}\n\nStore: {summary}.\n")
    (out / "pma_pillar.csv").write_text("\n".join(rows) + "\n")
    return out / "pma_pillar.md"


def _fmt(x: float | None) -> str:
    return "—" if x is None else f"{x:.3e}"
