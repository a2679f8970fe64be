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


# Menon, Andriani and Calvagno, "Demosaicing with directional filtering and a posteriori
# decision", IEEE TIP 16(1), 2007 (DDFAPD). Written as in-place passes over the output, each
# parallel over rows; a pass reads only what earlier passes finished, so none needs a copy.


@numba.njit(parallel=True, cache=True)
def _menon_chroma(cfa, pattern, out, finite):  # pragma: no cover - compiled
    """Section II-A: at red and blue samples, the green interpolated along the row and along
    the column by the filter [-1/4, 1/2, 1/2, 1/2, -1/4]; kept as the colour difference
    sample minus green (eq. 3): row direction in channel 0, column direction in channel 2
    (green samples: 0). ``finite[y]`` says whether row ``y`` has only finite samples."""
    h, w = cfa.shape
    for y in numba.prange(h):
        yn, ys = _mirror(y - 1, h), _mirror(y + 1, h)
        ynn, yss = _mirror(y - 2, h), _mirror(y + 2, h)
        ok = True
        for x in range(w):
            v = cfa[y, x]
            if not np.isfinite(v):
                ok = False
            if pattern[y & 1, x & 1] == 1:
                out[y, x, 0] = 0.0
                out[y, x, 2] = 0.0
                continue
            xw, xe = _mirror(x - 1, w), _mirror(x + 1, w)
            xww, xee = _mirror(x - 2, w), _mirror(x + 2, w)
            g_row = 0.5 * (v + cfa[y, xw] + cfa[y, xe]) - 0.25 * (cfa[y, xww] + cfa[y, xee])
            g_col = 0.5 * (v + cfa[yn, x] + cfa[ys, x]) - 0.25 * (cfa[ynn, x] + cfa[yss, x])
            out[y, x, 0] = v - g_row
            out[y, x, 2] = v - g_col
        finite[y] = ok


#: rows per band of the decision pass (its gradients are kept for the band and 2 rows around)
_BAND = 32


@numba.njit(inline="always")
def _band_gradients(out, pattern, y0, y1, h, w):  # pragma: no cover - compiled
    """D_H and D_V (eq. 5: the change of the row (column) colour difference two samples on)
    at red and blue samples of rows y0 - 2 .. y1 + 1, as arrays with 2 rows and columns of
    zeros around the image (the decision's window sums zeros outside it)."""
    d_row = np.zeros((y1 - y0 + 4, w + 4), np.float32)
    d_col = np.zeros((y1 - y0 + 4, w + 4), np.float32)
    for r in range(max(y0 - 2, 0), min(y1 + 2, h)):
        below = _mirror(r + 2, h)
        for x in range(w):
            if pattern[r & 1, x & 1] != 1:
                d_row[r - y0 + 2, x + 2] = abs(out[r, x, 0] - out[r, _mirror(x + 2, w), 0])
                d_col[r - y0 + 2, x + 2] = abs(out[r, x, 2] - out[below, x, 2])
    return d_row, d_col


