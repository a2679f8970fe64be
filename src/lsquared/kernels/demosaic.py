"""Bayer demosaicing of a CFA array, for raw data that LibRaw cannot read (DNG 1.7's JPEG XL
tiles) and so never demosaics itself: Malvar-He-Cutler, per-colour bilinear (the DNG SDK's
class, ``--demosaic linear``), and Menon 2007, also fused with the colour path.

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

from lsquared.kernels.cpu import program_row


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


def cfa_array(cfa: np.ndarray) -> np.ndarray:
    """``cfa`` as a C-contiguous float32 array; ValueError unless it is 2D and at least 3 x 3
    (the demosaics' filters reach one sample beyond a site)."""
    cfa = np.ascontiguousarray(cfa, dtype=np.float32)
    if cfa.ndim != 2 or min(cfa.shape) < 3:
        raise ValueError(f"a CFA array of at least 3 x 3 is needed, not {cfa.shape}")
    return cfa


def malvar2004(cfa: np.ndarray, pattern: np.ndarray) -> np.ndarray:
    """Demosaic an H x W Bayer array (``pattern``: the 2 x 2 colour indices, 0 R, 1 G, 2 B,
    of its top-left repeat) to H x W x 3 float32, unclipped (the filters overshoot at edges).
    Raises ValueError for what is not a Bayer pattern (:func:`check_bayer`) or a too small
    array."""
    pattern = check_bayer(pattern)
    cfa = cfa_array(cfa)
    out = np.empty((*cfa.shape, 3), dtype=np.float32)
    _malvar(cfa, pattern, out)
    return out


#: weights of a colour's samples in the 3 x 3 around a site, before normalising by the
#: weights of the samples of that colour actually there
_BILINEAR_TAPS = np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]], np.float32)


def bilinear(cfa: np.ndarray, pattern: np.ndarray) -> np.ndarray:
    """Demosaic an H x W Bayer array (``pattern`` as for :func:`malvar2004`) to H x W x 3
    float32 by per-colour bilinear interpolation: a site keeps its own sample, and each
    missing colour is the mean of that colour's nearest samples (green from the 4 edge
    neighbours; red and blue from the 2 neighbours in line at a green site, from the 4
    diagonal ones at the opposite colour's site). This is the interpolation class of the
    DNG SDK's stage 3 (``dng_mosaic_info``'s bilinear interpolator; DNG 1.7.1 chapter 5
    leaves the demosaic to the reader). Colours never borrow each other's detail, so a
    colour's edges stay where its own samples put them: under lateral chromatic aberration
    red and blue are not pulled towards green, and a WarpRectilinear after it moves them
    exactly (Malvar's and Menon's cross-colour terms shift red edges by about 0.1 px there).
    Edges mirror the CFA about the first and last sample, which keeps the Bayer phase.
    Raises ValueError for a non-Bayer pattern, a too small array or NaN/infinite samples."""
    import cv2

    pattern = check_bayer(pattern)
    cfa = cfa_array(cfa)
    if not np.isfinite(cfa).all():
        raise ValueError("the CFA has NaN or infinite samples")
    out = np.empty((*cfa.shape, 3), dtype=np.float32)
    for colour in range(3):
        sites = np.zeros(cfa.shape, np.float32)
        for dy, dx in zip(*np.nonzero(pattern == colour), strict=True):
            sites[dy::2, dx::2] = 1.0
        near = cv2.filter2D(cfa * sites, -1, _BILINEAR_TAPS, borderType=cv2.BORDER_REFLECT_101)
        weight = cv2.filter2D(sites, -1, _BILINEAR_TAPS, borderType=cv2.BORDER_REFLECT_101)
        out[..., colour] = np.where(sites > 0, cfa, near / weight)
    return out


