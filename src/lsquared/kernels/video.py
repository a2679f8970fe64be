"""Video frames through a lone 3D LUT without leaving Y'CbCr: decode to R'G'B', the LUT,
encode back, in one parallel pass over the decoded frame's planes into the encoder's.

This is what ``lsq grade --fast`` (and a grade that is only a LUT) runs. The unfused path,
``io.yuv.yuv_to_rgb`` -> ``CpuRenderer.run`` -> ``io.yuv.rgb_to_yuv_into``, writes and reads
two float R'G'B' frames (100 MB each at 4K) per frame; here a band of rows stays in the
cache. The arithmetic is the same, from the same inline functions (``io.yuv``'s pixel
formulas, ``kernels.cpu``'s tetrahedral passes), so the planes come out identical to the
unfused path's (tests/kernels/test_video_planes.py holds them to it). Measured on a 4K 10-bit clip
with x265 ultrafast: see ``benchmarks/run.py grade``.
"""

from __future__ import annotations

from collections.abc import Callable

import numba
import numpy as np

from lsquared.io.yuv import block_code, rgb_from_codes, rounded_code, ycbcr_from_rgb
from lsquared.kernels.cpu import (
    LUT_BLOCK,
    lone_tetrahedral_lut,
    tetra_arguments,
    tetra_blend,
    tetra_corners,
)
from lsquared.pipeline.ops import Program


@numba.njit(cache=True)
def _expand_chroma(row, factor: int, out) -> None:  # pragma: no cover - numba
    """A chroma row repeated ``factor`` times across (the sample covers its block)."""
    for cx in range(row.shape[0]):
        for k in range(factor):
            x = cx * factor + k
            if x < out.shape[0]:
                out[x] = row[cx]


@numba.njit(parallel=True, cache=True)
def _yuv_lut_yuv(yi, cbi, cri, dec, lut4, n, lo, scale, yo, cbo, cro, enc):  # pragma: no cover
    """``dec`` = io.yuv.decode_parameters of the source, ``enc`` = encode_parameters of the
    output; chroma factors follow from the planes' shapes, as in io.yuv."""
    h, w = yi.shape
    fyi, fxi = -(-h // cbi.shape[0]), -(-w // cbi.shape[1])
    fyo, fxo = -(-h // cbo.shape[0]), -(-w // cbo.shape[1])
    y0i, ysi, c0i, csi, kri, kbi = dec[0], dec[1], dec[2], dec[3], dec[4], dec[5]
    y0o, yso, c0o, cso, top, kro, kbo = enc[0], enc[1], enc[2], enc[3], enc[4], enc[5], enc[6]
    for band in numba.prange(cbo.shape[0]):  # the luma rows of one output chroma row
        cb_in, cr_in = np.empty(w, cbi.dtype), np.empty(w, cri.dtype)
        rgb, graded = np.empty(3 * w, np.float32), np.empty((w, 3), np.float32)
        flat = graded.reshape(3 * w)
        offsets = np.empty(3 * LUT_BLOCK, np.int32)
        weights = np.empty(4 * LUT_BLOCK, np.float32)
        cb_code, cr_code = np.empty(w), np.empty(w)
        cb_sum, cr_sum = np.zeros(cbo.shape[1]), np.zeros(cbo.shape[1])
        count = np.zeros(cbo.shape[1])
        for row in range(band * fyo, min(band * fyo + fyo, h)):
            _expand_chroma(cbi[row // fyi], fxi, cb_in)
            _expand_chroma(cri[row // fyi], fxi, cr_in)
            y_in = yi[row]
            for x in range(w):
                r, g, b = rgb_from_codes(y_in[x], cb_in[x], cr_in[x], y0i, ysi, c0i, csi, kri, kbi)
                rgb[3 * x] = r
                rgb[3 * x + 1] = g
                rgb[3 * x + 2] = b
            for start in range(0, w, LUT_BLOCK):
                stop = min(w, start + LUT_BLOCK)
                tetra_corners(rgb[3 * start : 3 * stop], lo, scale, n, offsets, weights)
                tetra_blend(graded[start:stop], lut4, n, offsets, weights, 0.0)
            y_out = yo[row]
            for x in range(w):
                r, g, b = flat[3 * x], flat[3 * x + 1], flat[3 * x + 2]
                yn, cbn, crn = ycbcr_from_rgb(r, g, b, kro, kbo)
                y_out[x] = block_code(rounded_code(yn, yso, y0o), 1, top)
                cb_code[x] = rounded_code(cbn, cso, c0o)
                cr_code[x] = rounded_code(crn, cso, c0o)
            for x in range(w):
                cb_sum[x // fxo] += cb_code[x]
                cr_sum[x // fxo] += cr_code[x]
                count[x // fxo] += 1
        for cx in range(cbo.shape[1]):
            cbo[band, cx] = block_code(cb_sum[cx], count[cx], top)
            cro[band, cx] = block_code(cr_sum[cx], count[cx], top)


def lut_on_planes(program: Program) -> Callable | None:
    """For a program that is one tetrahedral 3D LUT and no geometry, a function
    ``(source planes, decode parameters, output planes, encode parameters)`` that grades a
    frame plane to plane; None for any other program (it takes the R'G'B' path)."""
    lone = lone_tetrahedral_lut(program.point)
    if program.geometry or lone is None:
        return None
    lut4, n, lo, scale = tetra_arguments(lone)

    def run(source: list, dec: tuple, output: list, enc: tuple) -> None:
        _yuv_lut_yuv(
            *source, np.asarray(dec, np.float64), lut4, n, lo, scale, *output,
            np.asarray(enc, np.float64),
        )  # fmt: skip

    return run
