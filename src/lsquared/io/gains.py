"""The GainMap opcode's inner pass in numba (DNG 1.7.1, 7.3 GainMap), in a module of its own
so that reading a file without a GainMap never loads numba."""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(parallel=True, cache=True)
def apply_gains(plane, along, r0, r1, fr) -> None:
    """``plane`` (the area's selected rows x columns of one plane, a strided view) times
    the bilinear gains, clipped to [0, 1], in place and in one pass: ``along`` holds the
    map interpolated along the columns for every map row, rows ``r0``/``r1`` and fraction
    ``fr`` say where each image row falls between map rows."""
    one = np.float32(1.0)
    for i in numba.prange(plane.shape[0]):
        a, b, f = along[r0[i]], along[r1[i]], fr[i]
        for j in range(plane.shape[1]):
            v = plane[i, j] * (a[j] + (b[j] - a[j]) * f)
            plane[i, j] = min(max(v, np.float32(0.0)), one)