# Menon, Andriani and Calvagno, "Demosaicing with directional filtering and a posteriori
# decision", IEEE TIP 16(1), 2007 (DDFAPD), demosaiced in bands of rows, in parallel. A band is
# the rows [y0, y1) plus MENON_HALO rows of the CFA on either side; within it the paper's
# passes run as a pipeline down the rows, each pass LAG rows behind the one it reads, so that
# the rows being worked on stay in the core's cache and each pass reads only what the passes
# before it finished. A finished row goes through ``kernels.cpu.program_row`` (the colour
# path; nothing for a bare demosaic) into the output, so a develop never holds the whole
# image in float.
#
# Layout: the band's CFA and its colour planes (red, green, blue: ``rgb[c]``, c = 0, 1, 2;
# red and blue hold the row and column colour differences of section II until section III
# overwrites them) are separate float32 arrays, each row with MENON_PAD columns on either
# side that mirror the row about its first and last sample. A pass refills the pads of
# each row it writes, so the passes read neighbours at x - 2 ... x + 2 without testing for
# the image's edge (rows mirror once per row). The loops are written for LLVM's vectoriser
# (AVX2/AVX-512 here): a pass runs over the whole row from column 0 with unit-stride
# planes, every value both cases need is read, and what differs per pixel (a red or blue
# sample or a green one: the column's parity; the decided direction) chooses between
# computed values, never which samples are read nor whether a branch runs (a branch on a
# flag that holds for the whole row, such as the refining pass, LLVM takes out of the loop).
# A pass whose results sit beside the samples it reads (section III's opposite colour)
# computes them into a spare row, then a loop over the red and blue columns alone stores
# them (a whole-row choice there becomes gathers and scatters, slow to run and to compile).
# The arithmetic per pixel is the same, operation for operation and in the same precision,
# as a plain per-pixel loop's, so the result is bit for bit the same.

#: rows per band
MENON_BAND = 128
#: the passes, in the order they run at each step of the pipeline
CHROMA, GRADIENT, DECIDE, GREEN_SITES, OPPOSITE, REFINE_GREEN_SITES, REFINE_OPPOSITE = range(7)
#: per pass: rows it lags the CFA by, and rows of valid input it needs above and below (its
#: own reach plus that of the passes it reads; at the image's top and bottom the CFA mirrors)
MENON_LAG = (2, 4, 6, 7, 8, 9, 10)
MENON_ABOVE = (2, 2, 4, 5, 6, 7, 8)
MENON_BELOW = (2, 4, 6, 7, 8, 9, 10)
#: CFA rows a band needs beyond its own on either side
MENON_HALO = 10
#: mirrored columns on either side of each row of a band's arrays (the filters' reach)
MENON_PAD = 2
#: numba options of the passes: cached, and without the wrappers for calls from Python (only
#: the kernels call them; a wrapper compiles about as long as the pass)
_PASS = {"cache": True, "no_cpython_wrapper": True, "no_cfunc_wrapper": True}


@numba.njit(inline="always")
def _pad(line, w):
    """Refill the MENON_PAD columns on either side of ``line`` (a padded row of ``w``
    samples) with the samples mirrored about its first and last one."""
    line[1], line[0] = line[3], line[4]
    line[w + 2], line[w + 3] = line[w], line[w - 1]


@numba.njit(inline="always")
def _sites(pattern, r):
    """Of image row ``r``: the parity of the columns of its red or blue samples (its greens
    are in the others), and their colour."""
    odd = 1 if pattern[r & 1, 0] == 1 else 0
    return odd, pattern[r & 1, odd]


@numba.njit(**_PASS)
def _chroma_row(cfa, rgb, r, a, h):  # pragma: no cover - compiled
    """Section II-A: at red and blue samples, the green interpolated along the row and along
    the column by the filter [-1/4, 1/2, 1/2, 1/2, -1/4]; kept as the colour difference
    sample minus green (eq. 3): row direction in plane 0, column direction in plane 2 (at
    every sample: the passes that read them read the red and blue ones). Row ``r`` of the
    image is row ``r - a`` of the band's arrays."""
    w = cfa.shape[1] - 2 * MENON_PAD
    i = r - a
    line, n1, s1 = cfa[i], cfa[_mirror(r - 1, h) - a], cfa[_mirror(r + 1, h) - a]
    n2, s2 = cfa[_mirror(r - 2, h) - a], cfa[_mirror(r + 2, h) - a]
    d_row, d_col = rgb[0, i], rgb[2, i]
    for x in range(w):
        v = line[x + 2]
        g_row = 0.5 * (v + line[x + 1] + line[x + 3]) - 0.25 * (line[x] + line[x + 4])
        g_col = 0.5 * (v + n1[x + 2] + s1[x + 2]) - 0.25 * (n2[x + 2] + s2[x + 2])
        d_row[x + 2] = v - g_row
        d_col[x + 2] = v - g_col
    _pad(d_row, w)
    _pad(d_col, w)


