"""The ``lsq`` command line: a thin typer layer over :mod:`lsquared.engine`.

OpenBLAS (numpy's and SciPy's BLAS) starts a thread per core when numpy is imported, and
its threads spin while they wait for work, taking a core from the command's own start-up.
No lsq command has BLAS work worth a second thread (lsquared's kernels are numba, its colour
matrices 3 x 3, its least-squares fits small or sparse), so the command line asks OpenBLAS
for one thread unless ``OPENBLAS_NUM_THREADS`` is set. This runs before any lsq module
imports numpy; code that imports ``lsquared`` as a library is not affected.
"""

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
