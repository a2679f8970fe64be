"""The fused CPU renderer: every point op of a Program in one parallel numba pass.

Curves are the expensive part (a ``pow`` is ~6 ns). Each curve therefore also gets a table
indexed by the float's octave and mantissa (``frexp``), 512 steps per octave over
[2^-24, 2^17), linearly interpolated: the relative step is under 0.2 %, so a smooth curve's
interpolation error is ~1e-7 relative. The table is checked against the exact curve at
every step's midpoint when it is built and used only if its error is below ``CURVE_TABLE_TOL``;
values outside its range, zero, negative or not finite take the exact formula. Integer
outputs are quantised inside the same pass.

The kernel is an interpreter over a small instruction array (op codes, parameters and one
flat LUT buffer) rather than code generated per recipe: it is compiled once and cached on
disk (``cache=True``), so a new recipe costs no JIT time, and each pixel still makes one
trip through memory. It takes a block of 64 pixels of a row through one instruction at a
time, as three planes that stay in L1: an instruction is decoded once per block, and its
loop over the block is plain arithmetic that LLVM vectorises where it can (the gamut
compression's square roots, the curves' float32 bit patterns, the matrices). An op that
branches on a rare case (the highlight limit's tanh, the gamut compression beyond its
threshold) computes its vectorisable part over the block first and takes the branch in a
second loop: vectorised whole, it would take the expensive path for every pixel. Rows are
spread over all cores with ``prange``. The scalar curves
mirror :mod:`lsquared.color.transfer` and share its constants; tests hold the two to
agreement. Anything that may change (tone constants) is passed as a parameter, because
numba's disk cache freezes module globals into the compiled kernel.
"""

from __future__ import annotations

import functools
import math

import numba
import numpy as np

from lsquared.color import transfer as tf
from lsquared.io.stills import CODE_TYPES
from lsquared.pipeline.ops import (
    CDL_LUMA,
    CURVE_KINDS,
    CdlOp,
    ClampOp,
    CurveOp,
    GamutCompressOp,
    HighlightLimitOp,
    HighlightOp,
    HueSatMapOp,
    Lut1DOp,
    Lut3DOp,
    MatrixOp,
    Program,
    ShadowToeOp,
)

(
    OP_MATRIX,
    OP_CURVE,
    OP_CLAMP,
    OP_HIGHLIGHT,
    OP_LUT3D,
    OP_LUT1D,
    OP_CDL,
    OP_GAMUT,
    OP_TOE,
    OP_LIMIT,
    OP_HSM,
) = range(11)
LUMA_R, LUMA_G, LUMA_B = CDL_LUMA
CURVE_CODE = {name: i for i, name in enumerate(CURVE_KINDS)}
(
    K_SRGB_ENCODE,
    K_SRGB_DECODE,
    K_REC709_ENCODE,
    K_REC709_DECODE,
    K_BT1886_ENCODE,
    K_BT1886_DECODE,
    K_VLOG_ENCODE,
    K_VLOG_DECODE,
    K_LLOG_ENCODE,
    K_LLOG_DECODE,
    K_ACESCCT_ENCODE,
    K_ACESCCT_DECODE,
    K_PQ_ENCODE,
    K_PQ_DECODE,
    K_HLG_ENCODE,
    K_HLG_DECODE,
    K_TONE,
) = range(len(CURVE_KINDS))
assert CURVE_KINDS[K_TONE] == "tone" and CURVE_KINDS[K_HLG_DECODE] == "hlg_decode"
_LLOG_C_LN = tf.LLOG_C / math.log(10.0)
_VLOG_C_LN = tf.VLOG_C / math.log(10.0)
_HLG_C = float(tf.HLG_C)
CT_EMIN, CT_OCTAVES, CT_STEPS = -23, 41, 512
CT_LO, CT_HI = 2.0 ** (CT_EMIN - 1), 2.0 ** (CT_EMIN + CT_OCTAVES - 1)
CURVE_TABLE_TOL = 5e-7  # relative, plus 1e-9 absolute
_ZERO32, _ONE32 = np.float32(0.0), np.float32(1.0)


@numba.njit(cache=True, inline="always")
def _mirror_pow(x: float, p: float) -> float:
    return math.copysign(math.pow(abs(x), p), x)