@numba.njit(parallel=True, cache=True)
def _menon_decide(cfa, pattern, out, horizontal):  # pragma: no cover - compiled
    """Section II-B: the classifiers delta_H and delta_V (eq. 6, weight 3 on the centre row
    (column) of the 5 x 5 window, 1 on its neighbours) choose the direction with the smaller
    colour-difference gradient (ties: the row); green is the chosen estimate. Bands of rows
    in parallel, each with its own gradients."""
    h, w = cfa.shape
    for band in numba.prange((h + _BAND - 1) // _BAND):
        y0 = np.int64(band) * _BAND
        y1 = min(y0 + _BAND, h)
        d_row, d_col = _band_gradients(out, pattern, y0, y1, h, w)
        for y in range(y0, y1):
            i = y - y0 + 2
            for x in range(w):
                v = cfa[y, x]
                if pattern[y & 1, x & 1] == 1:
                    horizontal[y, x] = 1
                    out[y, x, 1] = v
                    continue
                j = x + 2
                delta_row = (
                    3.0 * (d_row[i, j] + d_row[i, j - 2])
                    + d_row[i - 1, j - 1] + d_row[i + 1, j - 1]
                    + d_row[i - 2, j] + d_row[i + 2, j]
                    + d_row[i - 2, j - 2] + d_row[i + 2, j - 2]
                )  # fmt: skip
                delta_col = (
                    3.0 * (d_col[i, j] + d_col[i - 2, j])
                    + d_col[i - 1, j - 1] + d_col[i - 1, j + 1]
                    + d_col[i, j - 2] + d_col[i, j + 2]
                    + d_col[i - 2, j - 2] + d_col[i - 2, j + 2]
                )  # fmt: skip
                along_row = delta_col >= delta_row
                horizontal[y, x] = along_row
                out[y, x, 1] = v - (out[y, x, 0] if along_row else out[y, x, 2])


@numba.njit(parallel=True, cache=True)
def _menon_green_sites(cfa, pattern, out):  # pragma: no cover - compiled
    """Section III: red and blue at green samples, bilinear on the colour difference with
    green along the row or column that holds that colour; the sampled colour is set."""
    h, w = cfa.shape
    for y in numba.prange(h):
        yn, ys = _mirror(y - 1, h), _mirror(y + 1, h)
        for x in range(w):
            c = pattern[y & 1, x & 1]
            v = cfa[y, x]
            if c != 1:
                out[y, x, c] = v
                continue
            xw, xe = _mirror(x - 1, w), _mirror(x + 1, w)
            across = pattern[y & 1, (x + 1) & 1]  # colour of the row neighbours
            along = 2 - across  # colour of the column neighbours
            out[y, x, across] = v + 0.5 * (cfa[y, xw] + cfa[y, xe] - out[y, xw, 1] - out[y, xe, 1])
            out[y, x, along] = v + 0.5 * (cfa[yn, x] + cfa[ys, x] - out[yn, x, 1] - out[ys, x, 1])


@numba.njit(inline="always")
def _neighbours(y, x, h, w, along_row):
    """The two neighbours of (y, x) along the row or along the column (mirrored)."""
    dy, dx = (0, 1) if along_row else (1, 0)
    return _mirror(y - dy, h), _mirror(x - dx, w), _mirror(y + dy, h), _mirror(x + dx, w)


@numba.njit(parallel=True, cache=True)
def _menon_opposite(cfa, pattern, out, horizontal, refine):  # pragma: no cover - compiled
    """Section III: blue at red samples (red at blue) from the colour difference with the
    sampled colour along the decided direction; with ``refine``, section IV's green update:
    the sampled colour minus the mean colour difference over the pixel and its two
    neighbours along the decided direction."""
    h, w = cfa.shape
    for y in numba.prange(h):
        for x in range(w):
            c = pattern[y & 1, x & 1]
            if c == 1:
                continue
            v = cfa[y, x]
            o = 2 - c
            ya, xa, yb, xb = _neighbours(np.int64(y), x, h, w, horizontal[y, x])
            out[y, x, o] = v + 0.5 * (
                out[ya, xa, o] + out[yb, xb, o] - out[ya, xa, c] - out[yb, xb, c]
            )
            if refine:
                diff = (
                    out[ya, xa, c] - out[ya, xa, 1] + v - out[y, x, 1]
                    + out[yb, xb, c] - out[yb, xb, 1]
                )  # fmt: skip
                out[y, x, 1] = v - diff / 3.0


@numba.njit(parallel=True, cache=True)
def _menon_refine_green_sites(cfa, pattern, out):  # pragma: no cover - compiled
    """Section IV: red and blue at green samples again, now from the refined green: green
    plus the mean difference of the two neighbours that sampled the colour."""
    h, w = cfa.shape
    for y in numba.prange(h):
        yn, ys = _mirror(y - 1, h), _mirror(y + 1, h)
        for x in range(w):
            if pattern[y & 1, x & 1] != 1:
                continue
            v = cfa[y, x]
            xw, xe = _mirror(x - 1, w), _mirror(x + 1, w)
            across = pattern[y & 1, (x + 1) & 1]
            along = 2 - across
            out[y, x, across] = v + 0.5 * (cfa[y, xw] - out[y, xw, 1] + cfa[y, xe] - out[y, xe, 1])
            out[y, x, along] = v + 0.5 * (cfa[yn, x] - out[yn, x, 1] + cfa[ys, x] - out[ys, x, 1])


@numba.njit(parallel=True, cache=True)
def _menon_refine_opposite(cfa, pattern, out, horizontal):  # pragma: no cover - compiled
    """Section IV: blue at red samples (red at blue) again: the sampled colour plus the mean
    difference over the pixel and its two neighbours along the decided direction."""
    h, w = cfa.shape
    for y in numba.prange(h):
        for x in range(w):
            c = pattern[y & 1, x & 1]
            if c == 1:
                continue
            v = cfa[y, x]
            o = 2 - c
            ya, xa, yb, xb = _neighbours(np.int64(y), x, h, w, horizontal[y, x])
            diff = (
                out[ya, xa, o] - out[ya, xa, c] + out[y, x, o] - v
                + out[yb, xb, o] - out[yb, xb, c]
            )  # fmt: skip
            out[y, x, o] = v + diff / 3.0


def menon2007(cfa: np.ndarray, pattern: np.ndarray, refine: bool = True) -> np.ndarray:
    """Demosaic an H x W Bayer array (``pattern`` as for :func:`malvar2004`) to H x W x 3
    float32, unclipped, by Menon, Andriani and Calvagno 2007 (directional green, a posteriori
    decision, colour differences along the decided direction, and with ``refine`` the
    paper's refining step). Edges mirror the CFA, as colour-demosaicing's
    ``demosaicing_CFA_Bayer_Menon2007`` does (the decision's window sums zeros outside).
    Raises ValueError for a non-Bayer pattern, a too small array or NaN/infinite samples."""
    pattern = np.asarray(pattern, dtype=np.int64)
    if pattern.shape != (2, 2) or sorted(pattern.ravel().tolist()) != [0, 1, 1, 2]:
        raise ValueError(f"not a Bayer pattern: {pattern.tolist()}")
    if not (pattern[0, 0] == pattern[1, 1] == 1 or pattern[0, 1] == pattern[1, 0] == 1):
        raise ValueError(f"not a Bayer pattern (greens must be diagonal): {pattern.tolist()}")
    cfa = np.ascontiguousarray(cfa, dtype=np.float32)
    if cfa.ndim != 2 or min(cfa.shape) < 3:
        raise ValueError(f"a CFA array of at least 3 x 3 is needed, not {cfa.shape}")
    out = np.empty((*cfa.shape, 3), dtype=np.float32)
    finite = np.empty(cfa.shape[0], dtype=np.bool_)
    _menon_chroma(cfa, pattern, out, finite)
    if not finite.all():
        raise ValueError(f"the CFA has NaN or infinite samples (first in row {finite.argmin()})")
    horizontal = np.empty(cfa.shape, dtype=np.bool_)
    _menon_decide(cfa, pattern, out, horizontal)
    _menon_green_sites(cfa, pattern, out)
    _menon_opposite(cfa, pattern, out, horizontal, refine)
    if refine:
        _menon_refine_green_sites(cfa, pattern, out)
        _menon_refine_opposite(cfa, pattern, out, horizontal)
    return out
