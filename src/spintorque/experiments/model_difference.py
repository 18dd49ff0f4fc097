"""Critical currents of both transport models read from switching stores, paired by random
start (seed) and geometry, with the moment/diffusion ratio and its 95 % interval
(docs/results/model_difference.md).

A store made by ``spintorque switching --first`` / ``--reversal`` (or any switching/sweep store)
holds, per model, evaluated currents and FM2's state family. The *first critical current* of one
experiment is bracketed by the highest current at which FM2 is still in its initial family below
the lowest current at which it has left it; the *reversal current* by the highest current at
which FM2 does not end in the reversed family ("FM2 −x" for "FM2 +x") below the lowest at which
it does (:func:`~spintorque.experiments.search.first_crossing`). The estimate is the bracket's
midpoint, its resolution the bracket's half width.

Pairs: two experiments that differ only in ``model`` (same geometry, mesh, materials, seed,
protocol). Per pair the ratio r = j_c(moment) / j_c(diffusion) from the midpoints, and its
bracket bound [j_stay(moment) / j_left(diffusion), j_left(moment) / j_stay(diffusion)] (the
resolution alone, not a statistical interval). Over a group of pairs (e.g. the seeds of one
geometry) the mean of ln r with a two-sided 95 % Student t-interval, reported as the geometric
mean ratio exp(mean) and [exp(lo), exp(hi)]; a percentile bootstrap of the same mean (10,000
resamples, fixed seed) beside it as a check.

Usage::

    spintorque model-difference FOLDER [FOLDER ...] --out DIR [--name NAME] [--threshold reversal]

reads every ``store.sqlite`` under each folder (recursively) and writes ``NAME.md`` (one section
per folder: every pair, per-model statistics, the paired ratio with its intervals), ``NAME.csv``
(one row per experiment and model) and ``NAME.png`` (the paired ratios, one column per folder)
into DIR.
"""

from __future__ import annotations

import csv
import math
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import click

from .search import UNIT, departs, first_crossing, reverses
from .trilayer import TrilayerExperiment, initial_family

__all__ = ["THRESHOLDS", "Threshold", "collect", "geometric_interval", "pair", "main"]

#: The thresholds a store can be read for: name -> (predicate of FM2's initial family, the
#: words for the bracket's lower and upper end in headers, the axis label of the figure).
THRESHOLDS = {
    "first": (departs, ("stays", "leaves"), "first critical current: FM2 leaves +x"),
    "reversal": (reverses, ("below", "reverses"), "reversal current: FM2 ends at −x"),
}


@dataclass(frozen=True)
class Threshold:
    """A critical current of one experiment (one model), currents in A/m²: ``j_stay`` the
    highest current below ``j_left`` at which the threshold is not crossed, ``j_left`` the
    lowest at which it is; ``kind`` one of :data:`THRESHOLDS` ("first": FM2 leaves its initial
    family; "reversal": FM2 ends in the reversed family)."""

    store: str
    experiment: TrilayerExperiment
    j_stay: float | None
    j_left: float | None
    runs: int
    relaxed_fm2_mx: float = math.nan  # FM2's <mx> in the zero-current relaxed state
    kind: str = "first"

    @property
    def model(self) -> str:
        return self.experiment.model

    @property
    def bracketed(self) -> bool:
        return self.j_stay is not None and self.j_left is not None

    @property
    def estimate(self) -> float:
        """Midpoint of the bracket [A/m²]; NaN when not bracketed."""
        return 0.5 * (self.j_stay + self.j_left) if self.bracketed else math.nan

    @property
    def half_width(self) -> float:
        return 0.5 * (self.j_left - self.j_stay) if self.bracketed else math.nan

    def pair_key(self) -> str:
        """The experiment without its model: what two paired thresholds share."""
        return f"{self.kind}:{self.experiment.with_(model='diffusion').digest()}"