@numba.njit(**_PASS)
def _gradient_row(rgb, d_row, d_col, pattern, r, a, h):  # pragma: no cover - compiled
    """D_H and D_V (eq. 5: the change of the row (column) colour difference two samples on)
    at the red and blue samples of row ``r``, into arrays of zeros with 2 more rows and
    columns around the band (the decision's window sums zeros outside the image and at
    green samples)."""
    w = rgb.shape[2] - 2 * MENON_PAD
    i = r - a
    across, here, below = rgb[0, i], rgb[2, i], rgb[2, _mirror(r + 2, h) - a]
    grad_row, grad_col = d_row[i + 2], d_col[i + 2]
    for x in range(2 + _sites(pattern, r)[0], w + 2, 2):
        grad_row[x] = abs(across[x] - across[x + 2])
        grad_col[x] = abs(here[x] - below[x])


@numba.njit(**_PASS)
def _decide_row(cfa, rgb, d_row, d_col, horizontal, pattern, r, a):  # pragma: no cover
    """Section II-B: the classifiers delta_H and delta_V (eq. 6, weight 3 on the centre row
    (column) of the 5 x 5 window, 1 on its neighbours) choose the direction with the smaller
    colour-difference gradient (ties: the row); green is the chosen estimate (at green
    samples the sample, and the row)."""
    w = cfa.shape[1] - 2 * MENON_PAD
    y = r - a
    i = y + 2
    line, green, along = cfa[y], rgb[1, y], horizontal[y]
    across, here = rgb[0, y], rgb[2, y]
    r0, r1, r2, r3, r4 = d_row[i - 2], d_row[i - 1], d_row[i], d_row[i + 1], d_row[i + 2]
    c0, c1, c2 = d_col[i - 2], d_col[i - 1], d_col[i]  # D_V at row i compares i + 2
    odd = _sites(pattern, r)[0]
    for x in range(w):
        delta_row = (
            3.0 * (r2[x + 2] + r2[x])
            + r1[x + 1] + r3[x + 1]
            + r0[x + 2] + r4[x + 2]
            + r0[x] + r4[x]
        )  # fmt: skip
        delta_col = (
            3.0 * (c2[x + 2] + c0[x + 2])
            + c1[x + 1] + c1[x + 3]
            + c2[x] + c2[x + 4]
            + c0[x] + c0[x + 4]
        )  # fmt: skip
        sampled = (x & 1) == odd
        along_row = delta_col >= delta_row
        v, d_across, d_here = line[x + 2], across[x + 2], here[x + 2]
        estimate = v - (d_across if along_row else d_here)
        along[x + 2] = along_row | (not sampled)
        green[x + 2] = estimate if sampled else v
    _pad(green, w)


@numba.njit(**_PASS)
def _green_sites_row(cfa, rgb, pattern, r, a, h, refined):  # pragma: no cover - compiled
    """Section III: red and blue at green samples, bilinear on the colour difference with
    green along the row or column that holds that colour; the sampled colour is set. With
    ``refined``, section IV's second pass, from the refined green (the same sums in the
    order of its update: the neighbours' differences one by one)."""
    w = cfa.shape[1] - 2 * MENON_PAD
    y = r - a
    yn, ys = _mirror(r - 1, h) - a, _mirror(r + 1, h) - a
    line, up, down = cfa[y], cfa[yn], cfa[ys]
    green, g_up, g_down = rgb[1, y], rgb[1, yn], rgb[1, ys]
    odd, c = _sites(pattern, r)
    across, along = rgb[c, y], rgb[2 - c, y]  # the colours of the row and column neighbours
    for x in range(w):
        v, kept = line[x + 2], along[x + 2]
        sampled = (x & 1) == odd
        if refined:
            row = v + 0.5 * (line[x + 1] - green[x + 1] + line[x + 3] - green[x + 3])
            col = v + 0.5 * (up[x + 2] - g_up[x + 2] + down[x + 2] - g_down[x + 2])
        else:
            row = v + 0.5 * (line[x + 1] + line[x + 3] - green[x + 1] - green[x + 3])
            col = v + 0.5 * (up[x + 2] + down[x + 2] - g_up[x + 2] - g_down[x + 2])
        across[x + 2] = v if sampled else row
        along[x + 2] = kept if sampled else col
    _pad(across, w)
    _pad(along, w)


