"""The error tree of lsquared.

Every error carries the ``path`` it concerns and a one-line ``problem``; the CLI prints
``lsq: <path>: <problem>`` and exits with code 2. Each class also subclasses the builtin
exception it refines, so callers that catch ``ValueError`` or ``OSError`` keep working.
"""

from __future__ import annotations

from pathlib import Path


class LsqError(Exception):
    """Base of all lsquared errors: a path (may be empty) and a one-line problem."""

    def __init__(self, path: str | Path | None, problem: str) -> None:
        self.path = str(path) if path is not None else ""
        self.problem = " ".join(str(problem).split())
        super().__init__(self.one_line())

    def one_line(self) -> str:
        """The message as the CLI prints it, without the ``lsq:`` prefix."""
        return f"{self.path}: {self.problem}" if self.path else self.problem


class InputError(LsqError, ValueError):
    """An input file is missing, unreadable, truncated or of the wrong kind."""


class RecipeError(LsqError, ValueError):
    """A recipe has an unknown key, a bad value or a wrong schema version."""


class LutError(LsqError, ValueError):
    """A LUT file is malformed; the problem names the line."""


class LensError(LsqError, LookupError):
    """A lens is unknown or a lens profile is malformed."""


class OutputError(LsqError, OSError):
    """An output cannot be written (folder missing or read-only, would overwrite an input)."""


class LsqWarning(UserWarning):
    """Something the user should know that does not stop the job (e.g. an unknown lens
    under ``--lens auto``); the CLI prints it as one ``lsq: warning:`` line."""


class UnsupportedError(LsqError, NotImplementedError):
    """A codec, format or option that lsquared does not handle."""
