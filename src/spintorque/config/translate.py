"""Pydantic's validation errors as :class:`~spintorque.io.errors.Finding` lines: the dotted TOML
path of each error (through lists, tables and the tagged time forms), the value given and what
is allowed there (the field's description, the allowed keys with a close match)."""

from __future__ import annotations

import json
import types
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from ..io.errors import Finding, show_value
from ..io.toml_writer import BARE_KEY
from .base import Problems
from .checks import choices
from .run_config import RunConfig

__all__ = ["problems_from_validation"]


def _unwrap(tp: Any) -> Any:
    """Strip Annotated and Optional from a type annotation."""
    while True:
        origin = get_origin(tp)
        if origin is Annotated:
            tp = get_args(tp)[0]
            continue
        if origin in (Union, types.UnionType):
            args = [a for a in get_args(tp) if a is not type(None)]
            if len(args) == 1:
                tp = args[0]
                continue
        return tp


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _walk(loc: tuple) -> tuple[str, Any, type[BaseModel] | None]:
    """Dotted TOML path of a pydantic ``loc``, the FieldInfo at its end and the enclosing model."""
    tp: Any = RunConfig
    path = ""
    info = None
    parent: type[BaseModel] | None = None
    for key in loc:
        tp = _unwrap(tp)
        if isinstance(key, int):
            path += f"[{key}]"
            args = [a for a in get_args(tp) if a is not Ellipsis]
            tp = args[min(key, len(args) - 1)] if args else Any
            continue
        key = str(key)
        if key == "[key]":  # pydantic's marker for a bad dict key: the path already ends in it
            continue
        origin, args = get_origin(tp), get_args(tp)
        members = [_unwrap(a) for a in args] if origin in (Union, types.UnionType) else []
        if members and all(_is_model(m) for m in members):
            tagged = [m for m in members if get_args(m.model_fields["kind"].annotation) == (key,)]
            if tagged:  # discriminated union: the tag is no part of the TOML path
                tp = tagged[0]
                continue
        shown = key if BARE_KEY.match(key) else json.dumps(key)
        path = f"{path}.{shown}" if path else shown
        if _is_model(tp):
            parent = tp
            info = tp.model_fields.get(key)
            tp = info.annotation if info is not None else Any
        elif origin is dict:
            tp = args[1]
        else:
            tp = Any
    return path, info, parent


def _problem(err: dict) -> list[Finding]:
    loc = tuple(err.get("loc", ()))
    path, info, parent = _walk(loc)
    kind = err.get("type", "")
    described = f" ({info.description})" if info is not None and info.description else ""
    if kind == "value_error" and isinstance((err.get("ctx") or {}).get("error"), Problems):
        out = []
        for rel, value, allowed in err["ctx"]["error"].items:
            full = ".".join(p for p in (path, rel) if p) if not rel.startswith("[") else path + rel
            if rel and not loc:  # cross checks on RunConfig give complete paths
                full = rel
            out.append(Finding(full, show_value(value), allowed))
        return out
    if kind == "missing" and loc and isinstance(loc[-1], int):  # a too short fixed-size vector
        path, info, _ = _walk(loc[:-1])
        described = f" ({info.description})" if info is not None and info.description else ""
        return [Finding(path, show_value(err.get("input")), "too few components" + described)]
    if kind == "missing":
        return [Finding(path, "(missing)", "required" + described)]
    if kind == "extra_forbidden":
        allowed = sorted(parent.model_fields) if parent is not None else []
        name = str(loc[-1]) if loc else ""
        return [
            Finding(path, show_value(err.get("input")),
                    "unknown key; allowed here: " + choices(name, allowed))
        ]
    msg = str(err.get("msg", "invalid")).removeprefix("Value error, ")
    msg = msg[:1].lower() + msg[1:]
    if loc and loc[-1] == "[key]":
        return [Finding(path, show_value(err.get("input")), "invalid table key: " + msg)]
    return [Finding(path, show_value(err.get("input")), msg + described)]


def problems_from_validation(exc: ValidationError) -> list[Finding]:
    """One :class:`Finding` per pydantic error (cross checks may yield several)."""
    out: list[Finding] = []
    for err in exc.errors(include_url=False):
        out.extend(_problem(err))
    return out