@numba.njit(**_PASS)
def _opposite_row(
    cfa, rgb, horizontal, spare, pattern, r, a, h, refine, refined
):  # pragma: no cover - compiled
    """Section III: blue at red samples (red at blue) from the colour difference with the
    sampled colour along the decided direction; with ``refine``, section IV's green update:
    the sampled colour minus the mean colour difference over the pixel and its two
    neighbours along the decided direction. With ``refined``, section IV's second pass
    instead: the sampled colour plus the mean difference of the other colour over the
    three. Computed along both directions and the decided one kept (a choice of values,
    which LLVM vectorises, not of the samples read) into ``spare``, then stored at the red
    and blue samples (the whole-row loop reads the neighbours of what is stored)."""
    w = cfa.shape[1] - 2 * MENON_PAD
    y = r - a
    yn, ys = _mirror(r - 1, h) - a, _mirror(r + 1, h) - a
    odd, c = _sites(pattern, r)
    o = 2 - c
    line, along = cfa[y], horizontal[y]
    other, o_up, o_down = rgb[o, y], rgb[o, yn], rgb[o, ys]
    same, s_up, s_down = rgb[c, y], rgb[c, yn], rgb[c, ys]
    green, g_up, g_down = rgb[1, y], rgb[1, yn], rgb[1, ys]
    new_other, new_green = spare[0], spare[1]
    for x in range(w):
        v, horiz, centre, g_centre = line[x + 2], along[x + 2], other[x + 2], green[x + 2]
        o_w, o_e, o_n, o_s = other[x + 1], other[x + 3], o_up[x + 2], o_down[x + 2]
        s_w, s_e, s_n, s_s = same[x + 1], same[x + 3], s_up[x + 2], s_down[x + 2]
        if refined:
            by_row = v + (o_w - s_w + centre - v + o_e - s_e) / 3.0
            by_col = v + (o_n - s_n + centre - v + o_s - s_s) / 3.0
            new_other[x] = by_row if horiz else by_col
        else:
            g_w, g_e, g_n, g_s = green[x + 1], green[x + 3], g_up[x + 2], g_down[x + 2]
            by_row = v + 0.5 * (o_w + o_e - s_w - s_e)
            by_col = v + 0.5 * (o_n + o_s - s_n - s_s)
            new_other[x] = by_row if horiz else by_col
            by_row = v - (s_w - g_w + v - g_centre + s_e - g_e) / 3.0
            by_col = v - (s_n - g_n + v - g_centre + s_s - g_s) / 3.0
            new_green[x] = by_row if horiz else by_col
    for x in range(odd, w, 2):  # the red and blue samples take the results
        other[x + 2] = new_other[x]
        if refine and not refined:
            green[x + 2] = new_green[x]
    _pad(other, w)
    _pad(green, w)


