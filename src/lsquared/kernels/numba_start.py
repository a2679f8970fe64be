"""What numba does on its first call that a command does not need to wait for.

When numba loads its first compiled function (even from its disk cache) it initialises its
CPU target, which imports every implementation module, ``numba.np.arraymath`` among them.
That module asks whether BLAS is there for ``np.dot`` by importing
``scipy.linalg.cython_blas``, and Python imports a submodule's package first: all of
``scipy.linalg`` (its Python API, LAPACK wrappers, ``scipy._lib``' array API layer), about a
third of a second, for an extension module that needs none of it. Loading that one
extension module under its own name beforehand makes numba's check find it; numba then
binds BLAS functions from the very module SciPy would have given it, and a later
``import scipy.linalg`` reuses it (only the package's attribute ``cython_blas`` is then
missing; ``import scipy.linalg.cython_blas`` still gives the module). No lsquared kernel
calls BLAS.

On a cold cache (a fresh install, a new lsquared version) numba compiles each kernel on its
first call, one after another and on one core. A command that needs two big kernels can have
a helper process compile one of them (:func:`prepare_elsewhere`): numba writes it to its disk
cache, from which this process loads it on its first call, while this process compiles the
other.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import subprocess
import sys
import threading
from pathlib import Path

BLAS_MODULE = "scipy.linalg.cython_blas"


def load_blas_bindings() -> bool:
    """Load SciPy's ``cython_blas`` extension without running ``scipy.linalg``'s package
    (see the module docstring); True when it is now in ``sys.modules``. Does nothing when
    it or the package is loaded already, or when SciPy is not installed (numba then
    compiles without BLAS, as it would anyway)."""
    if BLAS_MODULE in sys.modules or "scipy.linalg" in sys.modules:
        return BLAS_MODULE in sys.modules
    found = importlib.util.find_spec("scipy")
    if found is None or not found.submodule_search_locations:
        return False
    folder = Path(next(iter(found.submodule_search_locations))) / "linalg"
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        path = folder / f"cython_blas{suffix}"
        if path.is_file():
            spec = importlib.util.spec_from_file_location(BLAS_MODULE, path)
            if spec is None or spec.loader is None:
                return False
            module = importlib.util.module_from_spec(spec)
            sys.modules[BLAS_MODULE] = module
            try:
                spec.loader.exec_module(module)
            except ImportError:
                del sys.modules[BLAS_MODULE]
                return False
            return True
    return False


def warm_up() -> None:
    """numba's start-up, done now: its import, its CPU target (with :func:`load_blas_bindings`
    first) and a first call of a tiny cached function. A command runs this in a thread
    while it reads its inputs (:func:`start_in_background`); a kernel's own first call
    then only loads that kernel from the disk cache."""
    load_blas_bindings()
    from lsquared.kernels import _tiny

    _tiny.first_call()


def start_in_background() -> threading.Thread:
    """:func:`warm_up` in a daemon thread (join it before the first kernel call; most of its
    work holds the GIL, so what overlaps is file reading and numpy's C loops)."""
    thread = threading.Thread(target=warm_up, name="lsq-numba-start", daemon=True)
    thread.start()
    return thread


def _point_program() -> None:
    """Compile (or load) ``kernels.cpu.run_point_program`` for the argument types every
    caller passes (float32 images; the instruction arrays of ``assemble``)."""
    import numpy as np

    from lsquared.kernels.cpu import assemble, run_point_program

    pixels = np.zeros((1, 1, 3), np.float32)
    run_point_program(pixels, np.empty_like(pixels), *assemble(()), 0.0)


#: kernels a helper process can prepare, by name: each a call on tiny inputs of the types
#: the commands pass, which compiles it into numba's disk cache
PREPARERS = {"run_point_program": _point_program}


def prepare_elsewhere(kernel: str) -> subprocess.Popen:
    """Start a helper process that compiles ``kernel`` (a key of ``PREPARERS``) into numba's
    disk cache (the same ``NUMBA_CACHE_DIR``); ``wait()`` for it before this process first
    calls the kernel, which then loads it instead of compiling it again. Its output is
    discarded: should it fail, the first call compiles here as it would have anyway."""
    return subprocess.Popen(
        [sys.executable, "-m", "lsquared.kernels.numba_start", kernel],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


if __name__ == "__main__":  # the helper process of prepare_elsewhere
    load_blas_bindings()
    PREPARERS[sys.argv[1]]()
