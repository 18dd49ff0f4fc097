"""Magnetization dynamics: LLG right-hand side, time integrators, energy minimization.

``LLG`` and ``cross`` are imported on first use, so that reading the integrator registry
(:mod:`.integrators.registry`, e.g. while validating a config) compiles no kernel.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .llg import LLG, cross

__all__ = ["LLG", "cross"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from . import llg

        return getattr(llg, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
