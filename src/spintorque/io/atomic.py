"""Atomic file writes: a kill at any moment leaves either the old file or the new one, never a
torn one.

The content goes to a temporary name in the same folder (``.NAME.PID.tmp``), is fsync-ed and
renamed over the target with :func:`os.replace`; the folder is then fsync-ed so the rename
itself is durable. Leftover ``*.tmp`` files of a killed writer are safe to delete.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import IO

import numpy as np


def atomic_write(path: str | os.PathLike, write: Callable[[IO[bytes]], None]) -> Path:
    """Call ``write(f)`` on a temporary file beside ``path``, fsync it and rename it to ``path``."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with open(tmp, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    _fsync_dir(path.parent)
    return path


def write_text(path: str | os.PathLike, text: str) -> Path:
    """Atomically write ``text`` (UTF-8) to ``path``."""
    return atomic_write(path, lambda f: f.write(text.encode("utf-8")))


def save_npy(path: str | os.PathLike, array: np.ndarray) -> Path:
    """Atomically write ``array`` as a ``.npy`` file."""
    return atomic_write(path, lambda f: np.save(f, array))


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some filesystems refuse fsync on a directory; the rename is still atomic
    finally:
        os.close(fd)
