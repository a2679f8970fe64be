"""The numpy reference renderer: one op at a time in float64, easy to read, the oracle
the fused kernel is tested against."""

from __future__ import annotations

import numpy as np

from lsquared.color import transfer
from lsquared.io.stills import quantize
from lsquared.looks import lut as lut_math
from lsquared.pipeline.ops import (
    CDL_LUMA,
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


def curve(kind: str, x: np.ndarray, param: float) -> np.ndarray:
    """Apply the named curve of :data:`lsquared.pipeline.ops.CURVE_KINDS`."""
    if kind == "tone":
        return transfer.tone_curve(x, param)
    name, _, direction = kind.rpartition("_")
    encode, decode = transfer.TRANSFER_FUNCTIONS[name]
    return (encode if direction == "encode" else decode)(x)


def highlights(rgb: np.ndarray, op: HighlightOp) -> np.ndarray:
    clip = np.asarray(op.clip)
    if op.mode == "clip":
        return np.minimum(rgb, clip.min())
    clipped = rgb >= clip
    peak = rgb.max(axis=-1, keepdims=True)
    return np.where(clipped & clipped.any(axis=-1, keepdims=True), np.maximum(rgb, peak), rgb)


def cdl(rgb: np.ndarray, op: CdlOp) -> np.ndarray:
    t = rgb * np.asarray(op.slope) + np.asarray(op.offset)
    t = np.where(t > 0, np.power(np.maximum(t, 0.0), np.asarray(op.power)), t)
    luma = (t @ np.asarray(CDL_LUMA))[..., None]
    return luma + op.saturation * (t - luma)


def smooth_max(a: np.ndarray, b: np.ndarray, eps: float) -> np.ndarray:
    """max(a, b) with its kink at a = b rounded off, scale-invariantly:
    (a + b + sqrt((a - b)^2 + (eps (|a| + |b|))^2)) / 2, never below max(a, b)."""
    return 0.5 * (a + b + np.sqrt((a - b) ** 2 + (eps * (np.abs(a) + np.abs(b))) ** 2))


def gamut_compress(rgb: np.ndarray, op: GamutCompressOp) -> np.ndarray:
    r, g, b = rgb[..., 0:1], rgb[..., 1:2], rgb[..., 2:3]
    ach = smooth_max(smooth_max(r, g, op.smoothing), b, op.smoothing)
    safe = np.where(ach > 0, ach, 1.0)
    d = (ach - rgb) / safe
    t, span = op.threshold, op.limit - op.threshold
    dc = np.where(d > t, t + span * np.tanh((d - t) / span), d)
    return np.where(ach > 0, ach * (1.0 - dc), 0.0)


def rgb_to_hsv(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hexcone HSV (Smith 1978), hue in [0, 6) as the DNG SDK counts it; s = 0 for greys."""
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    v = rgb.max(axis=-1)
    gap = v - rgb.min(axis=-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        h = np.where(g == v, 2 + (b - r) / gap, 4 + (r - g) / gap)
        h = np.where(r == v, np.mod((g - b) / gap, 6.0), h)
        s = gap / v
    grey = ~(gap > 0)
    return np.where(grey, 0.0, h), np.where(grey, 0.0, s), v


def hsv_to_rgb(h: np.ndarray, s: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Inverse of :func:`rgb_to_hsv` (hue taken modulo 6)."""
    h = np.mod(h, 6.0)
    sector = np.minimum(np.floor(h), 5).astype(int)
    f = h - sector
    p, q, t = v * (1 - s), v * (1 - s * f), v * (1 - s * (1 - f))
    r = np.choose(sector, [v, q, p, p, t, v])
    g = np.choose(sector, [t, v, v, q, p, p])
    b = np.choose(sector, [p, p, t, v, v, q])
    return np.stack([r, g, b], axis=-1)


def _axis(x: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Lower index (at most n - 2) and fraction of x in [0, 1] on n nodes."""
    if n < 2:
        return np.zeros(x.shape, int), np.zeros(x.shape)
    xs = np.clip(x, 0.0, 1.0) * (n - 1)
    i = np.minimum(np.floor(xs).astype(int), n - 2)
    return i, xs - i


def hue_sat_map(rgb: np.ndarray, op: HueSatMapOp) -> np.ndarray:
    """DNG 1.6 ProfileHueSatMap / ProfileLookTable (see :class:`HueSatMapOp`)."""
    table = op.table.astype(np.float64)
    hue_n, sat_n, val_n = op.divisions
    h, s, v = rgb_to_hsv(rgb)
    ok = np.all(np.isfinite(rgb), axis=-1) & (v > 0)
    h, s, v = np.where(ok, h, 0.0), np.where(ok, s, 0.0), np.where(ok, v, 1.0)
    hs = h * (hue_n / 6.0) if hue_n > 1 else np.zeros_like(h)
    h0 = np.minimum(np.floor(hs).astype(int), hue_n - 1)
    hf = hs - h0
    h1 = np.where(h0 >= hue_n - 1, 0, h0 + 1)
    s0, sf = _axis(s, sat_n)
    encode, decode = transfer.TRANSFER_FUNCTIONS["srgb"]
    v_index = encode(np.clip(v, 0, 1)) if op.srgb_value else v
    v0, vf = _axis(v_index, val_n)
    v1 = np.minimum(v0 + 1, val_n - 1)
    entry = np.zeros((*h.shape, 3))
    for vi, wv in ((v0, 1 - vf), (v1, vf)):
        for hi, wh in ((h0, 1 - hf), (h1, hf)):
            for si, ws in ((s0, 1 - sf), (s0 + 1, sf)):
                entry += (wv * wh * ws)[..., None] * table[vi, hi, si]
    h2 = h + entry[..., 0] * (6.0 / 360.0)
    s2 = np.where(s > 1, s * entry[..., 1], np.minimum(s * entry[..., 1], 1.0))
    scaled = v * entry[..., 2]
    v2 = decode(encode(v) * entry[..., 2]) if op.srgb_value and val_n > 1 else scaled
    return np.where(ok[..., None], hsv_to_rgb(h2, s2, v2), rgb)


def shadow_toe(rgb: np.ndarray, op: ShadowToeOp) -> np.ndarray:
    y2 = np.maximum(rgb @ np.asarray(op.weights), 0.0) ** 2
    return rgb * (op.scale * y2 / (y2 + op.width**2))[..., None]


def highlight_limit(rgb: np.ndarray, op: HighlightLimitOp) -> np.ndarray:
    r, g, b = rgb[..., 0:1], rgb[..., 1:2], rgb[..., 2:3]
    m = smooth_max(smooth_max(r, g, op.smoothing), b, op.smoothing)
    t, span = op.threshold, op.limit - op.threshold
    safe = np.where(m > t, m, 1.0)
    return np.where(m > t, rgb * (t + span * np.tanh((m - t) / span)) / safe, rgb)


def apply_point(op, rgb: np.ndarray) -> np.ndarray:
    if isinstance(op, MatrixOp):
        return rgb @ op.array.T
    if isinstance(op, CurveOp):
        return curve(op.kind, rgb, op.param)
    if isinstance(op, ClampOp):
        return np.clip(rgb, op.lo, op.hi)
    if isinstance(op, HighlightOp):
        return highlights(rgb, op)
    if isinstance(op, CdlOp):
        return cdl(rgb, op)
    if isinstance(op, GamutCompressOp):
        return gamut_compress(rgb, op)
    if isinstance(op, ShadowToeOp):
        return shadow_toe(rgb, op)
    if isinstance(op, HighlightLimitOp):
        return highlight_limit(rgb, op)
    if isinstance(op, Lut3DOp):
        return lut_math.interp_3d(rgb, op.table, op.domain_min, op.domain_max, op.interpolation)
    if isinstance(op, Lut1DOp):
        return lut_math.interp_1d(rgb, op.table, op.domain_min, op.domain_max)
    if isinstance(op, HueSatMapOp):
        return hue_sat_map(rgb, op)
    raise TypeError(f"the reference renderer cannot run {type(op).__name__}")


class ReferenceRenderer:
    name = "reference"

    def run(self, program: Program, pixels: np.ndarray, bits: int = 0) -> np.ndarray:
        if program.geometry:  # the same numba geometry as the cpu renderer (no numpy twin)
            from lsquared.kernels.geometry import run_geometry

            pixels = run_geometry(program.geometry, pixels)
        rgb = pixels.astype(np.float64)
        for op in program.point:
            rgb = apply_point(op, rgb)
        return quantize(rgb, bits) if bits else rgb.astype(np.float32)
