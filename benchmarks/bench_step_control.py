"""Step control of the adaptive integrators: work-precision against tight references, and the
step counts of the peer cases (docs/performance.md, "Step control").

Usage (``.venv/bin/python benchmarks/bench_step_control.py MODE [options]``)::

    wp      [--cases macrospin,sp4-5nm,sp4-2.5nm,block] [--variants rk45,rk45-7fm,...]
            [--tols 1e-4,3e-5,1e-5,3e-6,1e-6] [--plot wp.png]
    counts  [--block-ref]
    plot    TABLE.md [TABLE.md ...] --plot wp.png

``wp`` prints, per case, variant and tolerance (rtol = atol): accepted steps, rejected steps,
field evaluations and the error against a tight reference (below), and with ``--plot`` draws the
work-precision diagrams (evaluations against error, log-log; needs matplotlib); ``plot`` draws
them from saved ``wp`` output (its Markdown tables). ``counts`` runs
the three cases of the peer comparison with the defaults of this tree and with the step control
of commit fcffd3b (``rk45-before``, emulated below, same results bit for bit): muMAG SP4 field 1
at 5 nm and at 2.5 nm (relax, 1 ns, a row every 1 ps) and the 3D block (0.2 ns from a seeded
random state, free running with one row at the end, and with a row every 10 ps for the energy
columns); ``--block-ref`` adds the block's tight reference (rtol 1e-9, about 64,000
evaluations, 10-15 minutes on this machine) and the energy columns' distance to it.

Cases and errors (m is dimensionless, so the errors are absolute):

- ``macrospin``: one cell in 25 mT along z, alpha 0.02, 1 ns from 1 rad off the field; error:
  max |m - m_exact| at 1 ns (docs/theory/llg.md, the closed form).
- ``sp4-5nm``, ``sp4-2.5nm``: muMAG SP4 field 1 (``examples/sp4_field1.toml``; the S-state from
  the minimizer, cached in ``--cache``), 1 ns with a row every 1 ps; error: max over the rows of
  max |<m> - <m>_ref| (the trajectory the tests compare with OOMMF and magnum.np). Reference:
  the 7FM tableau at rtol 1e-11 with dt_max 0.1 ps.
- ``block``: the 3D block (``BLOCK`` below), the first 20 ps (rows at 10 and 20 ps): from a random
  state the dynamics is chaotic, a difference of 1e-8 at 10 ps becomes 1e-3 by 40 ps whatever
  the tolerance, so the error is taken before that: max |<m> - <m>_ref| over the two rows, and
  the total energy's distance relative to the largest energy term. Reference: 7FM at rtol 1e-10.

Variants (``VARIANTS``): ``rk45`` and ``rk43`` as they are in this tree (RK5(4)7FC and classical
RK4 with its 3rd-order estimate; error: the largest per-cell |Δm| over atol + rtol |m|, i.e. over
2 rtol); ``rk45-7fm``: rk45 with the Dormand-Prince RK5(4)7FM tableau (rk45's until this change),
the rest as in this tree; ``rk45-before``: the code of fcffd3b (7FM, the componentwise norm, a
step that would end within 1 % of an output time stretched to it, else a full step and a clipped
remainder, a clipped step keeping the proposal); ``rk45-comp``: the componentwise norm
max_j |d_j| / (atol + rtol |m_j|); ``rk45-rms``: the root mean square over the cells of |Δm|,
over rtol; ``rk45-rate``: error per unit time as OOMMF's ``error_rate``: the largest per-cell
|Δm| over rtol · dt / 1 ps (rtol 1.745e-5 is OOMMF's default 1 degree/ns), with the PI gains
scaled to an O(dt^4) ratio; ``rk45-safe95``: safety factor 0.95 instead of 0.9.

Every run is single-threaded (the CPU time is printed beside the counts); only the counts and
errors are deterministic, the timings depend on the load of this shared machine.
"""

from __future__ import annotations

