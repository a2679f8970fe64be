"""Native libraries that print to the C ``stderr`` (LibRaw on data errors, lensfun on
database entries it rejects) would put lines beside lsquared's one-line error; this keeps
them off the user's terminal."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def native_stderr_silenced() -> Iterator[None]:
    """Point file descriptor 2 at /dev/null while a native library runs (Python's own
    ``sys.stderr`` is flushed first and restored after)."""
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)
