"""``spintorque hierarchy STUDY --out DIR``: run the model-hierarchy studies (lazily registered)."""

from __future__ import annotations

from pathlib import Path

import click

from .studies import STUDIES, hierarchy_command


@click.command("hierarchy")
@click.argument("study", type=click.Choice(["all", *sorted(STUDIES)]))
@click.option(
    "--out",
    "out",
    type=click.Path(file_okay=False, path_type=Path),
    required=True,
    help="Output folder for STUDY.csv, STUDY.md (tables, rates, timings) and STUDY.png.",
)
@click.option("--quick", is_flag=True, help="Reduced eps lists (seconds instead of a minute).")
@click.option("--threads", type=click.IntRange(1, 1024), default=1, show_default=True,
              help="BLAS/OpenMP threads of the studies' dense linear algebra.")
def hierarchy(study: str, out: Path, quick: bool, threads: int) -> None:
    """Run one study of the quantum -> kinetic -> moment -> diffusion hierarchy (or all)."""
    from ..threads import limit_threads

    with limit_threads(threads):
        hierarchy_command(study, out, quick=quick)
