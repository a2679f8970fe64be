"""Geometry renderers in numba: gain maps and one remap per image, both interpolating a
coarse grid (every ``step`` pixels) bilinearly, parallel over rows.

Resampling filters: bilinear; bicubic (Keys 1981, a = -0.5, i.e. Catmull-Rom); Lanczos-3
(Duchon 1979). Samples outside the input contribute 0.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from lsquared.kernels.cpu import program_row

FILTER_CODES = {"bilinear": 0, "bicubic": 1, "lanczos": 2}


@numba.njit(cache=True, inline="always")
def _keys(t: float) -> float:
    t = abs(t)
    if t < 1.0:
        return (1.5 * t - 2.5) * t * t + 1.0
    if t < 2.0:
        return ((-0.5 * t + 2.5) * t - 4.0) * t + 2.0
    return 0.0


@numba.njit(cache=True, inline="always")
def _pixel(src, yy: int, xx: int, c: int) -> float:
    if 0 <= yy < src.shape[0] and 0 <= xx < src.shape[1]:
        return src[yy, xx, c]
    return 0.0


@numba.njit(cache=True, inline="always")
def _bilinear(src, c: int, x0: int, y0: int, fx: float, fy: float) -> float:
    if x0 >= 0 and y0 >= 0 and x0 + 1 < src.shape[1] and y0 + 1 < src.shape[0]:
        a = src[y0, x0, c] + (src[y0, x0 + 1, c] - src[y0, x0, c]) * fx
        b = src[y0 + 1, x0, c] + (src[y0 + 1, x0 + 1, c] - src[y0 + 1, x0, c]) * fx
        return a + (b - a) * fy
    a = _pixel(src, y0, x0, c) * (1 - fx) + _pixel(src, y0, x0 + 1, c) * fx
    b = _pixel(src, y0 + 1, x0, c) * (1 - fx) + _pixel(src, y0 + 1, x0 + 1, c) * fx
    return a * (1 - fy) + b * fy


@numba.njit(cache=True)
def _bicubic(src, c: int, x0: int, y0: int, fx: float, fy: float) -> float:
    wx0, wx1, wx2, wx3 = _keys(1.0 + fx), _keys(fx), _keys(1.0 - fx), _keys(2.0 - fx)
    wy0, wy1, wy2, wy3 = _keys(1.0 + fy), _keys(fy), _keys(1.0 - fy), _keys(2.0 - fy)
    total = 0.0
    inside = x0 >= 1 and y0 >= 1 and x0 + 2 < src.shape[1] and y0 + 2 < src.shape[0]
    for j in range(4):
        yy = y0 - 1 + j
        wy = wy0 if j == 0 else (wy1 if j == 1 else (wy2 if j == 2 else wy3))
        if inside:
            row = (wx0 * src[yy, x0 - 1, c] + wx1 * src[yy, x0, c]
                   + wx2 * src[yy, x0 + 1, c] + wx3 * src[yy, x0 + 2, c])  # fmt: skip
        else:
            row = wx0 * _pixel(src, yy, x0 - 1, c) + wx1 * _pixel(src, yy, x0, c)
            row += wx2 * _pixel(src, yy, x0 + 1, c) + wx3 * _pixel(src, yy, x0 + 2, c)
        total += wy * row
    return total


#: cos and sin of n pi / 3, n = 0..5 (the Lanczos-3 taps' phase steps)
_COS3 = np.cos(np.arange(6) * math.pi / 3)
_SIN3 = np.sin(np.arange(6) * math.pi / 3)


@numba.njit(cache=True, inline="always")
def _lanczos_weights(f: float, out) -> float:
    """The six Lanczos-3 weights of taps -2..3 around a sample at fraction ``f``, from three
    transcendental calls: sin(pi (f + 2 - i)) = (-1)^i sin(pi f), and sin(pi (f + 2 - i) / 3)
    by the angle-sum formula; returns their sum (Lanczos weights do not sum to 1)."""
    s1 = math.sin(math.pi * f)
    a = math.pi * (f + 2.0) / 3.0
    sa, ca = math.sin(a), math.cos(a)
    total = 0.0
    for i in range(6):
        t = f + 2.0 - i
        if abs(t) < 1e-9:
            wgt = 1.0
        elif abs(t) >= 3.0:
            wgt = 0.0
        else:
            s_third = sa * _COS3[i] - ca * _SIN3[i]  # sin(a - i pi / 3)
            pt = math.pi * t
            wgt = 3.0 * (s1 if i % 2 == 0 else -s1) * s_third / (pt * pt)
        out[i] = wgt
        total += wgt
    return total


@numba.njit(cache=True, inline="always")
def _lanczos(src, c: int, x0: int, y0: int, fx: float, fy: float, wx, wy) -> float:
    sx = _lanczos_weights(fx, wx)
    sy = _lanczos_weights(fy, wy)
    total = 0.0
    inside = x0 >= 2 and y0 >= 2 and x0 + 3 < src.shape[1] and y0 + 3 < src.shape[0]
    for j in range(6):
        row = 0.0
        yy = y0 - 2 + j
        if inside:
            for i in range(6):
                row += wx[i] * src[yy, x0 - 2 + i, c]
        else:
            for i in range(6):
                row += wx[i] * _pixel(src, yy, x0 - 2 + i, c)
        total += wy[j] * row
    return total / (sx * sy)


@numba.njit(cache=True)
def _sample(src, c: int, x: float, y: float, filt: int, wx, wy) -> float:
    if x < -0.5 or y < -0.5 or x > src.shape[1] - 0.5 or y > src.shape[0] - 0.5:
        return 0.0
    x0 = math.floor(x)
    y0 = math.floor(y)
    if filt == 0:
        return _bilinear(src, c, x0, y0, x - x0, y - y0)
    if filt == 1:
        return _bicubic(src, c, x0, y0, x - x0, y - y0)
    return _lanczos(src, c, x0, y0, x - x0, y - y0, wx, wy)


@numba.njit(cache=True, inline="always")
def _grid_row(plane, y: int, inv: float):
    """One grid plane (gh x gw) interpolated to image row ``y``; along a row the field is
    then linear within each cell."""
    gh, gw = plane.shape
    gyf = y * inv
    gy = min(int(gyf), gh - 2)
    fy = gyf - gy
    row = np.empty(gw)
    for k in range(gw):
        row[k] = plane[gy, k] + (plane[gy + 1, k] - plane[gy, k]) * fy
    return row


@numba.njit(cache=True, inline="always")
def _along_row(row, x: int, inv: float) -> float:
    gxf = x * inv
    k = min(int(gxf), row.shape[0] - 2)
    return row[k] + (row[k + 1] - row[k]) * (gxf - k)


@numba.njit(cache=True)
def _bilinear_row(src, dst, y: int, sx, sy) -> None:
    """Bilinear samples for one output row: the interior (all four taps inside) inline, the
    border through :func:`_sample`."""
    xmax, ymax = src.shape[1] - 1, src.shape[0] - 1
    for x in range(dst.shape[1]):
        for c in range(3):
            fx, fy = sx[c, x], sy[c, x]
            x0, y0 = math.floor(fx), math.floor(fy)
            if 0 <= x0 < xmax and 0 <= y0 < ymax:
                dst[y, x, c] = _bilinear(src, c, x0, y0, fx - x0, fy - y0)
            else:
                dst[y, x, c] = _sample(src, c, fx, fy, 0, sx[0], sy[0])  # (weights unused)


@numba.njit(cache=True, inline="always")
def _catmull_rom(t: np.float32):
    """Keys' kernel (a = -0.5) at 1 + t, t, 1 - t, 2 - t, written as cubics in the fraction
    t: w(-1) = t (t (1 - t/2) - 1/2), w(0) = 1 + t^2 (3t/2 - 5/2), w(1) = t (1/2 + t (2 -
    3t/2)), w(2) = t^2 (t - 1) / 2; in float32, like the samples they weigh."""
    half, one = np.float32(0.5), np.float32(1.0)
    three_halves, two, five_halves = np.float32(1.5), np.float32(2.0), np.float32(2.5)
    return (
        t * (t * (one - half * t) - half),
        one + t * t * (three_halves * t - five_halves),
        t * (half + t * (two - three_halves * t)),
        half * t * t * (t - one),
    )


#: output samples whose bicubic weights are computed together (the buffers stay in L1)
BICUBIC_BLOCK = 256


@numba.njit(cache=True, fastmath={"contract"}, error_model="numpy")
def _bicubic_weights(sx, sy, n: int, row_len: int, xmax: int, ymax: int, base, wts) -> None:
    """Pass one over ``n`` samples of one channel at source positions ``sx``, ``sy``: the
    flat offset of each one's top-left tap in an H x W x 3 source (-1 where a tap falls
    outside, for :func:`_sample`) and its eight Catmull-Rom weights, x then y. Arithmetic
    only, no image reads, so LLVM vectorises it."""
    for j in range(n):
        fx, fy = sx[j], sy[j]
        x0, y0 = math.floor(fx), math.floor(fy)
        inside = (x0 >= 1) & (x0 < xmax) & (y0 >= 1) & (y0 < ymax)
        base[j] = (y0 - 1) * row_len + (x0 - 1) * 3 if inside else -1
        wts[0, j], wts[1, j], wts[2, j], wts[3, j] = _catmull_rom(np.float32(fx - x0))
        wts[4, j], wts[5, j], wts[6, j], wts[7, j] = _catmull_rom(np.float32(fy - y0))


@numba.njit(cache=True, inline="always")
def _bicubic_taps(flat, i, row_len, a0, a1, a2, a3, b0, b1, b2, b3):
    """The 4 x 4 taps from the flattened source at unsigned offset ``i`` (unsigned, so
    numba adds no negative-index wraparound per load), weighed."""
    total = b0 * (a0 * flat[i] + a1 * flat[i + 3] + a2 * flat[i + 6] + a3 * flat[i + 9])
    i += row_len
    total += b1 * (a0 * flat[i] + a1 * flat[i + 3] + a2 * flat[i + 6] + a3 * flat[i + 9])
    i += row_len
    total += b2 * (a0 * flat[i] + a1 * flat[i + 3] + a2 * flat[i + 6] + a3 * flat[i + 9])
    i += row_len
    return total + b3 * (a0 * flat[i] + a1 * flat[i + 3] + a2 * flat[i + 6] + a3 * flat[i + 9])


@numba.njit(cache=True)
def _bicubic_row(src, dst, y: int, sx, sy, wx, wy, base, wts, planes: int) -> None:
    """Bicubic samples for one output row, a block of ``BICUBIC_BLOCK`` and a plane of
    source positions at a time (the channels of a block read nearly the same source pixels,
    so their taps are still in the core's cache): the weights in a vectorised pass
    (:func:`_bicubic_weights`), then the taps; the border through :func:`_sample`. With
    ``planes`` 1 every channel is sampled at the first plane's positions with one set of
    weights (a warp without lateral chromatic aberration); with 3 each at its own."""
    flat = src.reshape(-1)
    row_len = src.shape[1] * 3
    stride = np.uint64(row_len)
    for start in range(0, dst.shape[1], BICUBIC_BLOCK):
        n = min(BICUBIC_BLOCK, dst.shape[1] - start)
        for c in range(planes):
            _bicubic_weights(sx[c, start:], sy[c, start:], n, row_len,
                             src.shape[1] - 2, src.shape[0] - 2, base, wts)  # fmt: skip
            if planes == 1:
                _bicubic_shared(src, flat, dst[y, start:], sx[0, start:], sy[0, start:], n,
                                stride, base, wts, wx, wy)  # fmt: skip
                continue
            for j in range(n):
                if base[j] < 0:
                    dst[y, start + j, c] = _sample(src, c, sx[c, start + j], sy[c, start + j],
                                                   1, wx, wy)  # fmt: skip
                    continue
                dst[y, start + j, c] = _bicubic_taps(
                    flat, np.uint64(base[j] + c), stride, wts[0, j], wts[1, j], wts[2, j],
                    wts[3, j], wts[4, j], wts[5, j], wts[6, j], wts[7, j],
                )  # fmt: skip


@numba.njit(cache=True, inline="always")
def _bicubic_shared(src, flat, out, sx, sy, n, stride, base, wts, wx, wy) -> None:
    """The three channels of ``n`` output pixels (``out``: n x 3) sampled at the same
    positions ``sx``, ``sy`` with the same weights (:func:`_bicubic_weights`)."""
    one = np.uint64(1)
    for j in range(n):
        if base[j] < 0:
            for c in range(3):
                out[j, c] = _sample(src, c, sx[j], sy[j], 1, wx, wy)
            continue
        i = np.uint64(base[j])
        a0, a1, a2, a3 = wts[0, j], wts[1, j], wts[2, j], wts[3, j]
        b0, b1, b2, b3 = wts[4, j], wts[5, j], wts[6, j], wts[7, j]
        out[j, 0] = _bicubic_taps(flat, i, stride, a0, a1, a2, a3, b0, b1, b2, b3)
        out[j, 1] = _bicubic_taps(flat, i + one, stride, a0, a1, a2, a3, b0, b1, b2, b3)
        out[j, 2] = _bicubic_taps(flat, i + one + one, stride, a0, a1, a2, a3, b0, b1, b2, b3)


@numba.njit(cache=True)
def _lanczos_row(src, dst, y: int, sx, sy, wx, wy) -> None:
    """Lanczos-3 samples for one output row: those inside the input through :func:`_lanczos`
    inline, the rest through :func:`_sample`."""
    h, w = src.shape[0], src.shape[1]
    for x in range(dst.shape[1]):
        for c in range(3):
            fx, fy = sx[c, x], sy[c, x]
            if -0.5 <= fx <= w - 0.5 and -0.5 <= fy <= h - 0.5:
                x0, y0 = math.floor(fx), math.floor(fy)
                dst[y, x, c] = _lanczos(src, c, x0, y0, fx - x0, fy - y0, wx, wy)
            else:
                dst[y, x, c] = 0.0


@numba.njit(cache=True)
def _columns(w: int, gw: int, inv: float):
    """For ``w`` output columns (shared by all rows): each one's fraction within its grid
    cell, and the first column of each cell (``w`` past the last); a cell's columns are a
    run."""
    frac = np.empty(w)
    edges = np.full(gw, w, np.int64)
    for x in range(w - 1, -1, -1):
        cell = min(int(x * inv), gw - 2)
        frac[x] = x * inv - cell
        edges[cell] = x
    return frac, edges


@numba.njit(cache=True)
def _distinct_planes(grid_x, grid_y) -> int:
    """1 if the three planes of the position grids are equal (one warp for all channels),
    else 3."""
    for c in range(1, 3):
        for i in range(grid_x.shape[1]):
            for k in range(grid_x.shape[2]):
                if grid_x[c, i, k] != grid_x[0, i, k] or grid_y[c, i, k] != grid_y[0, i, k]:
                    return 3
    return 1


@numba.njit(cache=True)
def _remap_row(src, dst, i, y, first, grid_x, grid_y, inv, frac, edges, filt, planes):
    """Output row ``y`` of the remap into row ``i`` of ``dst``: the source positions of its
    pixels interpolated from the grid (``planes``: of the first plane only, or of all
    three), then sampled by filter ``filt`` from ``src``, which holds the source's rows
    from ``first`` on (positions shift by a whole row count, which is exact in float64, so
    the fractions and weights are those of the whole source)."""
    w = dst.shape[1]
    wx = np.empty(6)
    wy = np.empty(6)
    sx = np.empty((3, w))
    sy = np.empty((3, w))
    for c in range(planes):
        rx = _grid_row(grid_x[c], y, inv)
        ry = _grid_row(grid_y[c], y, inv)
        for k in range(rx.shape[0] - 1):  # a cell's run of columns at a time (vectorised)
            x0, dx, y0, dy = rx[k], rx[k + 1] - rx[k], ry[k], ry[k + 1] - ry[k]
            for x in range(edges[k], edges[k + 1]):
                sx[c, x] = x0 + dx * frac[x]
                sy[c, x] = y0 + dy * frac[x] - first
    if filt == 1:
        base = np.empty(BICUBIC_BLOCK, np.int64)
        wts = np.empty((8, BICUBIC_BLOCK), np.float32)
        _bicubic_row(src, dst, i, sx, sy, wx, wy, base, wts, planes)
        return
    for c in range(planes, 3):
        sx[c] = sx[0]
        sy[c] = sy[0]
    if filt == 0:
        _bilinear_row(src, dst, i, sx, sy)
    else:
        _lanczos_row(src, dst, i, sx, sy, wx, wy)


@numba.njit(parallel=True, cache=True)
def remap(src, dst, grid_x, grid_y, step: int, filt: int) -> None:
    inv = 1.0 / step
    frac, edges = _columns(dst.shape[1], grid_x.shape[2], inv)
    planes = _distinct_planes(grid_x, grid_y)
    for y in numba.prange(dst.shape[0]):
        _remap_row(src, dst, y, y, 0, grid_x, grid_y, inv, frac, edges, filt, planes)


@numba.njit(parallel=True, cache=True)
def remap_develop(
    src, dst, grid_x, grid_y, step, filt, y0, y1, first,
    codes, starts, prm, lut, ctab, qscale,
):  # fmt: skip  # pragma: no cover - compiled
    """:func:`remap` into the rows [y0, y1) of ``dst`` from ``src``, the source's rows from
    ``first`` on (they must hold every row those output rows sample: :func:`source_rows`),
    each output row then taken through the point program (``kernels.cpu.program_row``:
    ``codes`` ... ``qscale``) into ``dst`` (float or integer): the remapped image is never
    whole."""
    inv = 1.0 / step
    w = dst.shape[1]
    frac, edges = _columns(w, grid_x.shape[2], inv)
    planes = _distinct_planes(grid_x, grid_y)
    for y in numba.prange(y0, y1):
        row = np.empty((1, w, 3), np.float32)
        _remap_row(src, row, 0, y, first, grid_x, grid_y, inv, frac, edges, filt, planes)
        program_row(row[0], dst[y], codes, starts, prm, lut, ctab, qscale)


#: source rows a filter reads above and below a sample's row (Lanczos-3's taps -2 .. +3)
FILTER_REACH = 3


@numba.njit(cache=True)
def source_rows(grid_y, step: int, y0: int, y1: int, w: int, h: int) -> tuple[int, int]:
    """The rows [a, b) of an ``h``-row source that the remap's output rows [y0, y1), ``w``
    wide, sample through any filter. The field is bilinear within each grid cell (and
    linear beyond the last node), so its extremes lie on the rows and columns of grid nodes
    or at the output's edges: only those are evaluated."""
    inv = 1.0 / step
    lo, hi = np.inf, -np.inf
    for y in range(y0, y1):
        if y % step and y != y0 and y != y1 - 1:
            continue
        for c in range(grid_y.shape[0]):
            row = _grid_row(grid_y[c], y, inv)
            for x in range(0, w + step - 1, step):  # the nodes' columns, then the last one
                v = _along_row(row, min(x, w - 1), inv)
                lo, hi = min(lo, v), max(hi, v)
    a = min(max(math.floor(lo) - FILTER_REACH - 1, 0), h)
    b = min(math.floor(hi) + FILTER_REACH + 2, h)
    return a, max(a, b)


@numba.njit(parallel=True, cache=True)
def gain(src, dst, grid, step: int, first: int) -> None:
    """``src`` times the gain map into ``dst`` (may be ``src``); their row 0 is the map's
    row ``first``."""
    w = src.shape[1]
    inv = 1.0 / step
    for y in numba.prange(src.shape[0]):
        row = _grid_row(grid, y + first, inv)
        for x in range(w):
            g = _along_row(row, x, inv)
            for c in range(3):
                dst[y, x, c] = src[y, x, c] * g


def run_geometry(ops, pixels: np.ndarray) -> np.ndarray:
    """Apply gain maps and remaps in order; returns a new array."""
    from lsquared.pipeline.ops import GainMapOp, RemapOp

    current = pixels
    for op in ops:
        out = np.empty_like(pixels)
        if isinstance(op, GainMapOp):
            gain(current, out, op.grid, op.step, 0)
        elif isinstance(op, RemapOp):
            remap(current, out, op.grid_x, op.grid_y, op.step, FILTER_CODES[op.filter])
        else:
            raise TypeError(f"not a geometry op: {type(op).__name__}")
        current = out
    return current