@numba.njit(cache=True)
def _curve(kind: int, x: float, prm: float, k: float, toe2: float) -> float:
    if kind == K_SRGB_ENCODE:
        a = abs(x)
        y = 12.92 * a if a <= tf.SRGB_CUT_LINEAR else 1.055 * math.pow(a, 1 / 2.4) - 0.055
        return math.copysign(y, x)
    if kind == K_SRGB_DECODE:
        a = abs(x)
        y = a / 12.92 if a <= tf.SRGB_CUT_SIGNAL else math.pow((a + 0.055) / 1.055, 2.4)
        return math.copysign(y, x)
    if kind == K_REC709_ENCODE:
        a = abs(x)
        y = 4.5 * a if a < tf.REC709_CUT_LINEAR else 1.099 * math.pow(a, 0.45) - 0.099
        return math.copysign(y, x)
    if kind == K_REC709_DECODE:
        a = abs(x)
        y = a / 4.5 if a < tf.REC709_CUT_SIGNAL else math.pow((a + 0.099) / 1.099, 1 / 0.45)
        return math.copysign(y, x)
    if kind == K_BT1886_ENCODE:
        return _mirror_pow(x, 1 / tf.BT1886_GAMMA)
    if kind == K_BT1886_DECODE:
        return _mirror_pow(x, tf.BT1886_GAMMA)
    if kind == K_VLOG_ENCODE:
        if x < tf.VLOG_CUT1:
            return 5.6 * x + 0.125
        return _VLOG_C_LN * math.log(x + tf.VLOG_B) + tf.VLOG_D
    if kind == K_VLOG_DECODE:
        if x < tf.VLOG_CUT2:
            return (x - 0.125) / 5.6
        return math.pow(10.0, (x - tf.VLOG_D) / tf.VLOG_C) - tf.VLOG_B
    if kind == K_LLOG_ENCODE:
        if x <= tf.LLOG_CUT1:
            return tf.LLOG_A * x + tf.LLOG_B
        return _LLOG_C_LN * math.log(tf.LLOG_D * x + tf.LLOG_E) + tf.LLOG_F
    if kind == K_LLOG_DECODE:
        if x <= tf.LLOG_CUT2:
            return (x - tf.LLOG_B) / tf.LLOG_A
        return (math.pow(10.0, (x - tf.LLOG_F) / tf.LLOG_C) - tf.LLOG_E) / tf.LLOG_D
    if kind == K_ACESCCT_ENCODE:
        if x <= tf.ACESCCT_X_BRK:
            return tf.ACESCCT_A * x + tf.ACESCCT_B
        return (math.log2(x) + 9.72) / 17.52
    if kind == K_ACESCCT_DECODE:
        if x <= tf.ACESCCT_Y_BRK:
            return (x - tf.ACESCCT_B) / tf.ACESCCT_A
        return math.pow(2.0, x * 17.52 - 9.72)
    if kind == K_PQ_ENCODE:
        y = max(x * tf.PQ_NITS_PER_UNIT / 10000.0, 0.0)
        ym = math.pow(y, tf.PQ_M1)
        return math.pow((tf.PQ_C1 + tf.PQ_C2 * ym) / (1 + tf.PQ_C3 * ym), tf.PQ_M2)
    if kind == K_PQ_DECODE:
        vp = math.pow(min(max(x, 0.0), 1.0), 1 / tf.PQ_M2)
        y = math.pow(max(vp - tf.PQ_C1, 0.0) / (tf.PQ_C2 - tf.PQ_C3 * vp), 1 / tf.PQ_M1)
        return y * 10000.0 / tf.PQ_NITS_PER_UNIT
    if kind == K_HLG_ENCODE:
        e = max(x, 0.0)
        if e <= 1 / 12:
            return math.sqrt(3 * e)
        return tf.HLG_A * math.log(max(12 * e - tf.HLG_B, 1e-12)) + _HLG_C
    if kind == K_HLG_DECODE:
        v = max(x, 0.0)
        if v <= 0.5:
            return v * v / 3
        return (math.exp((v - _HLG_C) / tf.HLG_A) + tf.HLG_B) / 12
    if kind == K_TONE:
        if not x > 0.0:  # negative, zero and NaN render as black, as in the reference
            return 0.0
        xp = math.pow(x, prm)
        x2 = x * x
        return xp / (xp + k) * x2 / (x2 + toe2)
    return x


CT_NODES = CT_OCTAVES * CT_STEPS + 1
#: uniform layout for signal-domain curves (decodes): 2^16 steps over [UT_LO, UT_HI)
UT_LO, UT_HI, UT_STEPS = -0.25, 1.25, 65536
UT_NODES = UT_STEPS + 1
UT_SCALE = UT_STEPS / (UT_HI - UT_LO)
LAYOUT_OCTAVE, LAYOUT_UNIFORM = 1, 2


CT_STEP_BITS = 9  # 2^9 = CT_STEPS
CT_FRAC_BITS = 23 - CT_STEP_BITS


def curve_table_inputs(layout: int) -> np.ndarray:
    """The x at which a curve table is sampled (its bucket boundaries)."""
    if layout == LAYOUT_UNIFORM:
        return UT_LO + np.arange(UT_NODES) / UT_SCALE
    i = np.arange(CT_NODES)
    octave, step = i // CT_STEPS, i % CT_STEPS
    return (0.5 + step / (2 * CT_STEPS)) * np.exp2(octave + CT_EMIN)


def _table_for_layout(op: CurveOp, layout: int) -> np.ndarray | None:
    from lsquared.kernels.reference import curve

    x = curve_table_inputs(layout)
    with np.errstate(all="ignore"):
        y = curve(op.kind, x, op.param)
        exact = curve(op.kind, 0.5 * (x[:-1] + x[1:]), op.param)
        interp = 0.5 * (y[:-1] + y[1:])
        finite = np.isfinite(y[:-1]) & np.isfinite(y[1:]) & np.isfinite(exact)
        missed = finite & (np.abs(interp - exact) > CURVE_TABLE_TOL * np.abs(exact) + 1e-9)
    if missed.mean() > 0.01:  # not smooth at this resolution: no table
        return None
    flagged = missed | ~finite  # overflowing ranges keep the formula
    table = np.empty((y.size - 1, 2))
    table[:, 0] = np.where(flagged, 0.0, y[:-1])
    table[:, 1] = np.where(flagged, np.nan, y[1:] - y[:-1])
    return table.ravel()


@functools.lru_cache(maxsize=32)
def curve_table(op: CurveOp) -> tuple[int, np.ndarray] | None:
    """(layout, per bucket its first node's value and the step to the next node, side by
    side so that a lookup reads one cache line), or None when neither layout interpolates
    well. Octave spacing suits encodes and the tone curve (power and log shapes); uniform
    spacing suits decodes (exponentials of a bounded signal). A bucket is flagged (a NaN
    step: the exact formula there) where linear interpolation misses the exact curve at its
    midpoint by more than ``CURVE_TABLE_TOL``: at a kink (sRGB's linear/power cut) or a
    step (L-Log's published break). Built once per curve and kept, read-only: every
    compile asks again (``lsq view`` compiles on each control change)."""
    for layout in (LAYOUT_OCTAVE, LAYOUT_UNIFORM):
        table = _table_for_layout(op, layout)
        if table is not None:
            table.setflags(write=False)
            return layout, table
    return None


