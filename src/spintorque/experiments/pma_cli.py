"""``spintorque pma-pillar run|report``: the perpendicular pillar's switching study
(:mod:`.pma_study`) on Dask into a resumable store, and its tables and figures."""

from __future__ import annotations

from pathlib import Path

import click

from .pma_study import PRESETS

DEFAULT_STORE = Path("data/pma-pillar/store.sqlite")
DEFAULT_OUT = Path("docs/results/pma_pillar")


@click.group("pma-pillar")
def pma_pillar() -> None:
    """The perpendicular spin-valve pillar: thresholds, 0 K switching time and 300 K switching
    probability for the diffusion model, the moment model and the local Slonczewski torque."""


@pma_pillar.command("run")
@click.option("--preset", type=click.Choice(sorted(PRESETS)), default="full", show_default=True,
              help="study size (full: 40 nm pillar, 25 seeds per point; quick: smoke test)")
@click.option("--store", type=click.Path(dir_okay=False, path_type=Path), default=DEFAULT_STORE,
              show_default=True, help="result store (resumes: done points are not recomputed)")
@click.option("--workers", type=click.IntRange(min=1), default=None,
              help="local Dask worker processes, one thread each (default: the CPU count)")
@click.option("--scheduler", default=None, help="address of an existing Dask scheduler")
@click.option("--report-to", "report_to", type=click.Path(file_okay=False, path_type=Path),
              default=None, help="also write the report into this folder when done")
def run_cmd(preset: str, store: Path, workers: int | None, scheduler: str | None,
            report_to: Path | None) -> None:
    """Run (or resume) the study."""
    from .pma_study import report, run_study

    counts = run_study(store, PRESETS[preset], workers=workers, scheduler=scheduler)
    click.echo(f"{store}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    if report_to is not None:
        click.echo(report(store, report_to))


@pma_pillar.command("report")
@click.option("--store", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=DEFAULT_STORE, show_default=True)
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              default=DEFAULT_OUT, show_default=True)
def report_cmd(store: Path, out_dir: Path) -> None:
    """Tables (Markdown, CSV) and figures of a study store."""
    from .pma_study import report

    click.echo(report(store, out_dir))
