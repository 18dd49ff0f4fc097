"""Lazy CLI entry point of ``spintorque sweep`` (see ``spintorque.cli.LAZY_COMMANDS``)."""

from ..experiments.commands import sweep

__all__ = ["sweep"]