@numba.njit(cache=True, inline="always")
def _smooth_max(a: float, b: float, eps: float) -> float:
    d, m = a - b, eps * (abs(a) + abs(b))
    return 0.5 * (a + b + math.sqrt(d * d + m * m))


@numba.njit(cache=True, inline="always")
def _compress_channel(c: float, ach: float, inv_ach: float, t: float, span: float) -> float:
    """One channel of the gamut compression: its distance d = (ach - c) / ach beyond ``t``
    becomes t + span tanh((d - t) / span) and c = ach (1 - d); at or below ``t`` the channel
    is returned as is (bit-exact identity, and no work). tanh(y), y > 0, is computed as
    (1 - e^-2y) / (1 + e^-2y): ~3x faster than ``math.tanh`` here, within 2e-16 of it."""
    d = (ach - c) * inv_ach
    if d <= t:
        return c
    e = math.exp(-2.0 * (d - t) / span)
    return ach * (1.0 - (t + span * (1.0 - e) / (1.0 + e)))


@numba.njit(cache=True, inline="always")
def _unit(v):
    """Clamp to [0, 1] with NaN -> 0, as OpenColorIO's LUT renderers do (written as
    comparisons: ``min``/``max`` let a NaN through, and its integer index reads outside the
    table)."""
    v = v if v > _ZERO32 else _ZERO32  # float32 constants keep a float32 v in float32
    return v if v < _ONE32 else _ONE32


@numba.njit(cache=True, inline="always")
def _lut_index(v: float, lo: float, hi: float, n: int) -> tuple[int, float]:
    f = (v - lo) * (1.0 / (hi - lo))  # loop-invariant reciprocal: no division per pixel
    f = _unit(f) * (n - 1)
    i = min(int(f), n - 2)
    return i, f - i


@numba.njit(cache=True, inline="always")
def _corner(lut, o: int, w0, w1, w2, w3, oa: int, ob: int, o111: int, c: int) -> float:
    return w0 * lut[o + c] + w1 * lut[oa + c] + w2 * lut[ob + c] + w3 * lut[o111 + c]


@numba.njit(cache=True, inline="always")
def _trilerp(lut, o000, o100, o010, o001, o110, o101, o011, o111, dr, dg, db, c: int) -> float:
    c00 = lut[o000 + c] * (1 - dr) + lut[o100 + c] * dr
    c01 = lut[o001 + c] * (1 - dr) + lut[o101 + c] * dr
    c10 = lut[o010 + c] * (1 - dr) + lut[o110 + c] * dr
    c11 = lut[o011 + c] * (1 - dr) + lut[o111 + c] * dr
    return (c00 * (1 - dg) + c10 * dg) * (1 - db) + (c01 * (1 - dg) + c11 * dg) * db


@numba.njit(cache=True, inline="always")
def _tetrahedron(dr, dg, db, step_r, step_g, step_b):
    """The tetrahedron holding fractions (dr, dg, db) of a lattice cell: (step from the base
    corner to the second corner, step back from the far corner to the third, the four
    weights), in the fractions' float type.

    The cube is split along its neutral diagonal into six tetrahedra (Kasson, Nin, Plouffe
    and Hafner, "Performing color space conversions with three-dimensional linear
    interpolation", J. Electronic Imaging 4(3), 1995); the one holding the point runs from
    the base corner through the corner one step along the largest fraction, then the
    corner missing only the smallest step, to the far corner. Ties give zero weights, so
    any consistent choice is exact. Chosen by arithmetic, not branches: which of six a
    pixel falls in is unpredictable (measured 3x faster on a 4K frame of random values)."""
    mx, mn = max(dr, max(dg, db)), min(dr, min(dg, db))
    md = dr + dg + db - mx - mn
    xr = int(dr >= dg) & int(dr >= db)  # the largest fraction's axis, one-hot
    xg = (1 - xr) & int(dg >= db)
    nb = int(db <= dg) & int(db <= dr)  # the smallest's
    ng = (1 - nb) & int(dg <= dr)
    up = xr * step_r + xg * step_g + (1 - xr - xg) * step_b
    down = nb * step_b + ng * step_g + (1 - nb - ng) * step_r
    return up, down, _ONE32 - mx, mx - md, md - mn, mn


@numba.njit(cache=True)
def _lut3d(lut, base: int, n: int, r: float, g: float, b: float, lo, hi, tetra: bool):
    """A 3D LUT at (r, g, b), tetrahedral or trilinear. A call, not inlined into the
    interpreter: its code copied into every parallel kernel that runs ``program_row`` cost
    those kernels' first compile more than the call costs a LUT lookup."""
    ir, dr = _lut_index(r, lo[0], hi[0], n)
    ig, dg = _lut_index(g, lo[1], hi[1], n)
    ib, db = _lut_index(b, lo[2], hi[2], n)
    sr, sg = n * n * 3, n * 3
    o000 = base + ir * sr + ig * sg + ib * 3
    o100, o010, o001 = o000 + sr, o000 + sg, o000 + 3
    o110, o101, o011, o111 = o000 + sr + sg, o000 + sr + 3, o000 + sg + 3, o000 + sr + sg + 3
    if not tetra:
        return (
            _trilerp(lut, o000, o100, o010, o001, o110, o101, o011, o111, dr, dg, db, 0),
            _trilerp(lut, o000, o100, o010, o001, o110, o101, o011, o111, dr, dg, db, 1),
            _trilerp(lut, o000, o100, o010, o001, o110, o101, o011, o111, dr, dg, db, 2),
        )
    up, down, w0, w1, w2, w3 = _tetrahedron(dr, dg, db, sr, sg, 3)
    oa, ob = o000 + up, o111 - down
    return (
        _corner(lut, o000, w0, w1, w2, w3, oa, ob, o111, 0),
        _corner(lut, o000, w0, w1, w2, w3, oa, ob, o111, 1),
        _corner(lut, o000, w0, w1, w2, w3, oa, ob, o111, 2),
    )


