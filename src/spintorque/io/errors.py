"""Errors caused by what the user gave us (a config file, a command-line argument).

The command-line interface prints a :class:`UserError` as one short paragraph on stderr and exits
with code 2, without a traceback; any other exception is a bug and keeps its traceback. Modules that
detect bad user input at run time (for example an output directory that holds a different run) may
raise a subclass of :class:`UserError` to get the same treatment.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["ConfigError", "ConfigFileNotFoundError", "Finding", "ResumeError", "UserError",
           "show_value"]


class UserError(ValueError):
    """Bad input from the user; the message alone tells them what to fix."""


class ResumeError(UserError):
    """An output folder's checkpoint and table do not fit together (e.g. a table was edited)."""


def show_value(value: object, limit: int = 80) -> str:
    """A short, single-line ``repr`` of a user-supplied value for error messages."""
    try:
        text = repr(value)
    except Exception:  # a value whose repr fails must not hide the real problem
        text = f"<{type(value).__name__}>"
    text = text.replace("\n", "\\n")
    return text if len(text) <= limit else text[: limit - 3] + "..."


@dataclass(frozen=True)
class Finding:
    """One thing wrong in a config: where (dotted path), what was given, what is allowed."""

    path: str
    value: str
    allowed: str

    def __str__(self) -> str:
        return f"{self.path or '(top level)'}: {self.value} -> {self.allowed}"


class ConfigError(UserError):
    """A config that cannot be run, with every problem found, one per line.

    Attributes
    ----------
    problems : list of :class:`Finding`
    source : the file (or other origin) the config came from, or ``None``
    """

    def __init__(self, problems: Iterable[Finding], source: str | None = None) -> None:
        self.problems: list[Finding] = list(problems)
        self.source = source
        super().__init__(self._format())

    def __str__(self) -> str:  # OSError (see ConfigFileNotFoundError) would print errno otherwise
        return self._format()

    @classmethod
    def single(cls, path: str, value: str, allowed: str, source: str | None = None) -> ConfigError:
        return cls([Finding(path, value, allowed)], source)

    def _format(self) -> str:
        where = f"config {self.source!r}" if self.source else "config"
        n = len(self.problems)
        head = f"invalid {where}: {n} problem{'s' if n != 1 else ''}"
        return "\n".join([head, *(f"  {p}" for p in self.problems)])


class ConfigFileNotFoundError(ConfigError, FileNotFoundError):
    """The config file does not exist (also a :class:`FileNotFoundError`)."""
