"""SQLite result store of a sweep: one row per task, resumable, safe against a killed client.

Schema (table ``tasks``): ``key`` (unique task name), ``params`` (JSON), ``status`` (``pending``,
``running``, ``done``, ``failed``), ``result`` (JSON), ``error`` (text), ``attempts`` (how many
times the client sent it out), ``created``/``started``/``finished`` (Unix time, s), ``worker``.

Durability: WAL journal with ``synchronous=FULL``; every state change is one transaction, so a
client killed at any instant leaves each row either in its old or its new state and never loses a
committed ``done`` row. One client drives a store at a time: :meth:`Store.acquire` takes an
exclusive ``flock`` on ``STORE.lock`` that the kernel releases when the holder dies, so rows still
``running`` when a new client acquires the lock were orphaned by a dead client and are stale.
"""

from __future__ import annotations

import fcntl
import json
import math
import os
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

STATUSES = ("pending", "running", "done", "failed")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tasks (
    key TEXT PRIMARY KEY,
    params TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'running', 'done', 'failed')),
    result TEXT,
    error TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL,
    started REAL,
    finished REAL,
    worker TEXT
);
CREATE INDEX IF NOT EXISTS tasks_status ON tasks (status);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass(frozen=True)
class TaskRow:
    """One row of the store (timestamps in Unix seconds, ``None`` where not yet set)."""

    key: str
    params: dict
    status: str
    result: Any
    error: str | None
    attempts: int
    created: float
    started: float | None
    finished: float | None
    worker: str | None


def _dumps(obj: Any) -> str:
    """Strict JSON: NaN/Inf are not JSON, so they are refused rather than silently written."""
    return json.dumps(obj, sort_keys=True, allow_nan=False)


class StoreLocked(RuntimeError):
    """Another live client holds the store."""