@numba.njit(cache=True)
def _lut1d(lut, base: int, n: int, v: float, lo: float, hi: float, ch: int) -> float:
    """Channel ``ch`` of a 1D LUT at ``v``. Callers pass integer constants as ``np.int64``:
    numba compiles a separate version of a function for each literal argument, a cold
    cache's cost with no speed to gain (LLVM propagates the constant once it inlines)."""
    i, d = _lut_index(v, lo, hi, n)
    a = lut[base + i * 3 + ch]
    return a + (lut[base + (i + 1) * 3 + ch] - a) * d


@numba.njit(cache=True)
def _hsm_axis(x: float, n: int) -> tuple[int, float]:
    """Lower node (at most n - 2) and fraction of x in [0, 1] on n nodes (NaN-free x)."""
    if n < 2:
        return 0, 0.0
    xs = min(max(x, 0.0), 1.0) * (n - 1)
    i = min(int(xs), n - 2)
    return i, xs - i


@numba.njit(cache=True)
def _hue_sat(lut, base: int, hue_n: int, sat_n: int, val_n: int, srgb: bool, r, g, b):
    """One pixel through a DNG HueSatMap (see ``HueSatMapOp``; ``kernels.reference``'s
    ``hue_sat_map`` is the same formula on arrays)."""
    v = max(r, max(g, b))
    if not (v > 0.0 and v < math.inf) or not (math.isfinite(r + g + b)):
        return r, g, b
    gap = v - min(r, min(g, b))
    h = s = 0.0
    if gap > 0.0:
        if r == v:
            h = (g - b) / gap
            if h < 0.0:
                h += 6.0
        elif g == v:
            h = 2.0 + (b - r) / gap
        else:
            h = 4.0 + (r - g) / gap
        s = gap / v
    hs = h * (hue_n / 6.0) if hue_n > 1 else 0.0
    h0 = min(int(hs), hue_n - 1)
    hf = hs - h0
    h1 = 0 if h0 >= hue_n - 1 else h0 + 1
    s0, sf = _hsm_axis(s, sat_n)
    encode, decode = np.int64(K_SRGB_ENCODE), np.int64(K_SRGB_DECODE)  # not literals: see _lut1d
    ve = _curve(encode, min(max(v, 0.0), 1.0), 0.0, 0.0, 0.0) if srgb else v
    v0, vf = _hsm_axis(ve, val_n)
    v1 = min(v0 + 1, val_n - 1)
    shift = sscale = vscale = 0.0
    for vi, wv in ((v0, 1.0 - vf), (v1, vf)):  # the 8 corners, 2 per saturation pair
        for hi, wh in ((h0, 1.0 - hf), (h1, hf)):
            o = base + ((vi * hue_n + hi) * sat_n + s0) * 3
            w0, w1 = wv * wh * (1.0 - sf), wv * wh * sf
            shift += w0 * lut[o] + w1 * lut[o + 3]
            sscale += w0 * lut[o + 1] + w1 * lut[o + 4]
            vscale += w0 * lut[o + 2] + w1 * lut[o + 5]
    h += shift * (6.0 / 360.0)
    h -= 6.0 * math.floor(h / 6.0)  # into [0, 6) (floor: cheaper than numba's float %)
    s = s * sscale if s > 1.0 else min(s * sscale, 1.0)
    if srgb and val_n > 1:
        v = _curve(decode, _curve(encode, v, 0.0, 0.0, 0.0) * vscale, 0.0, 0.0, 0.0)
    else:
        v = v * vscale
    sector = min(int(h), 5)
    f = h - sector
    p, q, t = v * (1.0 - s), v * (1.0 - s * f), v * (1.0 - s * (1.0 - f))
    if sector == 0:
        return v, t, p
    if sector == 1:
        return q, v, p
    if sector == 2:
        return p, v, t
    if sector == 3:
        return p, q, v
    if sector == 4:
        return t, p, v
    return v, p, q


@numba.njit(cache=True, inline="always")
def _store(row, x: int, r: float, g: float, b: float, qscale: float) -> None:
    """Write pixel ``x`` of ``row`` (W x 3): as is, or with ``qscale`` > 0 clamped to [0, 1],
    scaled and rounded half up into the row's integer type."""
    if qscale > 0.0:
        row[x, 0] = int(min(max(r, 0.0), 1.0) * qscale + 0.5)
        row[x, 1] = int(min(max(g, 0.0), 1.0) * qscale + 0.5)
        row[x, 2] = int(min(max(b, 0.0), 1.0) * qscale + 0.5)
    else:
        row[x, 0] = r
        row[x, 1] = g
        row[x, 2] = b


