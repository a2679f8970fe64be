"""A cached function with nothing in it: calling it makes numba initialise its CPU target
(``kernels.numba_start.warm_up``) without loading a real kernel."""

from __future__ import annotations

import numba


@numba.njit(cache=True)
def _one(x: float) -> float:  # pragma: no cover - numba
    return x + 1.0


def first_call() -> None:
    _one(1.0)
