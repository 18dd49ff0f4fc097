"""Lazy CLI entry points (see ``spintorque.cli.LAZY_COMMANDS``)."""

from .commands import plot_cmd as plot
from .commands import sweep, switching, table

__all__ = ["plot", "switching", "sweep", "table"]