import argparse
import copy
import math
import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import tomllib

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from spintorque import GAMMA0, MU0, Grid, Material, Sample  # noqa: E402
from spintorque.config import config_from_dict  # noqa: E402
from spintorque.dynamics import LLG  # noqa: E402
from spintorque.dynamics.integrators.base import error_norm  # noqa: E402
from spintorque.dynamics.integrators.rk45 import DOPRI_7FM, RK43, RK45  # noqa: E402
from spintorque.fields import EffectiveField, Zeeman  # noqa: E402
from spintorque.simulation import build  # noqa: E402

#: the 3D block of the peer comparison (docs/performance.md): 32 x 16 x 70 cells of 4 nm
BLOCK = {
    "title": "3D block 32x16x70",
    "mesh": {"cell": [4e-9, 4e-9, 4e-9], "size": [128e-9, 64e-9, 280e-9]},
    "layer": [{"name": "block", "thickness": 280e-9, "material": "fe",
               "initial": {"random": {"seed": 1}}}],
    "material": {"fe": {"Ms": 1.42e6, "A": 3e-11, "Ku": 5e5, "axis": [1.0, 0.0, 0.0],
                        "alpha": 0.01}},
    "demag": {"enabled": True},
    "run": {"duration": 2e-10, "output_every": 1e-11},
}
PS = 1e-12


# -- variants --------------------------------------------------------------------------------------
def _cell_max(d: np.ndarray) -> float:
    v = d.reshape(-1, 3)
    n2 = np.einsum("ij,ij->i", v, v)
    worst = float(n2.max())
    return math.sqrt(worst) if math.isfinite(worst) else math.inf


class RK45FM(RK45):
    """rk45 with the Dormand-Prince RK5(4)7FM tableau (rk45's until this change)."""

    _tab_c, _tab_a, _tab_b, _tab_e = DOPRI_7FM


class RK45Before(RK45FM):
    """The code of commit fcffd3b (its results bit for bit): 7FM, the componentwise norm; a step
    that would end within 1 % of ``t_max`` is stretched to it, else a full step is taken and the
    remainder clipped; after a clipped step the proposal does not shrink."""

    def _error(self, d, y0, y1):
        return float(error_norm(d, y0, y1, self.atol, self.rtol))

    def _next_step(self, t, t_max):
        proposed = min(self.dt, self.dt_max)
        self._clipped = t_max is not None and t + 1.01 * proposed >= t_max
        return proposed, (t_max - t if self._clipped else proposed), self._clipped

    def _control(self, err, dt, proposed):
        err = max(err, 1e-10)
        fac = self.safety * err ** -self._k_i * self._err_prev**self._k_p
        suggestion = dt * min(1.0 if self._rejected_last else 5.0, max(0.2, fac))
        self.dt = max(suggestion, self.dt) if self._clipped else suggestion
        self._err_prev = err


class RK45Comp(RK45):
    """Error: componentwise, max_j |d_j| / (atol + rtol max(|y0_j|, |y1_j|)) (rk45's norm until
    2026-12; frame dependent)."""

    def _error(self, d, y0, y1):
        return float(error_norm(d, y0, y1, self.atol, self.rtol))


