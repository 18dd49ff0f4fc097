"""Checkpoints: everything needed to continue a run bit for bit, in one ``.npz`` file.

Contents: time ``t`` [s], unit magnetization ``m`` (shape ``(nx, ny, nz, 3)``), the spin
accumulation ``s`` [A/m] used as warm start (if any), the integrator's ``state_dict()``, the
state of the run's random generator, the number of table rows written, the index of the next
output stop, and a hash of the config. Arrays are stored as plain ``.npy`` members and the rest as
a JSON text member; files are read with ``allow_pickle=False`` so loading never executes anything.

Writes are atomic (:mod:`spintorque.io.atomic`): a kill at any moment leaves either the old or
the new checkpoint, never a torn one.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .atomic import atomic_write, write_text

__all__ = ["Checkpoint", "atomic_write", "config_hash", "flatten", "load_checkpoint",
           "save_checkpoint", "unflatten", "write_text"]

FORMAT_VERSION = 1


@dataclass
class Checkpoint:
    """The resumable state of a run (see the module docstring for the units)."""

    t: float
    m: np.ndarray
    config_hash: str
    rows: int = 0
    stop_index: int = 0
    s: np.ndarray | None = None
    integrator: dict[str, Any] = field(default_factory=dict)
    rng: dict[str, Any] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)


def _split_arrays(prefix: str, d: dict[str, Any], arrays: dict[str, np.ndarray]) -> dict:
    """JSON-able copy of ``d`` with ndarray values moved into ``arrays`` under ``prefix``."""
    plain = {}
    for key, value in d.items():
        if isinstance(value, np.ndarray):
            arrays[f"{prefix}{key}"] = value
            plain[key] = {"__array__": f"{prefix}{key}"}
        elif isinstance(value, np.generic):
            plain[key] = value.item()
        else:
            plain[key] = value
    return plain


def _join_arrays(d: dict[str, Any], archive: Any) -> dict[str, Any]:
    return {
        k: np.array(archive[v["__array__"]]) if isinstance(v, dict) and "__array__" in v else v
        for k, v in d.items()
    }


def save_checkpoint(path: str | os.PathLike, ckpt: Checkpoint) -> Path:
    """Write ``ckpt`` atomically to ``path`` (a ``.npz`` file)."""
    arrays: dict[str, np.ndarray] = {"m": np.asarray(ckpt.m, dtype=float)}
    if ckpt.s is not None:
        arrays["s"] = np.asarray(ckpt.s, dtype=float)
    meta = {
        "version": FORMAT_VERSION,
        "t": float(ckpt.t),
        "config_hash": ckpt.config_hash,
        "rows": int(ckpt.rows),
        "stop_index": int(ckpt.stop_index),
        "integrator": _split_arrays("integrator/", ckpt.integrator, arrays),
        "rng": ckpt.rng,
        "extra": _split_arrays("extra/", ckpt.extra, arrays),
    }
    # JSON keeps floats exactly (repr round-trips) and ints of any size (PCG64 state)
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode("utf-8"), dtype=np.uint8)
    return atomic_write(path, lambda f: np.savez(f, **arrays))


def load_checkpoint(path: str | os.PathLike) -> Checkpoint:
    """Read a checkpoint written by :func:`save_checkpoint` (never unpickles)."""
    with np.load(path, allow_pickle=False) as archive:
        meta = json.loads(bytes(archive["meta"]).decode("utf-8"))
        if meta.get("version") != FORMAT_VERSION:
            raise ValueError(f"{path}: checkpoint format {meta.get('version')!r}, "
                             f"this version reads {FORMAT_VERSION}")
        return Checkpoint(
            t=float(meta["t"]),
            m=np.array(archive["m"]),
            config_hash=meta["config_hash"],
            rows=int(meta["rows"]),
            stop_index=int(meta["stop_index"]),
            s=np.array(archive["s"]) if "s" in archive.files else None,
            integrator=_join_arrays(meta["integrator"], archive),
            rng=meta["rng"],
            extra=_join_arrays(meta["extra"], archive),
        )


def config_hash(data: Any) -> str:
    """SHA-256 of a JSON-able description of a config (keys sorted), as hex."""
    text = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def rng_state(rng: np.random.Generator) -> dict[str, Any]:
    """JSON-able state of a numpy Generator."""
    return rng.bit_generator.state


def rng_from_state(state: dict[str, Any]) -> np.random.Generator:
    """A Generator restored from :func:`rng_state` (only numpy's own bit generators)."""
    name = state["bit_generator"]
    allowed = {"PCG64", "PCG64DXSM", "MT19937", "Philox", "SFC64"}
    if name not in allowed:
        raise ValueError(f"rng bit_generator = {name!r}; allowed: {sorted(allowed)}")
    bitgen = getattr(np.random, name)()
    bitgen.state = state
    return np.random.Generator(bitgen)


def flatten(prefix: str, d: dict[str, Any]) -> dict[str, Any]:
    """Nested dicts as one level, keys joined by ``/`` under ``prefix`` (checkpoints store one
    level: arrays as members, the rest as JSON)."""
    out: dict[str, Any] = {}
    for key, value in d.items():
        name = f"{prefix}/{key}"
        if isinstance(value, dict):
            out.update(flatten(name, value))
        else:
            out[name] = value
    return out


def unflatten(prefix: str, flat: dict[str, Any]) -> dict[str, Any]:
    """The nested dict :func:`flatten` made under ``prefix`` (other keys ignored)."""
    out: dict[str, Any] = {}
    head = prefix + "/"
    for key, value in flat.items():
        if not key.startswith(head):
            continue
        node = out
        *parents, leaf = key[len(head):].split("/")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return out
