"""Copy a switching sweep's resumable state (an ``--out`` folder) to another folder, e.g. into the
repository between sessions: a consistent copy of the store (SQLite backup API, safe while a
client writes), the relaxed state, and per run its ``table.tsv`` and ``mt.png`` plus, for runs
still in flight, ``checkpoint.npz`` (``final.npy`` and ``layers.png`` are left out: 0.9 MB each).

    python tools/archive_sweep.py /work/runs/full data/switching-4nm

To resume, copy the folder anywhere and run the same ``spintorque switching`` command on it
(the store's task paths are rewritten to the folder it is found in).
"""

import shutil
import sqlite3
import sys
from pathlib import Path

src, dst = Path(sys.argv[1]), Path(sys.argv[2])
dst.mkdir(parents=True, exist_ok=True)
a = sqlite3.connect(f"file:{src / 'store.sqlite'}?mode=ro", uri=True)
tmp = dst / "store.sqlite.tmp"
b = sqlite3.connect(tmp)
a.backup(b)
b.execute("PRAGMA journal_mode=DELETE")
b.commit()
b.close()
a.close()
tmp.replace(dst / "store.sqlite")
for f in src.glob("relaxed_*.npy"):
    shutil.copy2(f, dst / f.name)
for run in sorted(src.glob("runs/*/*")):
    out = dst / run.relative_to(src)
    out.mkdir(parents=True, exist_ok=True)
    for name in ("checkpoint.npz", "table.tsv", "mt.png"):  # table after checkpoint: >= its rows
        if (run / name).is_file():
            shutil.copy2(run / name, out / name)
    if not (run / "checkpoint.npz").is_file():
        (out / "checkpoint.npz").unlink(missing_ok=True)
print("archived", src, "->", dst)