@numba.njit(**_PASS)
def _menon_step(
    t, cfa, rgb, d_row, d_col, horizontal, spare, pattern, a, b, h, refine
):  # pragma: no cover
    """One step of the band's pipeline (CFA rows [a, b) of an image of ``h`` rows): each
    pass on the row MENON_LAG behind CFA row ``t``, if its input there is valid (it reaches
    no further than the band's rows, or the image's edge, where the CFA mirrors)."""
    for k in range(REFINE_OPPOSITE + 1 if refine else OPPOSITE + 1):
        r = t - MENON_LAG[k]
        lo = 0 if a == 0 else a + MENON_ABOVE[k]
        hi = h if b == h else b - MENON_BELOW[k]
        if r < lo or r >= hi:
            continue
        if k == CHROMA:
            _chroma_row(cfa, rgb, r, a, h)
        elif k == GRADIENT:
            _gradient_row(rgb, d_row, d_col, pattern, r, a, h)
        elif k == DECIDE:
            _decide_row(cfa, rgb, d_row, d_col, horizontal, pattern, r, a)
        elif k in (GREEN_SITES, REFINE_GREEN_SITES):
            _green_sites_row(cfa, rgb, pattern, r, a, h, k == REFINE_GREEN_SITES)
        else:
            refined = k == REFINE_OPPOSITE
            _opposite_row(cfa, rgb, horizontal, spare, pattern, r, a, h, refine, refined)


