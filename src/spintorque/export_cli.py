"""``spintorque export table|vtk RUN_DIR``: a run folder's files in the layouts other tools read.

- ``export table RUN_DIR [--format mumax3] [--out PATH]``: ``table.tsv`` as mumax3's
  ``table.txt``, which ``ubermagtable`` and ``micromagneticdata`` read
  (:mod:`spintorque.io.ubermag_table`);
- ``export vtk RUN_DIR [--out DIR]``: every OVF snapshot as VTK image data (``.vti``) and the
  series ``m.pvd`` for ParaView (:mod:`spintorque.io.vtk`; needs pyvista).

Both read the folder only (a run still going on is fine: the table's complete rows are taken).
"""

from __future__ import annotations

from pathlib import Path

import click

from .io.errors import UserError
from .io.ubermag_table import LAYOUTS, write_ubermag_table


@click.group()
def export() -> None:
    """Write a run folder's table or snapshots in the layouts of other tools."""


def _run_dir(path: Path) -> Path:
    if not path.is_dir():
        raise UserError(f"run folder {str(path)!r} does not exist")
    return path


@export.command("table")
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("--format", "layout", type=click.Choice(LAYOUTS), default="mumax3",
              show_default=True, help="layout: mumax3's table.txt (read by ubermagtable)")
@click.option("--out", "out", type=click.Path(path_type=Path), default=None,
              help="file or folder to write (default: RUN_DIR/table.txt)")
def table_cmd(run_dir: Path, layout: str, out: Path | None) -> None:
    """Write RUN_DIR/table.tsv in LAYOUT (same columns, values and SI units)."""
    tsv = _run_dir(run_dir) / "table.tsv"
    if not tsv.is_file():
        raise UserError(f"{run_dir}: no table.tsv (not a run folder, or the run has not "
                        "started)")
    path = write_ubermag_table(tsv, out, layout)
    click.echo(f"wrote {path}")


@export.command("vtk")
@click.argument("run_dir", type=click.Path(path_type=Path))
@click.option("--out", "out", type=click.Path(path_type=Path), default=None,
              help="folder to write into (default: RUN_DIR)")
def vtk_cmd(run_dir: Path, out: Path | None) -> None:
    """Write every OVF snapshot of RUN_DIR as .vti (cell data m, M [A/m], region) and the
    time series m.pvd for ParaView."""
    from .io.vtk import export_vtk

    written = export_vtk(_run_dir(run_dir), out)
    click.echo(f"wrote {len(written)} files to {written[-1].parent}"
               + (f" (series {written[-1].name})" if written[-1].suffix == ".pvd" else ""))
