"""Ops: the compiled data a Processor runs. They touch no pixels themselves; the renderers
in :mod:`lsquared.kernels` (``reference`` in numpy, ``cpu`` fused in numba) do.

Ops are defined here rather than in ``kernels`` because the layer rule lets ``kernels``
import ``pipeline`` and not the reverse: the compiler makes Ops, the kernels run them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

#: elementwise curve kinds, each applied to all three channels
CURVE_KINDS = (
    "srgb_encode", "srgb_decode", "rec709_encode", "rec709_decode",
    "bt1886_encode", "bt1886_decode", "vlog_encode", "vlog_decode",
    "llog_encode", "llog_decode", "acescct_encode", "acescct_decode",
    "pq_encode", "pq_decode", "hlg_encode", "hlg_decode", "tone",
)  # fmt: skip
HIGHLIGHT_MODES = ("clip", "reconstruct")
LUT_INTERPOLATIONS = ("tetrahedral", "trilinear")


@dataclass(frozen=True)
class MatrixOp:
    """out = M @ rgb (3x3, row-major)."""

    m: tuple[float, ...]
    why: str = ""

    @staticmethod
    def of(m: np.ndarray, why: str = "") -> MatrixOp:
        return MatrixOp(tuple(float(v) for v in np.asarray(m, dtype=np.float64).ravel()), why)

    @property
    def array(self) -> np.ndarray:
        return np.array(self.m, dtype=np.float64).reshape(3, 3)

    def is_identity(self) -> bool:
        return bool(np.allclose(self.array, np.eye(3), atol=1e-12, rtol=0))


@dataclass(frozen=True)
class CurveOp:
    """An elementwise curve, the same on each channel; ``param`` is the tone contrast."""

    kind: str
    param: float = 0.0
    why: str = ""

    def __post_init__(self) -> None:
        if self.kind not in CURVE_KINDS:
            raise ValueError(f"unknown curve {self.kind!r}; valid: {CURVE_KINDS}")


@dataclass(frozen=True)
class ClampOp:
    """Clamp every channel to [lo, hi]."""

    lo: float = 0.0
    hi: float = 1.0
    why: str = ""


@dataclass(frozen=True)
class HighlightOp:
    """Highlight handling in white-balanced camera RGB, where channel c clips at
    ``clip[c]`` (the white-balance multiplier times the raw clip level 1.0).

    ``clip``: every channel is clipped at the smallest clip level, so clipped areas turn
    neutral instead of magenta. ``reconstruct``: where some channels are clipped, each
    clipped channel is raised to the largest value among the pixel's channels, keeping
    the brightness the unclipped channels still record (after the "clip to neutral
    ceiling, keep the luminance" idea of dcraw's ``-H 2`` blend mode).
    """

    mode: str
    clip: tuple[float, float, float]
    why: str = ""


@dataclass(frozen=True)
class CdlOp:
    """ASC CDL v1.2 (slope, offset, power per channel, then saturation with Rec.709 luma
    weights), in OpenColorIO's ``CDL_NO_CLAMP`` style: values below zero skip the power."""

    slope: tuple[float, float, float] = (1.0, 1.0, 1.0)
    offset: tuple[float, float, float] = (0.0, 0.0, 0.0)
    power: tuple[float, float, float] = (1.0, 1.0, 1.0)
    saturation: float = 1.0
    why: str = ""

    def is_identity(self) -> bool:
        return (self.slope, self.offset, self.power, self.saturation) == (
            (1.0, 1.0, 1.0), (0.0, 0.0, 0.0), (1.0, 1.0, 1.0), 1.0,
        )  # fmt: skip


CDL_LUMA = (0.2126, 0.7152, 0.0722)


@dataclass(frozen=True)
class GamutCompressOp:
    """Scale-invariant gamut compression before the tone curve. Per channel the distance
    from the achromatic axis, d = (max - c) / max, is kept below ``threshold`` and beyond it
    compressed smoothly towards ``limit`` < 1: d' = t + (L - t) tanh((d - t) / (L - t)).
    So no channel falls below (1 - L) of the largest, out-of-gamut values (d > 1) come back
    inside, and the rendering stays smooth in log space, which a baked 3D LUT can follow.
    The achromatic reference is a smooth maximum of the channels rather than max(): with
    max() a compressed channel has a kink wherever the two largest channels cross (bright
    yellows, R = G), which a LUT cell cannot follow (measured: 2.6 8-bit codes between a 65^3
    bake and the recipe on a bright yellow-green). Below the threshold the op stays the
    identity whatever the reference, since c' = ach (1 - d) = c there.
    (After the distance-compression idea of the ACES Reference Gamut Compression, 2021.)"""

    threshold: float = 0.75
    limit: float = 0.9
    why: str = ""
    smoothing: float = 0.1  # width of the smooth maximum, relative to the channels


@dataclass(frozen=True)
class ShadowToeOp:
    """A soft shadow roll-off on luminance, the same factor on every channel:
    c' = c s Y^2 / (Y^2 + w^2) with Y = weights . rgb (0 where Y <= 0) and s = (g^2 + w^2) / g^2
    keeping grey g = 0.18 where it was. Smooth (C1) at black, where a clip or an offset
    would leave a kink, and it keeps the channels' ratios, so dark colours do not gain the
    saturation a per-channel toe gives them (which a 3D LUT's lattice cannot follow)."""

    width: float = 0.01
    weights: tuple[float, float, float] = (1 / 3, 1 / 3, 1 / 3)
    why: str = ""
    grey: float = 0.18

    @property
    def scale(self) -> float:
        return (self.grey**2 + self.width**2) / self.grey**2


@dataclass(frozen=True)
class HighlightLimitOp:
    """A soft limit of display-linear values below 1, the same factor on every channel:
    with m a smooth maximum of the channels, m' = t + (L - t) tanh((m - t) / (L - t)) above
    ``threshold`` t (C1 there), and every channel times m' / m. A rendering in wide
    primaries can give a display channel above 1 for a bright saturated colour; this keeps
    it inside without the clip (a kink) that quantising would otherwise apply, and keeps
    the colour's channel ratios."""

    threshold: float = 0.9
    limit: float = 1.0
    why: str = ""
    smoothing: float = 0.02


@dataclass(frozen=True, eq=False)
class Lut3DOp:
    """A 3D LUT, ``table[r, g, b] -> rgb`` (index order r, g, b), on
    [domain_min, domain_max]; input outside the domain is clamped to it first, as
    OpenColorIO does for 3D LUTs."""

    table: np.ndarray
    domain_min: tuple[float, float, float] = (0.0, 0.0, 0.0)
    domain_max: tuple[float, float, float] = (1.0, 1.0, 1.0)
    interpolation: str = "tetrahedral"
    why: str = ""


@dataclass(frozen=True, eq=False)
class Lut1DOp:
    """A 1D LUT per channel, ``table`` N x 3 on [domain_min, domain_max], linear
    interpolation, input clamped to the domain."""

    table: np.ndarray
    domain_min: tuple[float, float, float] = (0.0, 0.0, 0.0)
    domain_max: tuple[float, float, float] = (1.0, 1.0, 1.0)
    why: str = ""


@dataclass(frozen=True, eq=False)
class HueSatMapOp:
    """A DNG 1.6 ProfileHueSatMap or ProfileLookTable, applied to linear RGB (the DNG SDK
    applies them in linear ProPhoto RGB): each pixel's hexcone HSV (Smith 1978; hue in
    [0, 6)) looks up (hue shift in degrees, saturation scale, value scale), interpolated
    linearly in hue (which wraps), saturation and value (its sRGB encoding with
    ``srgb_value``), and h += shift * 6 / 360, s *= scale, v *= scale.

    ``table`` is (value, hue, saturation, 3), as the tags store it. Departures from the
    DNG SDK, so that a scene-referred pipeline stays open: values above 1 are not clipped
    (the SDK renders into [0, 1]), a saturation already above 1 (a colour outside the
    space) is not clipped to 1, pixels with V <= 0 pass unchanged. Lookups clamp S and V
    to the table; NaN passes through as NaN."""

    table: np.ndarray
    srgb_value: bool = False
    why: str = ""

    def __post_init__(self) -> None:
        t = self.table
        if not isinstance(t, np.ndarray) or t.ndim != 4 or t.shape[3] != 3:
            raise ValueError("a HueSatMap table is value x hue x saturation x 3")
        if t.shape[0] < 1 or t.shape[1] < 1 or t.shape[2] < 2:
            raise ValueError(f"a HueSatMap needs >= 1 hue and >= 2 saturation divisions: {t.shape}")
        if not np.all(np.isfinite(t)) or np.any(t[..., 1:] < 0):
            raise ValueError("HueSatMap entries must be finite, with scales >= 0")

    @property
    def divisions(self) -> tuple[int, int, int]:
        """(hue, saturation, value) divisions."""
        return self.table.shape[1], self.table.shape[2], self.table.shape[0]


PointOp = (
    MatrixOp
    | CurveOp
    | ClampOp
    | HighlightOp
    | CdlOp
    | GamutCompressOp
    | ShadowToeOp
    | Lut3DOp
    | Lut1DOp
    | HueSatMapOp
)


FILTERS = ("bilinear", "bicubic", "lanczos")


@dataclass(frozen=True, eq=False)
class RemapOp:
    """Geometry: output pixel (x, y), channel c, is the input sampled at (gx[c], gy[c])
    interpolated bilinearly from a grid of source positions at every ``step``-th pixel;
    samples outside the input are 0."""

    grid_x: np.ndarray  # 3 x gh x gw float32
    grid_y: np.ndarray
    step: int
    filter: str = "bicubic"
    why: str = ""


@dataclass(frozen=True, eq=False)
class GainMapOp:
    """Multiply every channel by a gain interpolated bilinearly from a grid at every
    ``step``-th pixel (vignetting correction)."""

    grid: np.ndarray  # gh x gw float32
    step: int
    why: str = ""


@dataclass(frozen=True)
class Program:
    """What a renderer runs: geometry ops in order, then one fused run of point ops."""

    geometry: tuple = field(default_factory=tuple)
    point: tuple = field(default_factory=tuple)


class Renderer(Protocol):
    """A backend that runs a :class:`Program` on an H x W x 3 float32 array."""

    name: str

    def run(self, program: Program, pixels: np.ndarray, bits: int = 0) -> np.ndarray:
        """float32 result, or with ``bits`` 8/16 unsigned integers (clamped to [0, 1],
        rounded half up)."""
        ...
