"""Atomic output: write to a temporary file in the target folder, then ``os.replace``.

A reader never sees a half-written output, an interrupted run leaves nothing at the
output path, and an input is never opened for writing.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path

from lsquared.errors import OutputError

TEMP_PREFIX = ".lsq-tmp-"


def check_writable_target(out: Path, inputs: Iterable[Path] = ()) -> None:
    """Raise :class:`OutputError` if ``out`` cannot be created or would replace an input."""
    out = Path(out)
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise OutputError(out, f"output folder {folder} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise OutputError(out, f"output folder {folder} is not writable")
    if any(_same_file(Path(source), out) for source in inputs):
        raise OutputError(out, "output would overwrite an input; choose another path")


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (b.exists() and os.path.samefile(a, b))
    except OSError:
        return False


@contextlib.contextmanager
def atomic_output(out: str | Path, inputs: Iterable[Path] = ()) -> Iterator[Path]:
    """Yield a temporary path beside ``out``; on success rename it onto ``out``.

    The temporary file keeps the suffix of ``out`` so that writers choosing a format by
    suffix behave the same. On any exception (including KeyboardInterrupt) it is removed.
    """
    out = Path(out)
    check_writable_target(out, inputs)
    fd, tmp_name = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=out.suffix, dir=out.parent or ".")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        yield tmp
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
