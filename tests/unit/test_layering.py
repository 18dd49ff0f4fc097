"""Layering: the generic sweep layer (``spintorque.sweep``) imports nothing from the switching
experiment (``spintorque.experiments``); the experiment passes what it needs into it."""

from __future__ import annotations

import ast
from pathlib import Path

import spintorque

PACKAGE = Path(spintorque.__file__).resolve().parent
FORBIDDEN = "spintorque.experiments"


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported(text: str, module: str, is_package: bool = False) -> list[tuple[int, str]]:
    """``(line, absolute name)`` of every import in the source ``text`` of ``module``: relative
    imports resolved, ``from a import b`` giving both ``a`` and ``a.b``, and the literal names of
    ``importlib.import_module("...")`` / ``__import__("...")`` calls."""
    package = module if is_package else module.rpartition(".")[0]
    found = []
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                name = ".".join(base + ([node.module] if node.module else []))
            else:
                name = node.module or ""
            found.append((node.lineno, name))
            found += [(node.lineno, f"{name}.{alias.name}") for alias in node.names]
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called in ("import_module", "__import__") and isinstance(node.args[0].value, str):
                found.append((node.lineno, node.args[0].value))
    return found


def _imports(name: str, target: str = FORBIDDEN) -> bool:
    return name == target or name.startswith(target + ".")


def test_the_import_resolver_sees_every_form():
    # the check below is only as good as this resolution: pin it on a made-up sweep module
    text = ("from ..experiments.search import UNIT\nimport spintorque.experiments\n"
            "from .. import experiments\nimportlib.import_module('spintorque.experiments.x')\n"
            "from .store import Store\nfrom ..io.errors import UserError\n")
    found = [name for _, name in _imported(text, "spintorque.sweep.probe")]
    assert [n for n in found if _imports(n)] == [
        "spintorque.experiments.search", "spintorque.experiments.search.UNIT",
        "spintorque.experiments", "spintorque.experiments", "spintorque.experiments.x"]
    assert "spintorque.sweep.store" in found and "spintorque.io.errors" in found
    assert _imported("from . import store\n", "spintorque.sweep", is_package=True) == [
        (1, "spintorque.sweep"), (1, "spintorque.sweep.store")]


def test_sweep_imports_nothing_from_experiments():
    files = sorted((PACKAGE / "sweep").rglob("*.py"))
    assert files, "no sweep modules found"
    bad = [f"{f.relative_to(PACKAGE.parent)}:{line}: {name}"
           for f in files
           for line, name in _imported(f.read_text(encoding="utf-8"), _module_name(f),
                                       f.name == "__init__.py")
           if _imports(name)]
    assert not bad, "spintorque.sweep must not import spintorque.experiments:\n" + "\n".join(bad)