@numba.njit(cache=True, inline="always")
def _apply_op(code, p, prm, lut, r, g, b):
    """One instruction on one pixel: those that are not run a block at a time (the curves, the
    matrices, the gamut compression, the highlight ops, the toe)."""
    if code == OP_CLAMP:
        r = min(max(r, prm[p]), prm[p + 1])
        g = min(max(g, prm[p]), prm[p + 1])
        b = min(max(b, prm[p]), prm[p + 1])
    elif code == OP_LUT3D:
        lo = (prm[p + 2], prm[p + 3], prm[p + 4])
        hi = (prm[p + 5], prm[p + 6], prm[p + 7])
        r, g, b = _lut3d(lut, int(prm[p]), int(prm[p + 1]), r, g, b, lo, hi, prm[p + 8] == 0.0)
    elif code == OP_CDL:
        r = r * prm[p] + prm[p + 3]
        g = g * prm[p + 1] + prm[p + 4]
        b = b * prm[p + 2] + prm[p + 5]
        if r > 0.0 and prm[p + 6] != 1.0:  # power 1 (most looks): no pow
            r = math.pow(r, prm[p + 6])
        if g > 0.0 and prm[p + 7] != 1.0:
            g = math.pow(g, prm[p + 7])
        if b > 0.0 and prm[p + 8] != 1.0:
            b = math.pow(b, prm[p + 8])
        luma = LUMA_R * r + LUMA_G * g + LUMA_B * b
        sat = prm[p + 9]
        r, g, b = (
            luma + sat * (r - luma),
            luma + sat * (g - luma),
            luma + sat * (b - luma),
        )
    elif code == OP_LUT1D:
        base, n = int(prm[p]), int(prm[p + 1])
        red, green, blue = np.int64(0), np.int64(1), np.int64(2)
        r = _lut1d(lut, base, n, r, prm[p + 2], prm[p + 5], red)
        g = _lut1d(lut, base, n, g, prm[p + 3], prm[p + 6], green)
        b = _lut1d(lut, base, n, b, prm[p + 4], prm[p + 7], blue)
    elif code == OP_HSM:
        r, g, b = _hue_sat(
            lut, int(prm[p]), int(prm[p + 1]), int(prm[p + 2]), int(prm[p + 3]), prm[p + 4] > 0,
            r, g, b,
        )  # fmt: skip
    return r, g, b


@numba.njit(cache=True, inline="always")
def _curve_buckets(plane, m, u32, off, layout, index, frac) -> None:
    """Pass one of a curve over a block: for each value its bucket's entry in the curve
    table (-1 outside the table: the formula) and its fraction within the bucket. In the
    octave layout both come from the value's float32 bit pattern ``u32`` (exponent and top
    mantissa bits: no libm call). Arithmetic only, no table reads, so LLVM vectorises it."""
    if layout == LAYOUT_OCTAVE:
        for j in range(m):
            u, x = u32[j], plane[j]
            e = np.int64((u >> 23) & 0xFF) - 126
            step = np.int64((u >> CT_FRAC_BITS) & (CT_STEPS - 1))
            frac[j] = (u & ((1 << CT_FRAC_BITS) - 1)) * (1.0 / (1 << CT_FRAC_BITS))
            inside = (x > CT_LO) & (x < CT_HI)
            index[j] = off + 2 * ((e - CT_EMIN) * CT_STEPS + step) if inside else -1
    elif layout == LAYOUT_UNIFORM:
        for j in range(m):
            x = plane[j]
            inside = (x >= UT_LO) & (x < UT_HI)
            f = (x - UT_LO) * UT_SCALE if inside else 0.0  # (no integer of a NaN)
            step = np.int64(f)
            frac[j] = f - step
            index[j] = off + 2 * step if inside else -1
    else:
        for j in range(m):
            index[j] = -1


@numba.njit(cache=True, inline="always")
def _curve_block(plane, m, prm, p, ctab, f32, u32, index, frac) -> None:
    """A curve over one plane of a block: the float32 bit patterns of the block (one
    vectorised conversion), the buckets (:func:`_curve_buckets`), then per value the table's
    linear interpolation, or the formula outside the table and in flagged buckets (a NaN
    step, see :func:`curve_table`)."""
    kind, off, layout = int(prm[p]), int(prm[p + 3]), int(prm[p + 4])
    pp, kk, t2 = prm[p + 1], prm[p + 2], prm[p + 5]
    for j in range(m):
        f32[j] = plane[j]
    _curve_buckets(plane, m, u32, off, layout, index, frac)
    for j in range(m):
        i = index[j]
        if i >= 0:
            slope = ctab[i + 1]
            if slope == slope:
                plane[j] = ctab[i] + slope * frac[j]
                continue
        plane[j] = _curve(kind, plane[j], pp, kk, t2)


@numba.njit(cache=True, inline="always")
def _smooth_peaks(rb, gb, bb, m, eps, out) -> None:
    """The smooth maximum of each pixel of the block into ``out`` (two square roots each,
    vectorised): the reference the gamut compression and the highlight limit scale by."""
    for j in range(m):
        out[j] = _smooth_max(_smooth_max(rb[j], gb[j], eps), bb[j], eps)


@numba.njit(cache=True, inline="always")
def _gamut_block(rb, gb, bb, m, t, span, eps, ach) -> None:
    """The gamut compression over a block: the achromatic reference of every pixel first
    (vectorised: two square roots each), then the channels beyond the threshold."""
    _smooth_peaks(rb, gb, bb, m, eps, ach)
    for j in range(m):
        a = ach[j]
        if a > 0.0:
            inv = 1.0 / a
            rb[j] = _compress_channel(rb[j], a, inv, t, span)
            gb[j] = _compress_channel(gb[j], a, inv, t, span)
            bb[j] = _compress_channel(bb[j], a, inv, t, span)
        else:
            rb[j] = gb[j] = bb[j] = 0.0


@numba.njit(cache=True, inline="always")
def _matrix_block(rb, gb, bb, m, prm, p) -> None:
    """A 3 x 3 matrix over the block (one loop of plain arithmetic: vectorised)."""
    m00, m01, m02 = prm[p], prm[p + 1], prm[p + 2]
    m10, m11, m12 = prm[p + 3], prm[p + 4], prm[p + 5]
    m20, m21, m22 = prm[p + 6], prm[p + 7], prm[p + 8]
    for j in range(m):
        r, g, b = rb[j], gb[j], bb[j]
        rb[j] = m00 * r + m01 * g + m02 * b
        gb[j] = m10 * r + m11 * g + m12 * b
        bb[j] = m20 * r + m21 * g + m22 * b


