"""Figures people look at: m(t) per layer, layer snapshots, the switching diagram, animations.

Matplotlib with the Agg backend (no display needed); every axis names its unit. Lengths are shown
in nm, times in ns and current densities in 1e10 A/m² (the talk's table unit); magnetization
components are dimensionless (unit "1").
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from .io.table import read_table  # noqa: E402

COMPONENTS = ("x", "y", "z")


def plot_mt(table: str | os.PathLike, png: str | os.PathLike, title: str | None = None) -> Path:
    """m(t) of each magnetic layer from a ``table.tsv`` (one panel per layer) as a PNG.

    Layers are those with ``mx_<layer>``, ``my_<layer>``, ``mz_<layer>`` columns; a table
    without any (a single magnet) gets one panel "all" from ``mx``, ``my``, ``mz``."""
    tab = read_table(table)
    if not tab.has("t"):
        raise ValueError(f"{table}: no time column 't (s)'; columns are {tab.columns}")
    t_ns = tab.time * 1e9
    layers = {layer: tab.averages(layer) for layer in tab.layers}
    if not layers and all(tab.has(f"m{c}") for c in COMPONENTS):
        layers["all"] = tab.averages()
    if not layers:
        raise ValueError(f"{table}: no magnetization columns (mx_<layer> or mx, my, mz)")
    fig, axes = plt.subplots(len(layers), 1, figsize=(7, 2.4 * len(layers)), sharex=True,
                             squeeze=False)
    for ax, (layer, m) in zip(axes[:, 0], layers.items(), strict=True):
        for k, comp in enumerate(COMPONENTS):
            ax.plot(t_ns, m[:, k], label=f"⟨m_{comp}⟩")
        ax.set_ylim(-1.05, 1.05)
        ax.set_ylabel(f"{layer} ⟨m⟩ (1)")
        ax.axhline(0, color="0.7", lw=0.5)
        ax.legend(loc="upper right", fontsize=8, ncol=3)
    axes[-1, 0].set_xlabel("t (ns)")
    if title:
        axes[0, 0].set_title(title)
    fig.tight_layout()
    return _save(fig, png)


def plot_layer_overlay(
    curves: Sequence[tuple[str, np.ndarray, np.ndarray]],
    png: str | os.PathLike,
    layer: str = "FM2",
    title: str | None = None,
) -> Path:
    """One layer's average magnetization of several runs against time, one panel per component.

    ``curves``: ``(label, t [s], averages [1] of shape (n, 3))`` per run; time is drawn in ns.
    """
    if not curves:
        raise ValueError("curves is empty: nothing to plot")
    fig, axes = plt.subplots(3, 1, figsize=(7, 6), sharex=True)
    for label, t, m in curves:
        for k, ax in enumerate(axes):
            ax.plot(np.asarray(t) * 1e9, np.asarray(m)[:, k], label=label, lw=1)
    for k, ax in enumerate(axes):
        ax.set_ylabel(f"⟨m{COMPONENTS[k]}⟩ {layer} (1)")
        ax.set_ylim(-1.05, 1.05)
        ax.grid(alpha=0.3)
    axes[0].legend(loc="lower left", fontsize=8)
    axes[-1].set_xlabel("t (ns)")
    if title:
        axes[0].set_title(title, fontsize=9)
    fig.tight_layout()
    return _save(fig, png)


def _save(fig, png: str | os.PathLike) -> Path:
    path = Path(png)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _draw_layer(ax, m_slice: np.ndarray, cell: Sequence[float], max_arrows: int = 24):
    """Colour: m_x; arrows: in-plane (m_x, m_y), thinned to at most ``max_arrows`` per row."""
    nx, ny = m_slice.shape[:2]
    ext = (0, nx * cell[0] * 1e9, 0, ny * cell[1] * 1e9)
    im = ax.imshow(m_slice[..., 0].T, origin="lower", extent=ext, cmap="RdBu_r", vmin=-1, vmax=1,
                   interpolation="nearest", aspect="equal")
    step = max(1, int(np.ceil(max(nx, ny) / max_arrows)))
    xs = (np.arange(nx) + 0.5) * cell[0] * 1e9
    ys = (np.arange(ny) + 0.5) * cell[1] * 1e9
    X, Y = np.meshgrid(xs[::step], ys[::step], indexing="ij")
    sub = m_slice[::step, ::step]
    ax.quiver(X, Y, sub[..., 0], sub[..., 1], pivot="mid", scale=1.2 * max(nx, ny) / step,
              scale_units="width", width=0.004)
    ax.set_xlabel("x (nm)")
    ax.set_ylabel("y (nm)")
    return im


def plot_layers(
    m: np.ndarray,
    layers: Sequence[tuple[str, int, int]],
    cell: Sequence[float],
    png: str | os.PathLike,
    title: str | None = None,
) -> Path:
    """Snapshot of each magnetic layer: bottom, middle and top cell slice of each layer.

    ``m``: unit magnetization, shape ``(nx, ny, nz, 3)``; ``layers``: ``(name, k0, k1)`` z-cell
    ranges (``Sample.magnetic_layers()``); ``cell``: (dx, dy, dz) [m]. Colour is m_x, arrows the
    in-plane components.
    """
    m = np.asarray(m, float)
    if m.ndim != 4 or m.shape[-1] != 3:
        raise ValueError(f"m has shape {m.shape}; need (nx, ny, nz, 3)")
    if not layers:
        raise ValueError("layers is empty: nothing to plot")
    fig, axes = plt.subplots(len(layers), 3, figsize=(11, 2.6 * len(layers)), squeeze=False)
    im = None
    for row, (name, k0, k1) in enumerate(layers):
        picks = [("bottom", k0), ("middle", (k0 + k1 - 1) // 2), ("top", k1 - 1)]
        for col, (where, k) in enumerate(picks):
            ax = axes[row, col]
            im = _draw_layer(ax, m[:, :, k], cell)
            z_nm = (k + 0.5) * cell[2] * 1e9
            ax.set_title(f"{name} {where} (z = {z_nm:.0f} nm)", fontsize=9)
    fig.colorbar(im, ax=axes.ravel().tolist(), label="m_x (1)", shrink=0.8)
    if title:
        fig.suptitle(title)
    return _save(fig, png)


def plot_switching_diagram(
    points: dict[str, Sequence[tuple[float, str]]],
    png: str | os.PathLike,
    title: str | None = None,
) -> Path:
    """Final state against current density, one marker row per state, one colour per model.

    ``points``: ``{model: [(current_density [A/m²], state label), ...]}``.
    """
    states = sorted({s for pts in points.values() for _, s in pts})
    if not states:
        raise ValueError("points is empty: nothing to plot")
    ypos = {s: i for i, s in enumerate(states)}
    fig, ax = plt.subplots(figsize=(8, 1.2 + 0.5 * len(states)))
    markers = "os^Dv<>"
    n = max(1, len(points))
    for i, (model, pts) in enumerate(points.items()):
        if not pts:
            continue
        j = np.array([p[0] for p in pts]) / 1e10
        y = np.array([ypos[p[1]] for p in pts]) + (i - (n - 1) / 2) * 0.15
        ax.scatter(j, y, marker=markers[i % len(markers)], label=model, s=22)
    js = [p[0] for pts in points.values() for p in pts if p[0] > 0]
    if js and max(js) / min(js) > 20:  # wide scans (decades of current) read better on log axes
        ax.set_xscale("log")
    ax.set_yticks(range(len(states)))
    ax.set_yticklabels(states)
    ax.set_xlabel("current density j (10¹⁰ A/m², FM1 → FM2)")
    ax.set_ylabel("final state (classifier label, no unit)")
    ax.grid(axis="x", color="0.9")
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return _save(fig, png)


def plot_motion(
    points: dict[str, Sequence[tuple[float, float]]],
    png: str | os.PathLike,
    threshold: float | None = None,
    title: str | None = None,
) -> Path:
    """FM2's motion at the end of each run against current density, one marker per model.

    ``points``: ``{model: [(current_density [A/m²], motion [1]), ...]}``, where motion is the
    largest change of a component of the layer average over the last settle window (0 at rest).
    ``threshold`` [1]: drawn as a dashed line (the search's ``moving_threshold``), if given.
    """
    if not any(points.values()):
        raise ValueError("points is empty: nothing to plot")
    fig, ax = plt.subplots(figsize=(8, 3.6))
    markers = "os^Dv<>"
    for i, (model, pts) in enumerate(points.items()):
        if not pts:
            continue
        pts = sorted(pts)
        j = np.array([p[0] for p in pts]) / 1e10
        ax.plot(j, [p[1] for p in pts], marker=markers[i % len(markers)], ms=5, lw=0.8,
                label=model)
    if threshold is not None:
        ax.axhline(threshold, color="0.4", ls="--", lw=0.8,
                   label=f"moving threshold {threshold:g}")
    ax.set_xlabel("current density j (10¹⁰ A/m², FM1 → FM2)")
    ax.set_ylabel("FM2 motion over the last settle window (1)")
    ax.set_ylim(bottom=0)
    ax.grid(color="0.9")
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return _save(fig, png)


def animate_layer(
    frames: np.ndarray,
    times: Sequence[float],
    cell: Sequence[float],
    path: str | os.PathLike,
    title: str = "",
    fps: int = 10,
) -> Path | None:
    """GIF of one layer's in-plane state over time (pillow writer); ``None`` without pillow.

    ``frames``: shape ``(n_frames, nx, ny, 3)`` (e.g. each frame the layer's z-average);
    ``times``: frame times [s].
    """
    from matplotlib import animation

    if not animation.writers.is_available("pillow"):
        return None
    frames = np.asarray(frames, float)
    if frames.ndim != 4 or frames.shape[-1] != 3 or len(frames) != len(times):
        raise ValueError(f"frames of shape {frames.shape} and {len(times)} times: need "
                         "(n_frames, nx, ny, 3) and one time per frame")
    fig, ax = plt.subplots(figsize=(6, 3.6))

    def draw(i: int):
        ax.clear()
        _draw_layer(ax, frames[i], cell)
        ax.set_title(f"{title} t = {times[i] * 1e9:.3f} ns")
        return []

    anim = animation.FuncAnimation(fig, draw, frames=len(frames), blit=False)
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    anim.save(out, writer=animation.PillowWriter(fps=fps))
    plt.close(fig)
    return out
