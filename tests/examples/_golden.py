"""Reference tables for the shape-only refactors: every shipped example on its coarse mesh and a
smoke switching point per transport model and stepping.

``python tests/examples/_golden.py OUT_DIR`` writes ``OUT_DIR/<name>.tsv``; the files in
``tests/examples/golden/`` were written by the code of commit 2d4753b (``PYTHONPATH`` set to a
worktree of it; the same bytes as its working tree gave), after its step control changed the
results on purpose, and ``test_golden.py`` compares today's tables with them. Until then they
were those of commit 0337351 (before the problem object and the one run loop), which the
refactoring reproduced bit for bit (docs/architecture.md).
"""

from __future__ import annotations

import math
import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
EXAMPLES = sorted((HERE.parents[1] / "examples").glob("*.toml"))
SWITCHING = {  # name: preset overrides of the smoke switching point
    "switching_diffusion": {"model": "diffusion"},
    "switching_moment_accepted": {"model": "moment", "integrator": "rk43",
                                  "transport_update": "accepted"},
    "switching_moment_gspm": {"model": "moment", "integrator": "gspm"},
}


COARSE_CELLS = 600  # at most this many cells in the coarse run


def coarse(data: dict) -> dict:
    """Coarsen the mesh (cells that still tile every layer) and shorten the run."""
    size = data["mesh"]["size"]
    cell = list(data["mesh"]["cell"])
    thicknesses = [layer["thickness"] for layer in data["layer"]]
    for axis in range(3):
        lengths = [size[axis]] if axis < 2 else thicknesses
        while True:
            n = math.prod(round(s / c) for s, c in zip(size, cell, strict=True))
            trial = 2 * cell[axis]
            fits = all(abs(x / trial - round(x / trial)) < 1e-9 and round(x / trial) >= 1
                       for x in lengths)
            if n <= COARSE_CELLS or not fits:
                break
            cell[axis] = trial
    data["mesh"]["cell"] = cell
    for layer in data["layer"]:  # an OVF initial state is tied to the original mesh
        if "file" in layer.get("initial", {}):
            layer["initial"] = {"uniform": [1.0, 0.1, 0.0]}
    run = data.setdefault("run", {})
    run["duration"] = 3 * run["output_every"] if run.get("duration", 0) > 0 else 0.0
    run.pop("snapshot_every", None)
    data.setdefault("relax", {})["max_iter"] = 30
    if _knows_allow_unconverged():  # the relaxation is cut short on purpose
        data["relax"]["allow_unconverged"] = True
    return data


def _knows_allow_unconverged() -> bool:
    """Whether the config has ``relax.allow_unconverged`` (the code of 0337351 has not)."""
    try:
        from spintorque.config import RelaxConfig
    except ImportError:
        return False
    return "allow_unconverged" in RelaxConfig.model_fields


def example_table(path: Path, folder: Path) -> Path:
    """Run the coarse version of the example ``path`` in ``folder``; its table's path."""
    import tomllib

    try:
        from spintorque.config import config_from_dict
    except ImportError:  # the code before the config schema moved
        from spintorque.io.config import config_from_dict
    from spintorque.simulation import run_config

    with open(path, "rb") as fh:
        data = coarse(tomllib.load(fh))
    run_config(config_from_dict(data, source=str(path)), folder, progress=None)
    return folder / "table.tsv"


def switching_table(overrides: dict, folder: Path) -> Path:
    """A smoke switching point (0.05 ns at 4e12 A/m²) in ``folder``; its table's path."""
    from spintorque.experiments.runner import run_switching_point
    from spintorque.experiments.trilayer import preset

    exp = preset("smoke", duration=0.05e-9, output_every=0.01e-9, **overrides)
    run_switching_point(exp, 4e12, out_dir=folder, figures=False)
    return folder / "table.tsv"


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        for path in EXAMPLES:
            shutil.copy(example_table(path, Path(tmp) / path.stem), out / f"{path.stem}.tsv")
        for name, over in SWITCHING.items():
            shutil.copy(switching_table(over, Path(tmp) / name), out / f"{name}.tsv")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