def collect(folders: Iterable[str | Path], kind: str = "first") -> list[Threshold]:
    """Every (experiment, model) critical current of ``kind`` (:data:`THRESHOLDS`) in the stores
    under ``folders``."""
    if kind not in THRESHOLDS:
        raise ValueError(f"kind = {kind!r}; allowed: {sorted(THRESHOLDS)}")
    predicate = THRESHOLDS[kind][0]
    from ..sweep.store import Store

    paths: list[Path] = []
    for folder in folders:
        folder = Path(folder)
        paths += [folder] if folder.is_file() else sorted(folder.rglob("store.sqlite"))
    out: list[Threshold] = []
    for path in paths:
        with Store(path) as store:
            groups: dict[str, tuple[TrilayerExperiment, list[tuple[float, str]]]] = {}
            for row in store.rows("done"):
                if row.params.get("kind") != "switching":
                    continue
                exp = TrilayerExperiment.from_dict(row.params["experiment"])
                groups.setdefault(exp.digest(), (exp, []))[1].append(
                    (float(row.params["current"]), row.result["state"]))
        for exp, pts in groups.values():
            stay, left = first_crossing(pts, predicate(initial_family(exp)))
            out.append(Threshold(str(path), exp, stay, left, len(pts),
                                 _relaxed_fm2_mx(exp, path.parent), kind))
    return out


def _relaxed_fm2_mx(exp: TrilayerExperiment, folder: Path) -> float:
    """FM2's <mx> in the relaxed state a sweep in ``folder`` cached (NaN if absent)."""
    import numpy as np

    npy = folder / f"relaxed_{exp.digest(relax_only=True)}.npy"
    if not npy.is_file():
        return math.nan
    m = np.load(npy)
    if m.shape != (*exp.shape, 3):  # not a state of this mesh (e.g. a test's placeholder)
        return math.nan
    n2 = round(exp.t_fm2 / exp.cell[2])
    return float(m[:, :, -n2:, 0].mean())


@dataclass(frozen=True)
class Pair:
    diffusion: Threshold
    moment: Threshold

    @property
    def ratio(self) -> float:
        return self.moment.estimate / self.diffusion.estimate

    @property
    def bound(self) -> tuple[float, float]:
        """What the brackets alone allow for the ratio: (lowest, highest)."""
        d, m = self.diffusion, self.moment
        return m.j_stay / d.j_left, m.j_left / d.j_stay


def pair(thresholds: Sequence[Threshold]) -> list[Pair]:
    """Diffusion/moment pairs of otherwise identical, bracketed experiments."""
    by_key: dict[str, dict[str, Threshold]] = {}
    for t in thresholds:
        if t.bracketed:
            by_key.setdefault(t.pair_key(), {})[t.model] = t
    return [Pair(v["diffusion"], v["moment"]) for v in by_key.values()
            if "diffusion" in v and "moment" in v]


def t_interval(values: Sequence[float], level: float = 0.95) -> tuple[float, float, float]:
    """(mean, lo, hi): the two-sided Student t-interval of the mean; lo = hi = NaN for n < 2."""
    from scipy import stats

    n = len(values)
    mean = sum(values) / n
    if n < 2:
        return mean, math.nan, math.nan
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    half = stats.t.ppf(0.5 + level / 2, n - 1) * sd / math.sqrt(n)
    return mean, mean - half, mean + half


def bootstrap_interval(values: Sequence[float], level: float = 0.95, resamples: int = 10000,
                       seed: int = 0) -> tuple[float, float]:
    """Percentile bootstrap interval of the mean (NaN for n < 2)."""
    import numpy as np

    v = np.asarray(values, float)
    if len(v) < 2:
        return math.nan, math.nan
    rng = np.random.default_rng(seed)
    means = v[rng.integers(0, len(v), size=(resamples, len(v)))].mean(axis=1)
    return (float(np.quantile(means, 0.5 - level / 2)),
            float(np.quantile(means, 0.5 + level / 2)))


