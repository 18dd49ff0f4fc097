"""The four numerical studies of the model hierarchy (quantum -> kinetic -> moments -> diffusion).

``run_study(name, out_dir, quick=False)`` runs one study, writes ``<name>.csv``, ``<name>.md``
(a Markdown table with the measured rates and the wall time) and ``<name>.png`` into out_dir, and
returns the path of the Markdown table. ``hierarchy_command(study, out)`` is the CLI hook
(``spintorque hierarchy STUDY --out DIR``; ``STUDY`` may be ``all``). Everything is dimensionless
(the talk's rescaled variables); the figures label their axes as such.

Studies:

- ``schrodinger-liouville``: WKB data, eps -> 0, density and spin density against the Liouville
  (characteristics) solution before caustics.
- ``kinetic-moment-diffusion``: one Fourier mode, uniform M; the spinor BGK moments against the
  moment system and against the diffusion limit for eps = 1 ... 1e-3 (exact in time and x).
- ``moment-diffusion``: moment system against its diffusion limit, well-prepared data, a single
  mode (docs/theory/hierarchy.md, diffusion limit) and a layered-M case (finite volumes, exact
  in time).
- ``ap``: the AP schemes (kinetic micro-macro and moment) with one dt for eps = 1 ... 1e-4:
  bounded solutions and convergence to the limit scheme.

Modules: ``report`` (rates, the CSV/Markdown tables, the figure backend) and one module per study
(``schrodinger_liouville``, ``kinetic_moment_diffusion``, ``moment_diffusion``, ``ap``); this
package holds the registry ``STUDIES`` and the entry points.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from .ap import kinetic_ap_run, moment_ap_run, study_ap
from .kinetic_moment_diffusion import kinetic_layered_compare, study_kinetic_moment_diffusion
from .moment_diffusion import layered_error, layered_M, single_mode_error, study_moment_diffusion
from .report import rate
from .schrodinger_liouville import (
    WKB_SIGMA,
    schrodinger_liouville_errors,
    study_schrodinger_liouville,
    wkb_case,
)

__all__ = [
    "STUDIES",
    "WKB_SIGMA",
    "hierarchy_command",
    "kinetic_ap_run",
    "kinetic_layered_compare",
    "layered_M",
    "layered_error",
    "moment_ap_run",
    "rate",
    "run_study",
    "schrodinger_liouville_errors",
    "single_mode_error",
    "study_ap",
    "study_kinetic_moment_diffusion",
    "study_moment_diffusion",
    "study_schrodinger_liouville",
    "wkb_case",
]

STUDIES: dict[str, Callable[[Path, bool], Path]] = {
    "schrodinger-liouville": study_schrodinger_liouville,
    "kinetic-moment-diffusion": study_kinetic_moment_diffusion,
    "moment-diffusion": study_moment_diffusion,
    "ap": study_ap,
}


def run_study(name: str, out_dir: str | Path, quick: bool = False) -> Path:
    """Run study ``name`` (a key of ``STUDIES``); write CSV, Markdown and PNG to out_dir.

    Returns the path of the Markdown table. ``quick`` runs a reduced eps list (for tests).
    """
    if name not in STUDIES:
        raise ValueError(f"study = {name!r}: choose one of {sorted(STUDIES)}")
    return STUDIES[name](Path(out_dir), quick)


def hierarchy_command(study: str, out: Path, quick: bool = False) -> list[Path]:
    """CLI hook for ``spintorque hierarchy STUDY --out DIR``; STUDY may be ``all``.

    Runs the study (or all four), prints each table path and wall time, returns the paths.
    """
    names = sorted(STUDIES) if study == "all" else [study]
    paths = []
    for name in names:
        tic = time.perf_counter()
        path = run_study(name, out, quick=quick)
        print(f"{name}: {path} ({time.perf_counter() - tic:.1f} s)")
        paths.append(path)
    return paths
