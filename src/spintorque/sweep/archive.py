"""Copy a switching sweep's resumable state (an ``--out`` folder) to another folder.

``spintorque archive SWEEP_DIR DEST`` (:func:`archive_sweep`), e.g. into the repository
(data/, indexed in data/README.md): a consistent copy of the store (SQLite backup API, safe while
a client writes), the relaxed state, and per run its ``table.tsv`` and ``mt.png`` plus, for runs
still in flight, ``checkpoint.npz`` (``final.npy`` and ``layers.png`` are left out: 0.9 MB each on
the full mesh).

To resume, copy the folder anywhere and run the same ``spintorque switching`` (or ``sweep``)
command on it: the store's task paths are rewritten to the folder it is found in.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

from ..io.errors import UserError

STORE = "store.sqlite"
#: per-run files copied, the table after the checkpoint (so it holds at least the checkpoint's
#: rows if the run writes in between)
RUN_FILES = ("checkpoint.npz", "table.tsv", "mt.png")


def _copy_store(src: Path, dst: Path) -> None:
    """A consistent copy of the SQLite store ``src`` as ``dst`` (written to a temporary file,
    then renamed, so ``dst`` is never half-written)."""
    tmp = dst.with_name(dst.name + ".tmp")
    a = sqlite3.connect(f"file:{src}?mode=ro", uri=True)
    try:
        b = sqlite3.connect(tmp)
        try:
            a.backup(b)
            b.execute("PRAGMA journal_mode=DELETE")  # one self-contained file, no -wal beside it
            b.commit()
        finally:
            b.close()
    finally:
        a.close()
    tmp.replace(dst)


def archive_sweep(sweep_dir: str | os.PathLike, dest: str | os.PathLike) -> dict[str, int]:
    """Copy what a resume of the sweep in ``sweep_dir`` needs into ``dest`` (created if needed).

    Copies ``store.sqlite`` (a consistent backup), ``relaxed_*.npy`` and, for every
    ``runs/<model>/<j>/`` folder, its ``table.tsv``, ``mt.png`` and, for a run in flight,
    ``checkpoint.npz`` (a checkpoint left in ``dest`` by an earlier archive of a run that has
    since finished is removed). Files already in ``dest`` are overwritten; others are kept.

    Returns counts: ``{"runs": folders copied, "in_flight": of them with a checkpoint,
    "relaxed": relaxed states copied}``. Raises :class:`~spintorque.io.errors.UserError` if
    ``sweep_dir`` holds no store or ``dest`` is ``sweep_dir`` itself.
    """
    src, dst = Path(sweep_dir), Path(dest)
    if not (src / STORE).is_file():
        raise UserError(f"SWEEP_DIR = {str(src)!r}: no {STORE} in it (a sweep's --out folder "
                        "is needed)")
    if dst.exists() and dst.resolve() == src.resolve():
        raise UserError(f"DEST = {str(dst)!r} is the sweep's own folder; give another folder")
    dst.mkdir(parents=True, exist_ok=True)
    _copy_store(src / STORE, dst / STORE)
    relaxed = sorted(src.glob("relaxed_*.npy"))
    for f in relaxed:
        shutil.copy2(f, dst / f.name)
    runs = in_flight = 0
    for run in sorted(p for p in src.glob("runs/*/*") if p.is_dir()):
        out = dst / run.relative_to(src)
        out.mkdir(parents=True, exist_ok=True)
        for name in RUN_FILES:
            if (run / name).is_file():
                shutil.copy2(run / name, out / name)
        if (run / "checkpoint.npz").is_file():
            in_flight += 1
        else:
            (out / "checkpoint.npz").unlink(missing_ok=True)
        runs += 1
    return {"runs": runs, "in_flight": in_flight, "relaxed": len(relaxed)}