@numba.njit(**_PASS)
def _load_row(
    samples, cfa, pattern, r, a, black, scale, lo, hi, neutral
) -> bool:  # pragma: no cover
    """Row ``r`` of ``samples`` into the band's float32 CFA (padded, :func:`_pad`):
    (v - black) * scale, clamped to [lo, hi], divided by the neutral of the sample's colour
    (each per 2 x 2 phase, as float32 arithmetic). False when the row has a NaN or infinite
    sample."""
    w = samples.shape[1]
    p = r & 1
    src, line = samples[r], cfa[r - a]
    b0, b1, s0, s1 = black[p, 0], black[p, 1], scale[p, 0], scale[p, 1]
    n0, n1 = neutral[pattern[p, 0]], neutral[pattern[p, 1]]
    bad = 0
    for k in range(w // 2):  # pairs of columns: LLVM vectorises this, not a choice per column
        x = 2 * k
        v0, v1 = np.float32(src[x]), np.float32(src[x + 1])
        bad += (not np.isfinite(v0)) + (not np.isfinite(v1))
        line[x + 2] = min(max((v0 - b0) * s0, lo), hi) / n0
        line[x + 3] = min(max((v1 - b1) * s1, lo), hi) / n1
    if w & 1:
        v0 = np.float32(src[w - 1])
        bad += not np.isfinite(v0)
        line[w + 1] = min(max((v0 - b0) * s0, lo), hi) / n0
    _pad(line, w)
    return bad == 0


@numba.njit(inline="always")
def _upright(r, x, h, w, quarter, mirror):
    """Where pixel (r, x) of an h x w stored frame lands once turned upright: mirrored left
    to right if ``mirror``, then ``quarter`` quarter turns counter-clockwise (numpy's
    ``rot90``)."""
    if mirror:
        x = w - 1 - x
    if quarter == 1:
        return w - 1 - x, r
    if quarter == 2:
        return h - 1 - r, w - 1 - x
    if quarter == 3:
        return x, h - 1 - r
    return r, x


@numba.njit(**_PASS)
def _gradient_array(rows, wide):  # pragma: no cover - compiled
    """An array for a band's D_H or D_V: 2 rows of zeros above and below ``rows`` and zeros
    in the pads. The decision reads only red and blue samples' gradients, which
    :func:`_gradient_row` writes, and these zeros (outside the image); the green samples'
    places stay unset (the whole-row loop reads them, for results it does not keep)."""
    out = np.empty((rows + 4, wide), np.float32)
    for i in range(rows + 4):
        out[i, 0] = out[i, 1] = out[i, wide - 2] = out[i, wide - 1] = 0.0
    for x in range(wide):
        out[0, x] = out[1, x] = out[rows + 2, x] = out[rows + 3, x] = 0.0
    return out


@numba.njit(inline="always")
def _band(band, h, w, r0, r1, size):
    """Rows [y0, y1) of band ``band`` (of ``size`` rows) of the rows [r0, r1), the CFA rows
    [a, b) it reads, and its working arrays, rows of ``w`` samples and MENON_PAD mirrored
    columns either side: CFA, the three colour planes, the two gradients
    (:func:`_gradient_array`), the decided directions, and two spare rows
    (:func:`_opposite_row`)."""
    y0 = r0 + np.int64(band) * size
    y1 = min(y0 + size, r1)
    a, b = max(y0 - MENON_HALO, 0), min(y1 + MENON_HALO, h)
    wide = w + 2 * MENON_PAD
    arrays = (
        np.empty((b - a, wide), np.float32),
        np.empty((3, b - a, wide), np.float32),
        _gradient_array(b - a, wide),
        _gradient_array(b - a, wide),
        np.empty((b - a, wide), np.bool_),
        np.empty((2, w), np.float32),
    )
    return y0, y1, a, b, arrays


@numba.njit(inline="always")
def _band_step(t, samples, pattern, black, scale, lo, hi, neutral, refine, band, finite):
    """Load CFA row ``t`` (:func:`_load_row`) and run the passes' lagged rows
    (:func:`_menon_step`); the row finished by this step, or -1 when it is not the band's."""
    y0, y1, a, b, (cfa, rgb, d_row, d_col, horizontal, spare) = band
    if t < b:
        ok = _load_row(samples, cfa, pattern, t, a, black, scale, lo, hi, neutral)
        if y0 <= t < y1:
            finite[t] = ok
    h = samples.shape[0]
    _menon_step(t, cfa, rgb, d_row, d_col, horizontal, spare, pattern, a, b, h, refine)
    r = t - MENON_LAG[-1]
    return r if y0 <= r < y1 else -1


@numba.njit(**_PASS)
def _interleave(rgb, i, neutral, lo, hi, back, row):  # pragma: no cover - compiled
    """Row ``i`` of the band's colour planes into ``row`` (W x 3; written as a 1D view, so
    that LLVM knows the stride of the stores); with ``back`` multiplied by ``neutral`` and
    clamped to [lo, hi]."""
    flat = row.reshape(-1)
    red, green, blue = rgb[0, i], rgb[1, i], rgb[2, i]
    one, inf = np.float32(1.0), np.float32(np.inf)  # without ``back``: v * 1, clamped to R
    n0, n1, n2 = (neutral[0], neutral[1], neutral[2]) if back else (one, one, one)
    lo, hi = (lo, hi) if back else (-inf, inf)
    for x in range(flat.shape[0] // 3):
        flat[3 * x] = min(max(red[x + 2] * n0, lo), hi)
        flat[3 * x + 1] = min(max(green[x + 2] * n1, lo), hi)
        flat[3 * x + 2] = min(max(blue[x + 2] * n2, lo), hi)


@numba.njit(inline="always")
def _put_upright(dst, row, r, h, w, quarter, mirror, first):
    """Row ``r`` (W x 3) of an h x w stored frame into ``dst`` turned upright
    (:func:`_upright`), upright row ``first`` in its row 0. A stored row lands on a line
    of ``dst``: its first pixel's place and the step from one pixel to the next."""
    i0, j0 = _upright(r, 0, h, w, quarter, mirror)
    i1, j1 = _upright(r, 1, h, w, quarter, mirror)
    for x in range(w):
        i, j = i0 - first + (i1 - i0) * x, j0 + (j1 - j0) * x
        dst[i, j, 0], dst[i, j, 1], dst[i, j, 2] = row[x, 0], row[x, 1], row[x, 2]


@numba.njit(parallel=True, cache=True)
def menon_rgb(
    samples, pattern, black, scale, lo, hi, neutral, refine, back, quarter, mirror,
    r0, r1, size, first, dst, finite,
):  # fmt: skip  # pragma: no cover - compiled
    """Demosaic the rows [r0, r1) of ``samples`` (H x W, taken through :func:`_load_row`)
    by Menon 2007 in bands of ``size`` rows in parallel into ``dst`` (float32), turned
    upright (:func:`_upright`), upright row ``first`` in its row 0; with ``back`` each
    finished row multiplied back by ``neutral`` and clamped to [lo, hi] (camera RGB).
    ``finite[y]``: row ``y`` had only finite samples."""
    h, w = samples.shape
    for index in numba.prange((r1 - r0 + size - 1) // size):
        band = _band(index, h, w, r0, r1, size)
        rgb, a = band[4][1], band[2]
        row = np.empty((w, 3), np.float32)
        for t in range(band[2], band[3] + MENON_LAG[-1]):
            r = _band_step(t, samples, pattern, black, scale, lo, hi, neutral, refine, band, finite)
            if r < 0:
                continue
            _interleave(rgb, r - a, neutral, lo, hi, back, row)
            _put_upright(dst, row, r, h, w, quarter, mirror, first)


@numba.njit(parallel=True, cache=True)
def menon_develop(
    samples, pattern, black, scale, neutral, quarter, mirror,
    dst, codes, starts, prm, lut, ctab, qscale, finite,
):  # fmt: skip  # pragma: no cover - compiled
    """As :func:`menon_rgb` of all rows in bands of MENON_BAND, [0, 1] clamps and ``back``,
    each finished row then run through the point program (``kernels.cpu``: ``codes`` ...
    ``qscale``) and stored in ``dst`` (float or integer) turned upright."""
    h, w = samples.shape
    lo, hi = np.float32(0.0), np.float32(1.0)
    # booleans typed as such, not as literals: a literal True would compile the passes a
    # second time beside menon_rgb's
    refine, back = np.bool_(True), np.bool_(True)
    for index in numba.prange((h + MENON_BAND - 1) // MENON_BAND):
        band = _band(index, h, w, 0, h, MENON_BAND)
        rgb, a = band[4][1], band[2]
        row = np.empty((w, 3), np.float32)
        turned = np.empty((w, 3), dst.dtype)
        for t in range(band[2], band[3] + MENON_LAG[-1]):
            r = _band_step(t, samples, pattern, black, scale, lo, hi, neutral, refine, band, finite)
            if r < 0:
                continue
            _interleave(rgb, r - a, neutral, lo, hi, back, row)
            if quarter == 0 and not mirror:
                program_row(row, dst[r], codes, starts, prm, lut, ctab, qscale)
                continue
            program_row(row, turned, codes, starts, prm, lut, ctab, qscale)
            _put_upright(dst, turned, r, h, w, quarter, mirror, 0)


def check_bayer(pattern: np.ndarray) -> np.ndarray:
    """``pattern`` as int64 2 x 2 colour indices; ValueError unless it is a Bayer pattern
    (one red, one blue, two greens on a diagonal)."""
    pattern = np.asarray(pattern, dtype=np.int64)
    if pattern.shape != (2, 2) or sorted(pattern.ravel().tolist()) != [0, 1, 1, 2]:
        raise ValueError(f"not a Bayer pattern: {pattern.tolist()}")
    if not (pattern[0, 0] == pattern[1, 1] == 1 or pattern[0, 1] == pattern[1, 0] == 1):
        raise ValueError(f"not a Bayer pattern (greens must be diagonal): {pattern.tolist()}")
    return pattern


def menon2007(cfa: np.ndarray, pattern: np.ndarray, refine: bool = True) -> np.ndarray:
    """Demosaic an H x W Bayer array (``pattern`` as for :func:`malvar2004`) to H x W x 3
    float32, unclipped, by Menon, Andriani and Calvagno 2007 (directional green, a posteriori
    decision, colour differences along the decided direction, and with ``refine`` the
    paper's refining step). Edges mirror the CFA, as colour-demosaicing's
    ``demosaicing_CFA_Bayer_Menon2007`` does (the decision's window sums zeros outside).
    Raises ValueError for a non-Bayer pattern, a too small array or NaN/infinite samples."""
    pattern = check_bayer(pattern)
    cfa = cfa_array(cfa)
    out = np.empty((*cfa.shape, 3), dtype=np.float32)
    finite = np.empty(cfa.shape[0], dtype=np.bool_)
    zero, one, inf = np.zeros((2, 2), np.float32), np.ones((2, 2), np.float32), np.float32(np.inf)
    h = cfa.shape[0]
    menon_rgb(cfa, pattern, zero, one, -inf, inf, np.ones(3, np.float32), refine, False, 0,
              False, 0, h, MENON_BAND, 0, out, finite)  # fmt: skip
    if not finite.all():
        raise ValueError(f"the CFA has NaN or infinite samples (first in row {finite.argmin()})")
    return out