class RK45RMS(RK45):
    """Error: the root mean square over the cells of |Δm|, over rtol."""

    def _error(self, d, y0, y1):
        s = float(np.dot(d, d))
        return math.sqrt(s / (d.size // 3)) / self.rtol if math.isfinite(s) else math.inf


class RK45Rate(RK45):
    """Error per unit time (OOMMF's error_rate): the largest per-cell |Δm| over rtol · dt/1 ps;
    the ratio is O(dt^4), so the controller's exponents are those of an order-4 estimate."""

    order = 4
    _k_i, _k_p = 0.17 * 5 / 4, 0.04 * 5 / 4

    def _attempt(self, t, m, dt, t_end):
        self._h = dt
        return super()._attempt(t, m, dt, t_end)

    def _error(self, d, y0, y1):
        return _cell_max(d) / (self.rtol * self._h / PS)


class RK45Safe95(RK45):
    """Safety factor 0.95."""

    def __init__(self, llg, **kw):
        super().__init__(llg, **{"safety": 0.95, **kw})


VARIANTS: dict[str, Callable] = {
    "rk45": RK45, "rk43": RK43, "rk45-7fm": RK45FM, "rk45-before": RK45Before,
    "rk45-comp": RK45Comp, "rk45-rms": RK45RMS, "rk45-rate": RK45Rate, "rk45-safe95": RK45Safe95,
}


# -- cases -----------------------------------------------------------------------------------------
class Case:
    """A problem, its start state, its output times and how its error is measured."""

    name = ""

    def setup(self, cache: Path) -> None: ...

    def run(self, cls, tol: float | None, times, **options) -> dict:
        """Integrate through ``times`` with rtol = atol = ``tol`` (None: the scheme's default)."""
        if tol is not None:
            options.update(rtol=tol, atol=tol)
        integ = cls(self.llg, **options)
        t, m, rows = 0.0, self.m0.copy(), []
        cpu = time.process_time()
        for t1 in times:
            m = integ.advance(t, m, float(t1))
            t = float(t1)
            rows.append(self.row(t, m))
        return {"stats": dict(integ.stats), "rows": np.array(rows), "m": m,
                "cpu": time.process_time() - cpu}

    def row(self, t: float, m: np.ndarray) -> list[float]:
        return [t, *m[self.magnetic].mean(axis=0)]


class Macrospin(Case):
    name = "macrospin"
    B, ALPHA, THETA0, T = 0.025, 0.02, 1.0, 1e-9

    def setup(self, cache):
        sample = Sample.uniform(Grid((1, 1, 1), (2e-9,) * 3),
                                Material("m", Ms=8e5, alpha=self.ALPHA))
        self.llg = LLG(sample, EffectiveField([Zeeman(sample, B=(0, 0, self.B))],
                                              sample.grid.vshape))
        self.magnetic = sample.magnetic
        self.m0 = np.array([math.sin(self.THETA0), 0, math.cos(self.THETA0)]).reshape(1, 1, 1, 3)
        self.times = [self.T]

    def error(self, res):
        w = GAMMA0 * (self.B / MU0) / (1 + self.ALPHA**2)
        th = 2 * math.atan(math.tan(self.THETA0 / 2) * math.exp(-self.ALPHA * w * self.T))
        exact = np.array([math.sin(th) * math.cos(w * self.T),
                          math.sin(th) * math.sin(w * self.T), math.cos(th)])
        return {"err": float(np.abs(res["m"].ravel() - exact).max())}


class ProblemCase(Case):
    """A config-built problem with a cached tight reference."""

    ref_tol = 1e-11
    ref_dt_max: float | None = 1e-13

    def config(self) -> dict: ...

    def setup(self, cache):
        self.cache = cache
        self.problem = build(config_from_dict(self.config()))
        self.llg = self.problem.llg
        self.magnetic = self.problem.sample.magnetic
        self.m0 = self.start(cache)

    def start(self, cache):
        return self.problem.m0

    def reference(self) -> dict:
        path = self.cache / f"ref_{self.name}.npz"
        if path.exists():
            z = np.load(path)
            return {"rows": z["rows"], "m": z["m"]}
        print(f"  computing the reference of {self.name} (7FM, rtol {self.ref_tol:g}) ...",
              flush=True)
        opts = {"dt_max": self.ref_dt_max} if self.ref_dt_max else {}
        res = self.run(RK45FM, self.ref_tol, self.times, **opts)
        np.savez(path, rows=res["rows"], m=res["m"])
        return res

    def error(self, res):
        ref = self.reference()["rows"]
        return {"err": float(np.abs(res["rows"][:, 1:4] - ref[:, 1:4]).max())}


class SP4(ProblemCase):
    def __init__(self, cell: float):
        self.cell = cell
        self.name = f"sp4-{cell * 1e9:g}nm"
        self.times = np.arange(1, 1001) * PS

    def config(self):
        with open(ROOT / "examples" / "sp4_field1.toml", "rb") as fh:
            data = tomllib.load(fh)
        data["mesh"]["cell"] = [self.cell, self.cell, 3e-9]
        return data

    def start(self, cache):
        path = cache / f"relaxed_{self.name}.npy"
        if path.exists():
            return np.load(path)
        m, _ = self.problem.relax()
        np.save(path, m)
        return m


class Block(ProblemCase):
    name = "block"
    ref_tol, ref_dt_max = 1e-10, None

    def __init__(self, window: float = 20 * PS, every: float = 10 * PS):
        self.times = np.arange(1, round(window / every) + 1) * every

    def config(self):
        return copy.deepcopy(BLOCK)

    def row(self, t, m):
        terms = self.llg.field.terms
        return [t, *m[self.magnetic].mean(axis=0), *(term.energy(m, t) for term in terms)]

    def error(self, res):
        ref = self.reference()["rows"]
        rows = res["rows"]
        scale = np.abs(ref[:, 4:]).max()
        return {"err": float(np.abs(rows[:, 1:4] - ref[:, 1:4]).max()),
                "dE": float(np.abs(rows[:, 4:].sum(1) - ref[:, 4:].sum(1)).max() / scale)}


CASES = {"macrospin": Macrospin, "sp4-5nm": lambda: SP4(5e-9), "sp4-2.5nm": lambda: SP4(2.5e-9),
         "block": Block}


# -- modes -----------------------------------------------------------------------------------------
def header() -> None:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {platform.node()}, "
          f"{os.cpu_count()} cores, load average {load:.2f}", flush=True)


def work_precision(args) -> None:
    tols = [float(x) for x in args.tols.split(",")]
    results: dict[str, dict[str, list]] = {}
    for cname in args.cases.split(","):
        case = CASES[cname]()
        case.setup(args.cache)
        if isinstance(case, ProblemCase):
            case.reference()
        print(f"\n## {cname}\n\n| variant | rtol | steps | rejected | evaluations | error "
              f"| energy error | CPU s |\n|---|---|---|---|---|---|---|---|", flush=True)
        for vname in args.variants.split(","):
            for tol in tols:
                res = case.run(VARIANTS[vname], tol, case.times)
                err = case.error(res)
                st = res["stats"]
                print(f"| {vname} | {tol:g} | {st['steps']} | {st['rejected']} | "
                      f"{st['evaluations']} | {err['err']:.2e} | "
                      f"{err.get('dE', float('nan')):.1e} | {res['cpu']:.1f} |", flush=True)
                results.setdefault(cname, {}).setdefault(vname, []).append(
                    (st["evaluations"], err["err"], tol))
    if args.plot:
        plot(results, args.plot)


def plot(results, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    colors = {name: f"C{i}" for i, name in enumerate(VARIANTS)}
    defaults = {"rk45": 3e-6, "rk45-before": 1e-5, "rk43": 1e-5}  # each one's default rtol
    fig, axes = plt.subplots(1, len(results), figsize=(4.2 * len(results), 3.8), squeeze=False)
    for ax, (cname, variants) in zip(axes[0], results.items(), strict=True):
        for vname, pts in variants.items():
            ev, err, tol = zip(*sorted(pts), strict=True)
            ax.loglog(ev, err, "o-", ms=3, color=colors.get(vname), label=vname)
            for e, r, t in pts:
                if defaults.get(vname) == t:  # the default: a star
                    ax.plot(e, r, "*", ms=11, color=colors.get(vname), mec="k", mew=0.5)
        lo, hi = ax.get_xlim()
        ax.xaxis.set_minor_formatter(  # label minor ticks where no decade is in view
            matplotlib.ticker.NullFormatter() if hi / lo > 10 else
            matplotlib.ticker.FuncFormatter(lambda x, _: f"{x:.0f}"))
        ax.tick_params(axis="x", which="minor", labelsize=7)
        ax.set_title(cname)
        ax.set_xlabel("field evaluations")
        ax.set_ylabel("error against the reference")
    axes[0][0].legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    print(f"\nwrote {path}")


#: the tolerance of each variant in ``counts``: fcffd3b's default and this tree's
DEFAULT_TOL = {"rk45-before": 1e-5, "rk45": None}


def plot_tables(args) -> None:
    """The diagrams from the Markdown tables that ``wp`` printed (files in ``args.tables``)."""
    results: dict[str, dict[str, list]] = {}
    cname = None
    for path in args.tables:
        for line in Path(path).read_text().splitlines():
            if line.startswith("## "):
                cname = line[3:].strip()
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if cname and len(cells) == 8 and cells[1][:1].isdigit():
                results.setdefault(cname, {}).setdefault(cells[0], []).append(
                    (int(cells[4]), float(cells[5]), float(cells[1])))
    plot(results, args.plot)


def counts(args) -> None:
    print("\n| case | variant | steps | rejected | evaluations | final <m> | CPU s |\n"
          "|---|---|---|---|---|---|---|", flush=True)
    finals: dict[tuple[str, str], np.ndarray] = {}
    for case in (SP4(5e-9), SP4(2.5e-9)):
        case.setup(args.cache)
        for vname in ("rk45-before", "rk45"):
            res = case.run(VARIANTS[vname], DEFAULT_TOL[vname], case.times)
            finals[case.name, vname] = res["rows"][-1, 1:4]
            _count_row(case.name + ", 1 ps rows", vname, res)
        d = np.abs(finals[case.name, "rk45"] - finals[case.name, "rk45-before"]).max()
        print(f"| {case.name} | final <m>, now - before | {d:.1e} | | | | |", flush=True)
    block = Block(window=0.2e-9, every=0.2e-9)
    block.setup(args.cache)
    for vname in ("rk45-before", "rk45"):
        res = block.run(VARIANTS[vname], DEFAULT_TOL[vname], block.times)
        _count_row("block, free running", vname, res)
    rows = {}
    block = Block(window=0.2e-9, every=10 * PS)
    block.setup(args.cache)
    for vname in ("rk45-before", "rk45"):
        res = block.run(VARIANTS[vname], DEFAULT_TOL[vname], block.times)
        rows[vname] = res["rows"]
        _count_row("block, 10 ps rows", vname, res)
    scale = np.abs(rows["rk45-before"][:, 4:]).max()
    print("\nBlock energy columns (total energy), distance relative to the largest energy term:\n")
    ref = None
    if args.block_ref:
        path = args.cache / "ref_block_0.2ns.npz"
        if path.exists():
            ref = np.load(path)["rows"]
        else:
            print("  computing the block's reference (7FM, rtol 1e-9) ...", flush=True)
            ref = block.run(RK45FM, 1e-9, block.times)["rows"]
            np.savez(path, rows=ref)
    print("| t [ps] | now - before | before - ref | now - ref |\n|---|---|---|---|")
    e_now, e_before = rows["rk45"][:, 4:].sum(1), rows["rk45-before"][:, 4:].sum(1)
    e_ref = ref[:, 4:].sum(1) if ref is not None else None
    for i, t in enumerate(rows["rk45"][:, 0]):
        line = f"| {t / PS:.0f} | {abs(e_now[i] - e_before[i]) / scale:.1e} |"
        if e_ref is not None:
            line += (f" {abs(e_before[i] - e_ref[i]) / scale:.1e} |"
                     f" {abs(e_now[i] - e_ref[i]) / scale:.1e} |")
        else:
            line += " | |"
        print(line)


def _count_row(case: str, vname: str, res: dict) -> None:
    st, m = res["stats"], res["rows"][-1, 1:4]
    print(f"| {case} | {vname} | {st['steps']} | {st['rejected']} | {st['evaluations']} | "
          f"({m[0]:.6f}, {m[1]:.6f}, {m[2]:.6f}) | {res['cpu']:.1f} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("mode", choices=("wp", "counts", "plot"))
    parser.add_argument("tables", nargs="*", help="plot: Markdown output of wp")
    parser.add_argument("--cases", default="macrospin,sp4-5nm,sp4-2.5nm,block")
    parser.add_argument("--variants",
                        default="rk45,rk45-7fm,rk45-before,rk45-comp,rk45-rms,rk45-rate,rk43")
    parser.add_argument("--tols", default="1e-4,3e-5,1e-5,3e-6,1e-6")
    parser.add_argument("--plot", type=Path, default=None)
    parser.add_argument("--block-ref", action="store_true")
    parser.add_argument("--cache", type=Path, default=Path("/tmp/spintorque-step-control"))
    args = parser.parse_args()
    args.cache.mkdir(parents=True, exist_ok=True)
    if args.mode == "plot":
        plot_tables(args)
        return
    header()
    (work_precision if args.mode == "wp" else counts)(args)


if __name__ == "__main__":
    main()
