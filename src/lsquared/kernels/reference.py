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
