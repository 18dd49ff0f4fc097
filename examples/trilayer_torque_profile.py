"""Spin-transfer torque on FM2 of the switching pillar, diffusion model against moment model.

Both models are solved (tightly, rtol 1e-8) on the same magnetization: the relaxed zero-current
state of the switching experiment (FM1 relaxed from random, FM2 along +x), with the current
switched on. Printed per depth in FM2: the plane average of the torque field |m × c s| [mT]
(the LLG carries −γ m × (c s)), and the layer totals. This is the check behind "the total
torque per unit current is similar and only its depth profile differs" in
``docs/results/switching.md``.

    .venv/bin/python examples/trilayer_torque_profile.py [--preset full] [--current 60]
        [--relaxed runs/full/relaxed_*.npy] [--out torque_profile.png] [--uniform-fm2]

``--current`` in 1e10 A/m²; ``--relaxed`` reuses the relaxed state a sweep cached in its output
folder (else the state is relaxed here: ~15 s at 4 nm).
"""

from __future__ import annotations

import argparse

import numpy as np

from spintorque.config import config_from_dict
from spintorque.experiments.runner import relax_state
from spintorque.experiments.trilayer import preset
from spintorque.simulation import build_sample
from spintorque.transport.diffusion import DiffusionModel
from spintorque.transport.moment import MomentModel
from spintorque.transport.solver import TransportSolver


def torque_field(sample, m: np.ndarray, model_name: str, current: float) -> np.ndarray:
    """|m × c s| per cell [T], shape ``grid.shape`` (zero outside the magnetic cells)."""
    cls = DiffusionModel if model_name == "diffusion" else MomentModel
    model = cls(sample, current)
    s_cells = TransportSolver(model, rtol=1e-8).solve(m)
    s = model.mesh.restrict(s_cells)
    c = np.array([mat.effective_c_sd for mat in sample.materials])[sample.region]
    return np.linalg.norm(np.cross(m, c[..., None] * s), axis=-1) * sample.magnetic


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--preset", default="full")
    ap.add_argument("--current", type=float, default=60.0, help="1e10 A/m^2")
    ap.add_argument("--relaxed", default=None, help=".npy relaxed state (cached by a sweep)")
    ap.add_argument("--out", default=None, help="PNG of the depth profiles")
    ap.add_argument("--uniform-fm2", action="store_true",
                    help="FM2 set to +x (no texture: only the torque of the spin current from "
                         "FM1 and the spacer remains)")
    args = ap.parse_args()
    exp = preset(args.preset)
    j = args.current * 1e10
    sample = build_sample(config_from_dict(exp.to_config(j, relax=False)))
    m, _ = relax_state(exp, cache=args.relaxed)
    if args.uniform_fm2:
        m = m.copy()
        m[sample.mask("FM2")] = (1.0, 0.0, 0.0)
    k0, k1 = next((a, b) for name, a, b in sample.magnetic_layers() if name == "FM2")
    dz = sample.grid.cell[2]
    prof = {name: torque_field(sample, m, name, j)[:, :, k0:k1].mean(axis=(0, 1))
            for name in ("diffusion", "moment")}
    depth = (np.arange(k1 - k0) + 0.5) * dz
    state = "relaxed state, FM2 set to +x" if args.uniform_fm2 else "relaxed state"
    print(f"# {args.preset} preset, j = {args.current:g}e10 A/m^2, {state}; "
          "plane average of |m x c s| in FM2 [mT] by depth from the spacer [nm]")
    print("| depth (nm) | diffusion (mT) | moment (mT) | moment / diffusion |")
    print("|---|---|---|---|")
    for z, a, b in zip(depth, prof["diffusion"], prof["moment"], strict=True):
        print(f"| {z * 1e9:.0f} | {a * 1e3:.3f} | {b * 1e3:.3f} | {b / a if a else np.nan:.3f} |")
    tot = {k: v.sum() * dz for k, v in prof.items()}  # depth integral [T m]
    first = {k: v[: max(1, round(10e-9 / dz))].sum() * dz / (tot[k] or 1.0)
             for k, v in prof.items()}
    print(f"depth integral over FM2 [mT nm]: diffusion {tot['diffusion'] * 1e12:.2f}, "
          f"moment {tot['moment'] * 1e12:.2f}, ratio {tot['moment'] / tot['diffusion']:.3f}; "
          f"share within the first 10 nm: diffusion {first['diffusion']:.2f}, "
          f"moment {first['moment']:.2f}")
    if args.out:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(5, 3.2))
        for name, v in prof.items():
            ax.plot(depth * 1e9, v * 1e3, "o-", ms=3, label=name)
        ax.set_xlabel("depth in FM2 from the spacer (nm)")
        ax.set_ylabel("plane average of |m × c s| (mT)")
        ax.set_yscale("log")
        ax.set_title(f"torque on FM2, j = {args.current:g}e10 A/m²")
        ax.legend()
        fig.tight_layout()
        fig.savefig(args.out, dpi=120)
        print(args.out)


if __name__ == "__main__":
    main()
