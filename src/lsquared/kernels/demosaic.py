"""Bayer demosaicing of a CFA array, for raw data that LibRaw cannot read (DNG 1.7's JPEG XL
tiles) and so never demosaics itself.

Malvar, He and Cutler, "High-quality linear interpolation for demosaicing of Bayer-patterned
color images", ICASSP 2004: bilinear interpolation corrected by the Laplacian of the colour
sampled at the pixel, with the paper's 5 x 5 gain-optimised filters (alpha = 1/2, beta = 5/8,
gamma = 3/4), written as their integer taps over 8. Edges mirror the CFA about the first and
last sample (``reflect``), which keeps the Bayer phase. Checked against colour-demosaicing's
``demosaicing_CFA_Bayer_Malvar2004`` (the same filters through ``scipy.ndimage.convolve``).
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(inline="always")
def _mirror(i: int, n: int) -> int:
    if i < 0:
        return -i
    if i >= n:
        return 2 * n - 2 - i
    return i


@numba.njit(parallel=True, cache=True)
def _malvar(cfa, pattern, out):  # pragma: no cover - compiled
    h, w = cfa.shape
    for y in numba.prange(h):
        yn, ys = _mirror(y - 1, h), _mirror(y + 1, h)
        ynn, yss = _mirror(y - 2, h), _mirror(y + 2, h)
        for x in range(w):
            xw, xe = _mirror(x - 1, w), _mirror(x + 1, w)
            xww, xee = _mirror(x - 2, w), _mirror(x + 2, w)
            c = pattern[y & 1, x & 1]
            v = cfa[y, x]
            n, s, wv, e = cfa[yn, x], cfa[ys, x], cfa[y, xw], cfa[y, xe]
            nn, ss, ww, ee = cfa[ynn, x], cfa[yss, x], cfa[y, xww], cfa[y, xee]
            diag = cfa[yn, xw] + cfa[yn, xe] + cfa[ys, xw] + cfa[ys, xe]
            out[y, x, c] = v
            if c == 1:
                across = pattern[y & 1, (x + 1) & 1]  # colour of the row neighbours
                along = pattern[(y + 1) & 1, x & 1]  # colour of the column neighbours
                out[y, x, across] = (5 * v + 4 * (wv + e) - (ww + ee) - diag + 0.5 * (nn + ss)) / 8
                out[y, x, along] = (5 * v + 4 * (n + s) - (nn + ss) - diag + 0.5 * (ww + ee)) / 8
            else:
                ring = nn + ss + ww + ee
                out[y, x, 1] = (4 * v + 2 * (n + s + wv + e) - ring) / 8
                out[y, x, 2 - c] = (6 * v + 2 * diag - 1.5 * ring) / 8


def malvar2004(cfa: np.ndarray, pattern: np.ndarray) -> np.ndarray:
    """Demosaic an H x W Bayer array (``pattern``: the 2 x 2 colour indices, 0 R, 1 G, 2 B,
    of its top-left repeat) to H x W x 3 float32, unclipped (the filters overshoot at edges)."""
    pattern = np.asarray(pattern, dtype=np.int64)
    if pattern.shape != (2, 2) or sorted(pattern.ravel().tolist()) != [0, 1, 1, 2]:
        raise ValueError(f"not a Bayer pattern: {pattern.tolist()}")
    cfa = np.ascontiguousarray(cfa, dtype=np.float32)
    if cfa.ndim != 2 or min(cfa.shape) < 3:
        raise ValueError(f"a CFA array of at least 3 x 3 is needed, not {cfa.shape}")
    out = np.empty((*cfa.shape, 3), dtype=np.float32)
    _malvar(cfa, pattern, out)
    return out
