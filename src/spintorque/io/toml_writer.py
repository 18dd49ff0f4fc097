"""A small TOML writer for plain data (tables, arrays of tables, strings, numbers, booleans).

Enough to write a validated config back out (:func:`spintorque.config.dumps_toml`); the
standard library reads TOML but does not write it (tests also use it to write malformed
configs, hence ``nan`` and ``inf``).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

__all__ = ["BARE_KEY", "dumps"]

#: keys that TOML accepts without quotes
BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return repr(v)
    if isinstance(v, float):
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)  # repr round-trips and is valid TOML
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(x)}" for k, x in v.items()) + " }"
    raise TypeError(f"cannot write {type(v).__name__} to TOML")


def _toml_key(k: str) -> str:
    return k if BARE_KEY.match(k) else json.dumps(k, ensure_ascii=False)


def _toml_table(d: dict, prefix: str, lines: list[str]) -> None:
    def nested(v: Any) -> bool:
        return isinstance(v, dict) or (
            isinstance(v, list) and bool(v) and all(isinstance(x, dict) for x in v)
        )

    if prefix:
        lines += ["", f"[{prefix}]"]
    lines += [f"{_toml_key(k)} = {_toml_value(v)}" for k, v in d.items() if not nested(v)]
    for k, v in d.items():
        if not nested(v):
            continue
        name = f"{prefix}.{_toml_key(k)}" if prefix else _toml_key(k)
        if isinstance(v, dict):
            _toml_table(v, name, lines)
        else:
            for item in v:
                lines += ["", f"[[{name}]]"]
                lines += [f"{_toml_key(a)} = {_toml_value(b)}" for a, b in item.items()]


def dumps(data: dict) -> str:
    """``data`` (a dict as ``tomllib.loads`` returns it) as TOML text."""
    lines: list[str] = []
    _toml_table(data, "", lines)
    return "\n".join(lines).lstrip("\n") + "\n"
