"""What every command shares: error printing, exit codes, progress bars."""

from __future__ import annotations

import contextlib
import sys
import warnings
from collections.abc import Iterable, Iterator

import typer
from typer._click.exceptions import (  # typer vendors its click as typer._click
    ClickException,
    NoArgsIsHelpError,
)

from lsquared.errors import LsqError, LsqWarning

EXIT_USAGE_OR_INPUT = 2

state = {"debug": False}


def choices(values: Iterable[str]) -> str:
    """Every choice, for a ``--help`` line (typer would cut a long list short)."""
    return ", ".join(values)


def usage_line(error: ClickException) -> str:
    """A click usage error (missing argument, unknown option, bad value) as one line:
    ``<command>: <problem>; see lsq <command> --help``."""
    problem = " ".join(error.format_message().split())
    ctx = getattr(error, "ctx", None)
    if ctx is None:
        return problem
    command = ctx.command_path.partition(" ")[2]
    if not command:
        return f"{problem} (see lsq --help)"
    return f"{command}: {problem} (see lsq {command} --help)"


def run_app(app: typer.Typer, args: list[str] | None = None) -> None:
    """Run the CLI with click's own error printing replaced by one ``lsq:`` line and exit
    code 2 for every usage error; ``lsq`` or a group alone prints its help."""
    command = typer.main.get_command(app)
    try:
        code = command.main(args=args, prog_name="lsq", standalone_mode=False)
    except NoArgsIsHelpError as e:
        typer.echo(e.ctx.get_help())
        code = 0
    except ClickException as e:
        typer.echo(f"lsq: {usage_line(e)}", err=True)
        code = EXIT_USAGE_OR_INPUT
    except typer.Abort:
        typer.echo("lsq: interrupted", err=True)
        code = 130
    sys.exit(code if isinstance(code, int) else 0)


def fail(error: LsqError) -> None:
    """Print ``lsq: <path>: <problem>`` and exit 2 (a traceback only with --debug)."""
    if state["debug"]:
        raise error
    typer.echo(f"lsq: {error.one_line()}", err=True)
    raise typer.Exit(EXIT_USAGE_OR_INPUT)


@contextlib.contextmanager
def errors_as_one_line() -> Iterator[None]:
    """Run a command's work: LsqError -> one line and exit 2; LsqWarning -> one
    ``lsq: warning:`` line each. Warnings are recorded here rather than through global
    hooks, which libraries imported during the work replace."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", LsqWarning)
        try:
            yield
        except LsqError as e:
            _print_warnings(caught)
            fail(e)
    _print_warnings(caught)


def _print_warnings(caught) -> None:
    for w in caught:
        if issubclass(w.category, LsqWarning):
            typer.echo(f"lsq: warning: {w.message}", err=True)


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
