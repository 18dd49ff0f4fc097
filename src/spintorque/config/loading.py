"""Reading and writing run configs: :func:`load_config` (a TOML file), :func:`config_from_dict`
(a parsed mapping) and :func:`dumps_toml` (back to TOML text). Every user mistake becomes a
:class:`~spintorque.io.errors.ConfigError`; nothing is executed or unpickled."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from ..io.errors import ConfigError, ConfigFileNotFoundError, Finding, show_value
from ..io.toml_writer import dumps
from .run_config import RunConfig
from .translate import problems_from_validation

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - Python 3.10
    import tomli as tomllib

__all__ = ["MAX_FILE_BYTES", "config_from_dict", "dumps_toml", "load_config", "tomllib"]

#: a config file is a few kB; anything this large is not one
MAX_FILE_BYTES = 1 << 20


def config_from_dict(
    data: Any,
    *,
    source: str | None = None,
    base_dir: str | Path | None = None,
    check_memory: bool = True,
) -> RunConfig:
    """Validate a parsed config (a mapping as TOML gives it).

    Parameters
    ----------
    data : the parsed TOML document
    source : where it came from, for messages
    base_dir : directory that relative ``initial.file`` paths are relative to (default: cwd)
    check_memory : refuse a grid whose estimated memory exceeds the available memory

    Raises
    ------
    ConfigError
        listing every problem found as ``field.path: value -> what is allowed``.
    """
    if not isinstance(data, dict):
        raise ConfigError.single("", show_value(data), "a config must be a table of keys", source)
    base = None if base_dir is None else str(base_dir)
    context = {"base_dir": base, "check_memory": check_memory}
    try:
        return RunConfig.model_validate(data, context=context)
    except ValidationError as exc:
        raise ConfigError(problems_from_validation(exc), source) from None
    except RecursionError:
        raise ConfigError.single("", "(deeply nested)", "too deeply nested", source) from None


def load_config(path: str | Path, *, check_memory: bool = True) -> RunConfig:
    """Read and validate a TOML config file.

    Relative ``initial.file`` paths are taken relative to the config file's directory. Nothing is
    executed or unpickled: the file is parsed as TOML data only.

    Raises
    ------
    ConfigError
        for anything wrong with the file or its contents (a missing file raises
        :class:`~spintorque.io.errors.ConfigFileNotFoundError`, also a ``FileNotFoundError``);
        TOML syntax errors give the line and column.
    """
    path = Path(path)
    source = str(path)
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise ConfigFileNotFoundError(
            [Finding("(file)", repr(source), "no such config file")], source
        ) from None
    except OSError as exc:
        why = f"cannot read: {exc.strerror or exc}"
        raise ConfigError.single("(file)", repr(source), why, source) from None
    if len(raw) > MAX_FILE_BYTES:
        raise ConfigError.single(
            "(file)", f"more than {MAX_FILE_BYTES} bytes", "must be under 1 MiB", source
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError.single(
            "(file)", f"byte {exc.start}", "a config file must be UTF-8 text (TOML)", source
        ) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError.single("(file)", "TOML syntax error", str(exc), source) from None
    except RecursionError:
        raise ConfigError.single("", "(deeply nested)", "too deeply nested", source) from None
    return config_from_dict(data, source=source, base_dir=path.parent, check_memory=check_memory)


def dumps_toml(config: RunConfig) -> str:
    """The config as TOML text; loading it gives back an equal :class:`RunConfig`."""
    return dumps(config.model_dump(exclude_none=True))