class Store:
    """A sweep's result store in the SQLite file ``path``.

    Usable as a context manager (closes the connection and releases the lock on exit).
    """

    def __init__(self, path: str | os.PathLike, timeout: float = 60.0) -> None:
        self.path = Path(path)
        if self.path.parent and not self.path.parent.exists():
            raise ValueError(f"store path = {str(self.path)!r}: directory does not exist")
        self._conn = sqlite3.connect(str(self.path), timeout=timeout, isolation_level=None)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=FULL")
        self._conn.executescript(_SCHEMA)
        self._lock_fd: int | None = None

    # -- lifecycle ------------------------------------------------------------------------
    def close(self) -> None:
        self.release()
        self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def acquire(self) -> int:
        """Become the store's only client; reset rows orphaned by a dead client to pending.

        Returns the number of stale ``running`` rows reset. Raises :class:`StoreLocked` if a
        live client holds the lock.
        """
        if self._lock_fd is not None:
            return 0
        fd = os.open(str(self.path) + ".lock", os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            raise StoreLocked(f"store {str(self.path)!r} is in use by another client") from exc
        self._lock_fd = fd
        return self.reset_stale()

    def release(self) -> None:
        if self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None

    # -- writing --------------------------------------------------------------------------
    def _tx(self, sql: str, args: Iterable = ()) -> sqlite3.Cursor:
        with self._conn:  # one transaction per state change
            self._conn.execute("BEGIN IMMEDIATE")
            return self._conn.execute(sql, tuple(args))

    def add(self, key: str, params: dict) -> bool:
        """Register a task; ``True`` if new. An existing key must carry the same params."""
        if not isinstance(key, str) or not key:
            raise ValueError(f"task key = {key!r} must be a non-empty string")
        text = _dumps(params)
        with self._conn:
            self._conn.execute("BEGIN IMMEDIATE")
            row = self._conn.execute("SELECT params FROM tasks WHERE key = ?", (key,)).fetchone()
            if row is not None:
                if row[0] != text:
                    raise ValueError(
                        f"task {key!r} is already in the store with params {row[0]}, not {text}"
                    )
                return False
            self._conn.execute(
                "INSERT INTO tasks (key, params, status, created) VALUES (?, ?, 'pending', ?)",
                (key, text, time.time()),
            )
            return True

    def add_many(self, tasks: dict[str, dict]) -> int:
        """Register several tasks; returns how many were new."""
        return sum(self.add(k, p) for k, p in tasks.items())

    def mark_running(self, key: str, worker: str | None = None) -> None:
        self._tx(
            "UPDATE tasks SET status='running', attempts=attempts+1, started=?, worker=? "
            "WHERE key=? AND status != 'done'",
            (time.time(), worker, key),
        )

    def mark_done(self, key: str, result: Any, worker: str | None = None) -> bool:
        """Record a result; ``False`` (and nothing written) if the task was already done."""
        text = _dumps(result)
        cur = self._tx(
            "UPDATE tasks SET status='done', result=?, error=NULL, finished=?, "
            "worker=COALESCE(?, worker) WHERE key=? AND status != 'done'",
            (text, time.time(), worker, key),
        )
        return cur.rowcount == 1

    def mark_failed(self, key: str, error: str) -> None:
        self._tx(
            "UPDATE tasks SET status='failed', error=?, finished=? WHERE key=? AND status!='done'",
            (str(error), time.time(), key),
        )

    def reset_stale(self) -> int:
        """Rows left ``running`` by a dead client go back to ``pending``; returns how many."""
        return self._tx("UPDATE tasks SET status='pending' WHERE status='running'").rowcount

    def relocate(self, old: str, new: str) -> int:
        """Rewrite the folder ``old`` to ``new`` in every path of the params and results (a
        sweep folder that was moved or copied elsewhere); returns the rows changed.

        Only JSON strings equal to ``old`` or starting with ``old + "/"`` change.
        """
        old, new = old.rstrip("/"), new.rstrip("/")
        if old == new:
            return 0

        def move(text: str | None) -> str | None:
            if text is None:
                return None
            return text.replace(f'"{old}/', f'"{new}/').replace(f'"{old}"', f'"{new}"')

        changed = 0
        with self._conn:
            self._conn.execute("BEGIN IMMEDIATE")
            rows = self._conn.execute("SELECT key, params, result FROM tasks").fetchall()
            for key, params, result in rows:
                p, r = move(params), move(result)
                if p != params or r != result:
                    self._conn.execute("UPDATE tasks SET params=?, result=? WHERE key=?",
                                       (p, r, key))
                    changed += 1
        return changed

    def resolve_path(self, stored_path: str | os.PathLike) -> Path:
        """Where a file named in the store (a task's param or result) is now, for a store that
        may have been copied or moved (e.g. archived into ``data/``) without :meth:`relocate`.

        The rule, tried in order:

        1. the path as stored, if that file or folder exists;
        2. the same path relative to the sweep's original folder (the meta value ``out_dir``,
           recorded by the commands that write the store), under the store's own folder;
        3. for a store without that record (or a path outside it): the longest tail of the
           stored path, of at least two components (a file and its folder, e.g.
           ``runs/<model>/<j>/table.tsv``), that exists under the store's own folder.

        A relative stored path is taken relative to the store's folder. When nothing is found
        the stored path is returned unchanged, so the caller's ``is_file()`` says it is gone.
        """
        path = Path(stored_path)
        here = self.path.parent
        if not path.is_absolute():
            return here / path
        if path.exists():
            return path
        origin = self.get_meta("out_dir")
        if isinstance(origin, str) and path.is_relative_to(origin):
            copy = here / path.relative_to(origin)
            return copy if copy.exists() else path
        parts = path.parts[1:]  # without the root
        for start in range(len(parts) - 1):
            copy = here.joinpath(*parts[start:])
            if copy.exists():
                return copy
        return path

    def set_meta(self, name: str, value: Any) -> None:
        self._tx("INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)", (name, _dumps(value)))

    def get_meta(self, name: str, default: Any = None) -> Any:
        row = self._conn.execute("SELECT value FROM meta WHERE name=?", (name,)).fetchone()
        return default if row is None else json.loads(row[0])

    # -- reading --------------------------------------------------------------------------
    def _rows(self, where: str = "", args: Iterable = ()) -> list[TaskRow]:
        cur = self._conn.execute(
            "SELECT key, params, status, result, error, attempts, created, started, finished, "
            f"worker FROM tasks {where} ORDER BY created, key",
            tuple(args),
        )
        return [
            TaskRow(k, json.loads(p), s, None if r is None else json.loads(r), e, a, c, st, f, w)
            for k, p, s, r, e, a, c, st, f, w in cur.fetchall()
        ]

    def rows(self, status: str | None = None) -> list[TaskRow]:
        """All rows, or those with ``status``, in insertion order."""
        if status is None:
            return self._rows()
        if status not in STATUSES:
            raise ValueError(f"status = {status!r}; allowed: {STATUSES}")
        return self._rows("WHERE status = ?", (status,))

    def get(self, key: str) -> TaskRow | None:
        rows = self._rows("WHERE key = ?", (key,))
        return rows[0] if rows else None

    def todo(self) -> list[TaskRow]:
        """Rows a (re-)run must compute: everything not done."""
        return self._rows("WHERE status != 'done'")

    def counts(self) -> dict[str, int]:
        out = dict.fromkeys(STATUSES, 0)
        for status, n in self._conn.execute("SELECT status, COUNT(*) FROM tasks GROUP BY status"):
            out[status] = n
        return out

    def results(self) -> dict[str, Any]:
        """``{key: result}`` of the done rows."""
        return {r.key: r.result for r in self.rows("done")}


def finite_or_none(x: float) -> float | None:
    """JSON helper: NaN/Inf -> None (the store refuses non-finite numbers)."""
    return float(x) if math.isfinite(x) else None