@numba.njit(cache=True, inline="always")
def _toe_block(rb, gb, bb, m, prm, p) -> None:
    """The shadow toe over the block: each pixel scaled by s y^2 / (y^2 + t) of its
    luminance y (0 where y <= 0)."""
    wr, wg, wb, s, t = prm[p], prm[p + 1], prm[p + 2], prm[p + 3], prm[p + 4]
    for j in range(m):
        y = wr * rb[j] + wg * gb[j] + wb * bb[j]
        f = s * y * y / (y * y + t) if y > 0.0 else 0.0
        rb[j], gb[j], bb[j] = rb[j] * f, gb[j] * f, bb[j] * f


@numba.njit(cache=True, inline="always")
def _limit_block(rb, gb, bb, m, t, span, eps, top) -> None:
    """The highlight limit over the block: the smooth maximum of every pixel first
    (vectorised), then the few pixels whose maximum exceeds ``t`` scaled by
    (t + span tanh((top - t) / span)) / top (a loop with the branch: vectorised, it would
    take the tanh of every pixel)."""
    _smooth_peaks(rb, gb, bb, m, eps, top)
    for j in range(m):
        if top[j] > t:
            f = (t + span * math.tanh((top[j] - t) / span)) / top[j]
            rb[j], gb[j], bb[j] = rb[j] * f, gb[j] * f, bb[j] * f


@numba.njit(cache=True, inline="always")
def _highlight_block(rb, gb, bb, m, prm, p) -> None:
    """Clipped highlights over the block: with mode 0 every channel limited to the lowest
    clip level; otherwise a channel at or above its clip level raised to the pixel's peak
    (a clipped channel stays at least as bright as the others: no magenta highlights)."""
    cr, cg, cb = prm[p + 1], prm[p + 2], prm[p + 3]
    if prm[p] == 0.0:
        lim = min(cr, min(cg, cb))
        for j in range(m):
            rb[j], gb[j], bb[j] = min(rb[j], lim), min(gb[j], lim), min(bb[j], lim)
        return
    for j in range(m):
        r, g, b = rb[j], gb[j], bb[j]
        peak = max(r, max(g, b))
        rb[j] = max(r, peak) if r >= cr else r
        gb[j] = max(g, peak) if g >= cg else g
        bb[j] = max(b, peak) if b >= cb else b


POINT_BLOCK = 64  # pixels taken through each instruction in turn (one dispatch per block)


@numba.njit(cache=True, inline="always")
def program_row(row, out, codes, starts, prm, lut, ctab, qscale) -> None:
    """Apply the instruction list to one row (W x 3 float32) into ``out`` (W x 3; with
    ``qscale`` > 0 clamped to [0, 1], scaled, rounded half up into its integer type). A
    block of pixels goes through one instruction at a time, as three planes: the
    instruction is decoded once per block, and each loop is one instruction's arithmetic
    over the block, which LLVM can unswitch and vectorise. Inlined into parallel kernels:
    their loop bodies are compiled with arguments that do not alias (in a called function a
    store to a plane may alias the parameters, which keeps LLVM from vectorising)."""
    width, n_ops = row.shape[0], codes.shape[0]
    f32 = np.empty(POINT_BLOCK, np.float32)
    u32 = f32.view(np.uint32)
    rb, gb, bb = np.empty(POINT_BLOCK), np.empty(POINT_BLOCK), np.empty(POINT_BLOCK)
    ach, frac = np.empty(POINT_BLOCK), np.empty(POINT_BLOCK)
    index = np.empty(POINT_BLOCK, np.int64)
    for x0 in range(0, width, POINT_BLOCK):
        m = min(POINT_BLOCK, width - x0)
        for j in range(m):
            rb[j], gb[j], bb[j] = row[x0 + j, 0], row[x0 + j, 1], row[x0 + j, 2]
        for k in range(n_ops):
            code, p = codes[k], starts[k]
            if code == OP_CURVE:
                for plane in (rb, gb, bb):
                    _curve_block(plane, m, prm, p, ctab, f32, u32, index, frac)
            elif code == OP_GAMUT:
                _gamut_block(rb, gb, bb, m, prm[p], prm[p + 1], prm[p + 2], ach)
            elif code == OP_MATRIX:
                _matrix_block(rb, gb, bb, m, prm, p)
            elif code == OP_TOE:
                _toe_block(rb, gb, bb, m, prm, p)
            elif code == OP_LIMIT:
                _limit_block(rb, gb, bb, m, prm[p], prm[p + 1], prm[p + 2], ach)
            elif code == OP_HIGHLIGHT:
                _highlight_block(rb, gb, bb, m, prm, p)
            else:
                for j in range(m):
                    rb[j], gb[j], bb[j] = _apply_op(code, p, prm, lut, rb[j], gb[j], bb[j])
        for j in range(m):
            _store(out, x0 + j, rb[j], gb[j], bb[j], qscale)


@numba.njit(parallel=True, cache=True)
def run_point_program(src, dst, codes, starts, prm, lut, ctab, qscale):
    """:func:`program_row` on every row of ``src`` (H x W x 3 float32) into ``dst``, rows
    spread over all cores."""
    for y in numba.prange(src.shape[0]):
        program_row(src[y], dst[y], codes, starts, prm, lut, ctab, qscale)


LUT_BLOCK = 256  # pixels whose corners and weights are computed together; stays in L1
LUT_SPAN = 64 * LUT_BLOCK  # pixels per parallel task: the block buffers are made once per span