def geometric_interval(ratios: Sequence[float]) -> dict[str, float]:
    """Geometric mean of ``ratios`` and its 95 % intervals (t on ln r; bootstrap of ln r)."""
    logs = [math.log(r) for r in ratios]
    mean, lo, hi = t_interval(logs)
    blo, bhi = bootstrap_interval(logs)
    return {"n": len(logs), "ratio": math.exp(mean), "t_lo": math.exp(lo), "t_hi": math.exp(hi),
            "boot_lo": math.exp(blo), "boot_hi": math.exp(bhi),
            "sd_log": (math.sqrt(sum((x - mean) ** 2 for x in logs) / (len(logs) - 1))
                       if len(logs) > 1 else math.nan)}


def _describe(exp: TrilayerExperiment) -> str:
    cell = "×".join(f"{c * 1e9:g}" for c in exp.cell)
    fm1 = (f"pinned at {exp.fm1_tilt or 0:g}°" if exp.pinned else f"random seed {exp.seed}")
    return (f"FM1 {exp.t_fm1 * 1e9:g} nm {fm1}, FM2 {exp.t_fm2 * 1e9:g} nm, {exp.materials}, "
            f"cell {cell} nm, transport dz {exp.cell[2] * 1e9 / (exp.z_refine or 1):g} nm, "
            f"{exp.duration * 1e9:g} ns")


def _fmt(x: float | None, digits: int = 1) -> str:
    return "—" if x is None or not math.isfinite(x) else f"{x:.{digits}f}"


def _kind_of(thresholds: Sequence[Threshold]) -> str:
    """The one kind of ``thresholds`` ("first" when mixed or empty), for headers and labels."""
    kinds = {t.kind for t in thresholds}
    return kinds.pop() if len(kinds) == 1 else "first"


