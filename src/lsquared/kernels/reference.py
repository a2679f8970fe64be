"""The numpy reference renderer: one op at a time in float64, easy to read, the oracle
the fused kernel is tested against."""

from __future__ import annotations

import numpy as np

from lsquared.color import transfer
from lsquared.pipeline.ops import (
    ClampOp,
    CurveOp,
    HighlightOp,
    Lut1DOp,
    Lut3DOp,
    MatrixOp,
    Program,
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


def lut3d(rgb: np.ndarray, op: Lut3DOp) -> np.ndarray:
    """Tetrahedral or trilinear 3D LUT lookup (Kasson et al., "Performing color space
    conversions with three-dimensional linear interpolation", J. Electronic Imaging 1995)."""
    table = np.asarray(op.table, dtype=np.float64)
    n = table.shape[0]
    lo, hi = np.asarray(op.domain_min), np.asarray(op.domain_max)
    f = np.clip((rgb - lo) / (hi - lo), 0.0, 1.0) * (n - 1)
    i0 = np.minimum(np.floor(f).astype(np.int64), n - 2)
    d = f - i0
    r0, g0, b0 = i0[..., 0], i0[..., 1], i0[..., 2]
    dr, dg, db = d[..., 0:1], d[..., 1:2], d[..., 2:3]

    def c(i: int, j: int, k: int) -> np.ndarray:
        return table[r0 + i, g0 + j, b0 + k]

    if op.interpolation == "trilinear":
        c00 = c(0, 0, 0) * (1 - dr) + c(1, 0, 0) * dr
        c01 = c(0, 0, 1) * (1 - dr) + c(1, 0, 1) * dr
        c10 = c(0, 1, 0) * (1 - dr) + c(1, 1, 0) * dr
        c11 = c(0, 1, 1) * (1 - dr) + c(1, 1, 1) * dr
        return (c00 * (1 - dg) + c10 * dg) * (1 - db) + (c01 * (1 - dg) + c11 * dg) * db
    cases = [
        (dr > dg) & (dg > db),
        (dr > dg) & (dg <= db) & (dr > db),
        (dr > dg) & (dr <= db),
        (dr <= dg) & (db > dg),
        (dr <= dg) & (db <= dg) & (db > dr),
    ]
    results = [
        (1 - dr) * c(0, 0, 0) + (dr - dg) * c(1, 0, 0) + (dg - db) * c(1, 1, 0) + db * c(1, 1, 1),
        (1 - dr) * c(0, 0, 0) + (dr - db) * c(1, 0, 0) + (db - dg) * c(1, 0, 1) + dg * c(1, 1, 1),
        (1 - db) * c(0, 0, 0) + (db - dr) * c(0, 0, 1) + (dr - dg) * c(1, 0, 1) + dg * c(1, 1, 1),
        (1 - db) * c(0, 0, 0) + (db - dg) * c(0, 0, 1) + (dg - dr) * c(0, 1, 1) + dr * c(1, 1, 1),
        (1 - dg) * c(0, 0, 0) + (dg - db) * c(0, 1, 0) + (db - dr) * c(0, 1, 1) + dr * c(1, 1, 1),
    ]
    default = (
        (1 - dg) * c(0, 0, 0) + (dg - dr) * c(0, 1, 0) + (dr - db) * c(1, 1, 0) + db * c(1, 1, 1)
    )
    return np.select(cases, results, default)


def lut1d(rgb: np.ndarray, op: Lut1DOp) -> np.ndarray:
    table = np.asarray(op.table, dtype=np.float64)
    n = table.shape[0]
    out = np.empty_like(rgb)
    grid = np.linspace(0.0, 1.0, n)
    for ch in range(3):
        lo, hi = op.domain_min[ch], op.domain_max[ch]
        t = np.clip((rgb[..., ch] - lo) / (hi - lo), 0.0, 1.0)
        out[..., ch] = np.interp(t, grid, table[:, ch])
    return out


def apply_point(op, rgb: np.ndarray) -> np.ndarray:
    if isinstance(op, MatrixOp):
        return rgb @ op.array.T
    if isinstance(op, CurveOp):
        return curve(op.kind, rgb, op.param)
    if isinstance(op, ClampOp):
        return np.clip(rgb, op.lo, op.hi)
    if isinstance(op, HighlightOp):
        return highlights(rgb, op)
    if isinstance(op, Lut3DOp):
        return lut3d(rgb, op)
    if isinstance(op, Lut1DOp):
        return lut1d(rgb, op)
    raise TypeError(f"the reference renderer cannot run {type(op).__name__}")


class ReferenceRenderer:
    name = "reference"

    def run(self, program: Program, pixels: np.ndarray, bits: int = 0) -> np.ndarray:
        if program.geometry:
            raise TypeError("the reference renderer runs point ops only")
        rgb = pixels.astype(np.float64)
        for op in program.point:
            rgb = apply_point(op, rgb)
        if bits:
            top = 2**bits - 1
            return np.floor(np.clip(rgb, 0.0, 1.0) * top + 0.5).astype(
                np.uint8 if bits == 8 else np.uint16
            )
        return rgb.astype(np.float32)