@numba.njit(cache=True, fastmath={"contract"}, error_model="numpy")
def tetra_corners(src, lo, scale, n, offsets, weights) -> None:
    """Pass one over a block of ``src`` (3m floats, RGB interleaved, m <= LUT_BLOCK): for
    each pixel the flat offsets of the four corners of its tetrahedron in a 4-channel table
    and their weights (:func:`_tetrahedron`), in float32 like OpenColorIO's CPU renderer.
    Arithmetic only, no table reads, so LLVM vectorises it (16 pixels per AVX-512
    instruction). Two things it needs: indices that start at 0 and grow, so numba's
    negative-index wraparound drops out, and a 1D block, whose element stride is known (a
    2D block's row stride is a runtime value, and LLVM's guess at it fails, leaving a
    branchy scalar loop 20x slower)."""
    step_r, step_g, step_b = np.int32(n * n * 4), np.int32(n * 4), np.int32(4)
    last, top = np.float32(n - 1), np.int32(n - 2)
    lo_r, lo_g, lo_b, s_r, s_g, s_b = lo[0], lo[1], lo[2], scale[0], scale[1], scale[2]
    for j in range(src.shape[0] // 3):
        fr = _unit((src[3 * j] - lo_r) * s_r) * last
        fg = _unit((src[3 * j + 1] - lo_g) * s_g) * last
        fb = _unit((src[3 * j + 2] - lo_b) * s_b) * last
        ir, ig, ib = min(np.int32(fr), top), min(np.int32(fg), top), min(np.int32(fb), top)
        dr, dg, db = fr - np.float32(ir), fg - np.float32(ig), fb - np.float32(ib)
        base = ir * step_r + ig * step_g + ib * step_b
        up, down, w0, w1, w2, w3 = _tetrahedron(dr, dg, db, step_r, step_g, step_b)
        offsets[j] = base
        offsets[LUT_BLOCK + j] = base + up
        offsets[2 * LUT_BLOCK + j] = base + step_r + step_g + step_b - down
        weights[j] = w0
        weights[LUT_BLOCK + j] = w1
        weights[2 * LUT_BLOCK + j] = w2
        weights[3 * LUT_BLOCK + j] = w3


@numba.njit(cache=True, fastmath={"contract"}, error_model="numpy")
def tetra_blend(dst, lut4, n, offsets, weights, qscale: float) -> None:
    """Pass two: read the four corners of ``lut4`` (n^3 x 4; unsigned offsets: no
    wraparound code) and blend."""
    far_step = np.uint32(n * n * 4 + n * 4 + 4)
    for j in range(dst.shape[0]):
        o0, o1, o2 = (
            np.uint32(offsets[j]),
            np.uint32(offsets[LUT_BLOCK + j]),
            np.uint32(offsets[2 * LUT_BLOCK + j]),
        )
        o3 = o0 + far_step
        w0, w1 = weights[j], weights[LUT_BLOCK + j]
        w2, w3 = weights[2 * LUT_BLOCK + j], weights[3 * LUT_BLOCK + j]
        r = w0 * lut4[o0] + w1 * lut4[o1] + w2 * lut4[o2] + w3 * lut4[o3]
        g = w0 * lut4[o0 + 1] + w1 * lut4[o1 + 1] + w2 * lut4[o2 + 1] + w3 * lut4[o3 + 1]
        b = w0 * lut4[o0 + 2] + w1 * lut4[o1 + 2] + w2 * lut4[o2 + 2] + w3 * lut4[o3 + 2]
        _store(dst, j, r, g, b, qscale)


@numba.njit(parallel=True, cache=True)
def run_lut3d_tetra(src, dst, lut4, n, lo, scale, top, qscale):
    """A program that is one tetrahedral 3D LUT (``lsq lut apply``, a baked look, ``lsq
    grade --fast``) on ``src`` (P x 3): the per-pixel interpreter's arithmetic split into a
    vectorised pass and a table-reading pass per block of pixels (``benchmarks/run.py lut``
    times it). ``src`` is
    float32 (``top`` 0), or integer code values read as code / ``top`` in float32 (the
    division :func:`lsquared.io.stills.read_image` makes), block by block, so that no float
    copy of an integer image goes through memory. ``lut4`` is the table with a fourth,
    unused channel, so a corner's offset is a multiple of 4."""
    pixels, flat = src.shape[0], src.reshape(src.size)
    unit = np.float32(top)
    for span in numba.prange((pixels + LUT_SPAN - 1) // LUT_SPAN):
        offsets = np.empty(3 * LUT_BLOCK, np.int32)
        weights = np.empty(4 * LUT_BLOCK, np.float32)
        values = np.empty(3 * LUT_BLOCK, np.float32)
        for start in range(span * LUT_SPAN, min(pixels, (span + 1) * LUT_SPAN), LUT_BLOCK):
            stop = min(pixels, start + LUT_BLOCK)
            block = flat[3 * start : 3 * stop]
            if top > 0.0:
                for k in range(block.shape[0]):
                    values[k] = np.float32(block[k]) / unit
                tetra_corners(values[: block.shape[0]], lo, scale, n, offsets, weights)
            else:
                tetra_corners(block, lo, scale, n, offsets, weights)
            tetra_blend(dst[start:stop], lut4, n, offsets, weights, qscale)


def assemble(ops, fast_curves: bool = True) -> tuple[np.ndarray, ...]:
    """Encode point ops as (codes, parameter starts, parameters, flat LUT buffer, curve
    tables)."""
    codes: list[int] = []
    starts: list[int] = []
    prm: list[float] = []
    luts: list[np.ndarray] = []
    tables: list[np.ndarray] = []
    lut_len = table_len = 0
    for op in ops:
        codes.append(_code_of(op))
        starts.append(len(prm))
        if isinstance(op, MatrixOp):
            prm.extend(op.m)
        elif isinstance(op, CurveOp):
            k = tf.tone_curve_k(op.param) if op.kind == "tone" else 0.0
            found = curve_table(op) if fast_curves else None
            toe2 = tf.TONE_TOE**2
            if found is None:
                prm.extend([CURVE_CODE[op.kind], op.param, k, -1, 0, toe2])
            else:
                layout, table = found
                prm.extend([CURVE_CODE[op.kind], op.param, k, table_len, layout, toe2])
                tables.append(table)
                table_len += table.size
        elif isinstance(op, ClampOp):
            prm.extend([op.lo, op.hi])
        elif isinstance(op, HighlightOp):
            prm.extend([0.0 if op.mode == "clip" else 1.0, *op.clip])
        elif isinstance(op, CdlOp):
            prm.extend([*op.slope, *op.offset, *op.power, op.saturation])
        elif isinstance(op, GamutCompressOp | HighlightLimitOp):
            prm.extend([op.threshold, op.limit - op.threshold, op.smoothing])
        elif isinstance(op, HueSatMapOp):
            prm.extend([lut_len, *op.divisions, 1.0 if op.srgb_value else 0.0])
            luts.append(np.ascontiguousarray(op.table, dtype=np.float32).ravel())
            lut_len += op.table.size
        elif isinstance(op, ShadowToeOp):
            prm.extend([*op.weights, op.scale, op.width**2])
        else:  # LUTs
            table = np.ascontiguousarray(op.table, dtype=np.float32).ravel()
            n = op.table.shape[0]
            interp = 0.0 if getattr(op, "interpolation", "tetrahedral") == "tetrahedral" else 1.0
            prm.extend([lut_len, n, *op.domain_min, *op.domain_max, interp])
            luts.append(table)
            lut_len += table.size
    return (
        np.array(codes, dtype=np.int64),
        np.array(starts, dtype=np.int64),
        np.array(prm, dtype=np.float64),
        np.concatenate(luts) if luts else np.zeros(1, np.float32),
        np.concatenate(tables) if tables else np.zeros(1, np.float64),
    )


def _code_of(op) -> int:
    for cls, code in (
        (MatrixOp, OP_MATRIX), (CurveOp, OP_CURVE), (ClampOp, OP_CLAMP),
        (HighlightOp, OP_HIGHLIGHT), (Lut3DOp, OP_LUT3D), (Lut1DOp, OP_LUT1D), (CdlOp, OP_CDL),
        (GamutCompressOp, OP_GAMUT), (ShadowToeOp, OP_TOE),
        (HighlightLimitOp, OP_LIMIT), (HueSatMapOp, OP_HSM),
    ):  # fmt: skip
        if isinstance(op, cls):
            return code
    raise TypeError(f"the cpu renderer cannot run {type(op).__name__}")


class CpuRenderer:
    """Runs a Program with the fused numba kernel on all cores.

    ``fast_curves=False`` evaluates every curve exactly (for tests of the tables).
    """

    name = "cpu"

    def __init__(self, fast_curves: bool = True) -> None:
        self.fast_curves = fast_curves
        self._assembled: dict[int, tuple] = {}

    def _program(self, program: Program) -> tuple:
        key = id(program)
        if key not in self._assembled:  # assembled once per Program (frames of a clip)
            lone = lone_tetrahedral_lut(program.point)
            if lone is not None:
                kernel = ("tetra", *tetra_arguments(lone))
            else:
                kernel = ("program", *assemble(program.point, self.fast_curves))
            self._assembled = {key: (program, kernel)}
        return self._assembled[key][1]

    def run(self, program: Program, pixels: np.ndarray, bits: int = 0) -> np.ndarray:
        """Run on float32 pixels, or on 8/16-bit code values (read as code / 255 or
        / 65535); ``bits`` 8 or 16 returns quantised integers instead."""
        kind, *args = self._program(program)
        if program.geometry or kind != "tetra" or pixels.dtype not in CODE_TYPES:
            pixels = unit_float(pixels)
        if program.geometry:
            from lsquared.kernels.geometry import run_geometry  # not loaded for point-only work

            pixels = run_geometry(program.geometry, pixels)
        dtype = {0: np.float32, 8: np.uint8, 16: np.uint16}[bits]
        out = np.empty(pixels.shape, dtype=dtype)
        qscale = float(2**bits - 1) if bits else 0.0
        if kind == "tetra":  # a LUT alone: no interpreter; integers converted block by block
            top = float(np.iinfo(pixels.dtype).max) if pixels.dtype in CODE_TYPES else 0.0
            flat = np.ascontiguousarray(pixels).reshape(-1, 3)
            run_lut3d_tetra(flat, out.reshape(-1, 3), *args, top, qscale)
        else:
            run_point_program(pixels, out, *args, qscale)
        return out


def unit_float(pixels: np.ndarray) -> np.ndarray:
    """Float32 pixels as they are; integer code values as code / max in float32, in one
    pass (the same values as :func:`lsquared.io.stills.read_image`)."""
    if pixels.dtype.kind in "iu":
        return np.divide(pixels, np.float32(np.iinfo(pixels.dtype).max), dtype=np.float32)
    return np.ascontiguousarray(pixels, dtype=np.float32)


def lone_tetrahedral_lut(point: tuple) -> Lut3DOp | None:
    """The op when a program's point ops are one tetrahedral 3D LUT, else None."""
    if len(point) == 1 and isinstance(point[0], Lut3DOp):
        return point[0] if point[0].interpolation == "tetrahedral" else None
    return None


def tetra_arguments(op: Lut3DOp) -> tuple:
    """``run_lut3d_tetra``'s table (4 channels, float32), size, domain start and scale."""
    n = op.table.shape[0]
    lut4 = np.zeros((n, n, n, 4), np.float32)
    lut4[..., :3] = op.table
    lo = np.asarray(op.domain_min, np.float32)
    scale = (1.0 / (np.asarray(op.domain_max, np.float64) - lo)).astype(np.float32)
    return lut4.ravel(), n, lo, scale