def report(thresholds: Sequence[Threshold]) -> str:
    """Markdown: per experiment both thresholds and the ratio; per-model statistics; the paired
    ratio's geometric mean with its 95 % intervals. Currents in 1e10 A/m²."""
    below, at = THRESHOLDS[_kind_of(thresholds)][1]
    pairs = sorted(pair(thresholds), key=lambda p: (p.diffusion.experiment.seed,
                                                     p.diffusion.experiment.t_fm2,
                                                     p.diffusion.experiment.materials))
    lines = [f"| experiment | relaxed FM2 ⟨mx⟩ | diffusion: {below} / {at} | "
             f"moment: {below} / {at} | j_c diffusion | j_c moment | ratio m/d | bracket bound | "
             "runs d/m |",
             "|---|---|---|---|---|---|---|---|---|"]
    for p in pairs:
        d, m = p.diffusion, p.moment
        lo, hi = p.bound
        lines.append(
            f"| {_describe(d.experiment)} | {_fmt(d.relaxed_fm2_mx, 3)} | "
            f"{_fmt(d.j_stay / UNIT)} / {_fmt(d.j_left / UNIT)} | "
            f"{_fmt(m.j_stay / UNIT)} / {_fmt(m.j_left / UNIT)} | "
            f"{_fmt(d.estimate / UNIT)} ± {_fmt(d.half_width / UNIT)} | "
            f"{_fmt(m.estimate / UNIT)} ± {_fmt(m.half_width / UNIT)} | {p.ratio:.3f} | "
            f"{lo:.3f} – {hi:.3f} | {d.runs}/{m.runs} |")
    in_pairs = {id(t) for p in pairs for t in (p.diffusion, p.moment)}
    for t in (t for t in thresholds if id(t) not in in_pairs):
        if t.bracketed:
            what = (f"{_fmt(t.j_stay / UNIT)} / {_fmt(t.j_left / UNIT)}: j_c "
                    f"{_fmt(t.estimate / UNIT)} ± {_fmt(t.half_width / UNIT)}")
        else:
            where = "below the scan" if t.j_stay is None else "above the scan"
            what = (f"not bracketed, {where}: {below} ≤ {_fmt((t.j_stay or math.nan) / UNIT)}, "
                    f"{at} at {_fmt((t.j_left or math.nan) / UNIT)}")
        lines.append(f"| {_describe(t.experiment)} ({t.model} only) | "
                     f"{_fmt(t.relaxed_fm2_mx, 3)} | {what} | | | | | | {t.runs} |")
    lines.append("")
    if len(pairs) >= 2:
        lines += ["| model | n | mean j_c | 95 % t-interval of the mean | sd | min | median | "
                  "max |", "|---|---|---|---|---|---|---|---|"]
        for model in ("diffusion", "moment"):
            vals = sorted(getattr(p, model).estimate / UNIT for p in pairs)
            mean, lo, hi = t_interval(vals)
            sd = (math.sqrt(sum((v - mean) ** 2 for v in vals) / (len(vals) - 1))
                  if len(vals) > 1 else math.nan)
            med = vals[len(vals) // 2] if len(vals) % 2 else 0.5 * (
                vals[len(vals) // 2 - 1] + vals[len(vals) // 2])
            lines.append(f"| {model} | {len(vals)} | {mean:.1f} | {_fmt(lo)} – {_fmt(hi)} | "
                         f"{_fmt(sd)} | {vals[0]:.1f} | {med:.1f} | {vals[-1]:.1f} |")
    if len(pairs) >= 2:
        g = geometric_interval([p.ratio for p in pairs])
        lines += ["", f"Paired ratio moment/diffusion over {g['n']} pairs: geometric mean "
                  f"**{g['ratio']:.3f}**, 95 % t-interval on ln r "
                  f"[{_fmt(g['t_lo'], 3)}, {_fmt(g['t_hi'], 3)}], percentile bootstrap "
                  f"[{_fmt(g['boot_lo'], 3)}, {_fmt(g['boot_hi'], 3)}]; sd of ln r "
                  f"{_fmt(g['sd_log'], 3)}. Currents in 1e10 A/m²."]
    return "\n".join(lines) + "\n"


def write_csv(thresholds: Sequence[Threshold], path: Path) -> None:
    cols = ["store", "model", "seed", "fm1", "fm1_tilt_deg", "t_fm1_nm", "t_fm2_nm", "materials",
            "cell_nm", "z_refine", "duration_ns", "relaxed_fm2_mx", "j_stay_1e10", "j_left_1e10",
            "j_c_1e10", "runs"]
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(cols)
        for t in thresholds:
            e = t.experiment
            w.writerow([t.store, t.model, e.seed, e.fm1 or "random", e.fm1_tilt or 0,
                        round(e.t_fm1 * 1e9, 6), round(e.t_fm2 * 1e9, 6), e.materials,
                        ",".join(f"{c * 1e9:g}" for c in e.cell), e.z_refine or 1,
                        round(e.duration * 1e9, 6),
                        "" if math.isnan(t.relaxed_fm2_mx) else round(t.relaxed_fm2_mx, 4),
                        "" if t.j_stay is None else round(t.j_stay / UNIT, 6),
                        "" if t.j_left is None else round(t.j_left / UNIT, 6),
                        "" if not t.bracketed else round(t.estimate / UNIT, 6), t.runs])


def plot_pairs(groups: dict[str, Sequence[Threshold]], png: Path,
               title: str | None = None) -> Path:
    """The paired ratios j_c(moment)/j_c(diffusion) per experiment (points with their bracket
    bounds), one column of points per group, and each group's geometric mean with its 95 %
    t-interval (bar)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    fig, ax = plt.subplots(figsize=(max(7.5, 1.0 * len(groups) + 2), 4.8))
    for gi, ths in enumerate(groups.values()):
        pairs = pair(ths)
        if not pairs:
            continue
        n = len(pairs)
        xs = [gi - 0.05 + (i - (n - 1) / 2) * min(0.5 / n, 0.04) for i in range(n)]
        rs = [p.ratio for p in pairs]
        lo = [p.ratio - p.bound[0] for p in pairs]
        hi = [p.bound[1] - p.ratio for p in pairs]
        ax.errorbar(xs, rs, yerr=[lo, hi], fmt="o", ms=4, color="C0", alpha=0.7, capsize=2,
                    label="one pair (bracket bound)" if gi == 0 else None)
        if n >= 2:
            g = geometric_interval(rs)
            ax.errorbar([gi + 0.3], [g["ratio"]],
                        yerr=[[g["ratio"] - g["t_lo"]], [g["t_hi"] - g["ratio"]]], fmt="s",
                        ms=6, color="C3", capsize=4,
                        label="geometric mean, 95 % t-interval" if gi == 0 else None)
    ax.axhline(1.0, color="k", lw=0.8)
    ax.axhline(9.05 / 7.45, color="C2", lw=1, ls="--",
               label="talk: 9.05 / 7.45 = 1.21")
    ax.set_xlim(-0.5, len(groups) - 0.5)
    ax.set_xticks(range(len(groups)))
    ax.set_xticklabels([g.replace("/", "\n") for g in groups], fontsize=7, rotation=30,
                       ha="right")
    ax.set_yscale("log")
    lo = min([0.85] + [p.bound[0] * 0.95 for ths in groups.values() for p in pair(ths)])
    hi = max([1.4] + [p.bound[1] * 1.05 for ths in groups.values() for p in pair(ths)])
    ax.set_ylim(lo, hi)
    ax.yaxis.set_major_formatter(matplotlib.ticker.FormatStrFormatter("%.2f"))
    ax.yaxis.set_minor_formatter(matplotlib.ticker.FormatStrFormatter("%.1f"))
    ax.set_ylabel("j_c(moment) / j_c(diffusion)  (1)")
    what = THRESHOLDS[_kind_of([t for ths in groups.values() for t in ths])][2]
    ax.set_xlabel(f"folder (geometry); {what}")
    if title:
        ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, loc="best")
    fig.tight_layout()
    png = Path(png)
    fig.savefig(png, dpi=120)
    plt.close(fig)
    return png


@click.command()
@click.argument("folders", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True)
@click.option("--name", default="thresholds", show_default=True,
              help="Base name of the outputs (NAME.md, NAME.csv, NAME.png).")
@click.option("--threshold", "kind", type=click.Choice(sorted(THRESHOLDS)), default="first",
              show_default=True,
              help="first: the lowest current at which FM2 leaves its initial family; "
                   "reversal: the lowest at which it ends in the reversed family.")
def main(folders: tuple[Path, ...], out_dir: Path, name: str, kind: str) -> None:
    """Critical currents of both models, paired ratios and 95 % intervals from the switching
    stores under FOLDERS (one section and one column of the figure per FOLDER)."""
    groups: dict[str, list[Threshold]] = {}
    for folder in folders:
        groups[_label(folder)] = collect([folder], kind)
    if not any(groups.values()):
        raise click.ClickException(f"no switching runs under {[str(f) for f in folders]}")
    out_dir.mkdir(parents=True, exist_ok=True)
    sections = []
    for label, ths in groups.items():
        if ths:
            sections.append(f"### {label}\n\n{report(ths)}")
    md = "\n".join(sections)
    (out_dir / f"{name}.md").write_text(md, encoding="utf-8")
    write_csv([t for ths in groups.values() for t in ths], out_dir / f"{name}.csv")
    plot_pairs({k: v for k, v in groups.items() if pair(v)}, out_dir / f"{name}.png")
    click.echo(md)


def _label(folder: Path) -> str:
    """A folder's label: its last two path parts (``pinned/fm2-60``, ``md/ens-quick``)."""
    parts = Path(folder).resolve().parts
    return "/".join(parts[-2:])


if __name__ == "__main__":  # pragma: no cover - command line
    main(sys.argv[1:])
