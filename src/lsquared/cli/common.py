"""What every command shares: error printing, exit codes, progress bars."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator

import typer

from lsquared.errors import LsqError

EXIT_USAGE_OR_INPUT = 2

state = {"debug": False}


def fail(error: LsqError) -> None:
    """Print ``lsq: <path>: <problem>`` and exit 2 (a traceback only with --debug)."""
    if state["debug"]:
        raise error
    typer.echo(f"lsq: {error.one_line()}", err=True)
    raise typer.Exit(EXIT_USAGE_OR_INPUT)


@contextlib.contextmanager
def errors_as_one_line() -> Iterator[None]:
    try:
        yield
    except LsqError as e:
        fail(e)


def install_warning_printer() -> None:
    """Warnings (LsqWarning) print as one ``lsq: warning: ...`` line on stderr."""
    import warnings

    def show(message, category, filename, lineno, file=None, line=None):
        typer.echo(f"lsq: warning: {message}", err=True)

    warnings.showwarning = show


def interactive() -> bool:
    """Progress bars only on a terminal; pipes and CI stay quiet."""
    return sys.stderr.isatty()


@contextlib.contextmanager
def progress(total: int, label: str) -> Iterator:
    """A rich progress bar on a terminal, a no-op elsewhere. Yields ``advance(n=1)``."""
    if not interactive() or total <= 1:
        yield lambda n=1: None
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
    )

    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        transient=True,
    ) as bar:
        task = bar.add_task(label, total=total)
        yield lambda n=1: bar.advance(task, n)
