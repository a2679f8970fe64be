"""Processes a batch starts die with it, so that nothing writes into the output folder
after the coordinator is gone.

On Linux the kernel is asked to send SIGKILL when the parent exits (``prctl(2)``,
``PR_SET_PDEATHSIG``; the parent is the thread that forked, here always a process's main
thread). Elsewhere a daemon thread polls ``getppid()`` and exits when it changes.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
POLL_S = 0.5


def _request_pdeathsig() -> bool:
    """Ask Linux to SIGKILL this process when its parent exits; False where unavailable."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None)  # the process's own symbols, libc's among them
        return libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(POLL_S)
    os._exit(1)


def die_with_parent() -> None:
    """End this process as soon as its parent process ends (also if it already has)."""
    parent = os.getppid()
    if not _request_pdeathsig():
        threading.Thread(target=_watch, args=(parent,), daemon=True, name="lsq-lifeline").start()
    if os.getppid() != parent:  # the parent ended before the request took effect
        os._exit(1)
