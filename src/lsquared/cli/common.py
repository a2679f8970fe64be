"""What every command shares: error printing, exit codes, progress bars, the first-run note."""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
import pickletools
import sys
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path

import typer
from typer._click.exceptions import (  # typer vendors its click as typer._click
    ClickException,
    NoArgsIsHelpError,
)

from lsquared.errors import LsqError, LsqWarning

EXIT_USAGE_OR_INPUT = 2
EXIT_INTERNAL = 3  # an exception lsquared did not expect: a bug to report

state = {"debug": False}


def choices(values: Iterable[str]) -> str:
    """Every choice, for a ``--help`` line (typer would cut a long list short)."""
    return ", ".join(values)


def alternatives(values: Iterable[str]) -> str:
    """Choices as a sentence names them: ``vlog, llog or rec709``."""
    *most, last = values
    return f"{', '.join(most)} or {last}" if most else last


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
    code 2 for every usage error; ``lsq`` or a group alone prints its help. An unexpected
    exception is one line too, with exit code 3 (``--debug`` shows its traceback)."""
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
    except Exception as e:  # a bug: still one line, the traceback only with --debug
        if state["debug"]:
            raise
        problem = " ".join(f"{type(e).__name__}: {e}".split())
        typer.echo(f"lsq: internal error: {problem} (lsq --debug ... shows where)", err=True)
        code = EXIT_INTERNAL
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


#: the numba kernel a development with the default demosaic runs (module of
#: lsquared.kernels, function)
DEVELOP_KERNELS = (("demosaic", "menon_develop"),)
#: the kernels ``lsq demo`` runs: the demosaic alone, then the colour path per output
DEMO_KERNELS = (("demosaic", "menon_rgb"), ("cpu", "run_point_program"))


def _numba_cache_dirs(source: Path) -> list[Path]:
    """Where numba keeps the disk cache of functions defined in ``source``: under
    ``NUMBA_CACHE_DIR`` when set, else ``__pycache__`` beside it or, when that is not
    writable, the user's cache folder (numba.core.caching's locators)."""
    folder = source.resolve().parent
    sub = f"{folder.name}_{hashlib.sha1(str(folder).encode()).hexdigest()}"
    if os.environ.get("NUMBA_CACHE_DIR"):
        return [Path(os.environ["NUMBA_CACHE_DIR"]) / sub]
    user = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "numba" / sub
    return [folder / "__pycache__", user]


def _index_is_current(index: Path, source_hash: bytes) -> bool:
    """numba's index file: a pickled version string, then a pickle of (SHA-256 of the
    module's source, overloads). The hash is read without unpickling the overloads, which
    would import numba."""
    try:
        with index.open("rb") as f:
            pickle.load(f)
            data = f.read()
        ops = pickletools.genops(data)
        stamp = next(arg for _, arg, _ in ops if isinstance(arg, bytes))
    except (OSError, pickle.UnpicklingError, EOFError, StopIteration, ValueError):
        return False
    return stamp == source_hash


def kernels_cold(kernels=DEVELOP_KERNELS) -> bool:
    """True when numba's disk cache holds nothing current for one of ``kernels``, so the
    first call will compile it (tens of seconds); cheap, and without importing numba."""
    package = Path(__file__).resolve().parent.parent / "kernels"
    tag = f"py{sys.version_info.major}{sys.version_info.minor}"
    for module, function in kernels:
        source = package / f"{module}.py"
        try:
            source_hash = hashlib.sha256(source.read_bytes()).digest()
        except OSError:
            return False
        indexes = [
            index
            for folder in _numba_cache_dirs(source)
            for index in folder.glob(f"{module}.{function}-*.{tag}*.nbi")
        ]
        if not any(_index_is_current(index, source_hash) for index in indexes):
            return True
    return False


def announce_first_compile(kernels=DEVELOP_KERNELS) -> None:
    """On a terminal, say why the first run is silent for a while: numba compiles the
    kernels once and caches them on disk."""
    if interactive() and kernels_cold(kernels):
        typer.echo("lsq: preparing fast kernels (first run only, up to a minute)", err=True)
