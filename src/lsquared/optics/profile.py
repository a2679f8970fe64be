"""Lens corrections at given settings, and the coordinate grids that apply them.

Conventions are lensfun 0.3.4's, as bundled with lensfunpy (checked against its Modifier in
the tests; see lensfun's ``legacy-modifier.cpp`` for the coordinate systems):

- distortion and TCA work in normalised coordinates where r = 1 is half the shorter image
  side, scaled by ``cc = (calibration crop / image crop) * sqrt(a_lens^2 + 1) /
  sqrt(a_image^2 + 1)`` when the image was not taken on the calibration sensor, around the
  centre (W - 1) / 2, (H - 1) / 2 plus the lens's centre offset; lensfun measures the
  image between its outer pixel centres, a_image = (W - 1) / (H - 1), so a 6000 x 4000
  frame on a 3:2 calibration has cc = 1 - 5.8e-5 (0.03 px at the corners of a PTLens map);
- distortion (lensfun's ``Dist_*`` callbacks, PanoTools models) maps a corrected point to the
  recorded one: poly3 Rd = Ru (1 - k1 + k1 Ru^2); poly5 Rd = Ru (1 + k1 Ru^2 + k2 Ru^4);
  ptlens Rd = Ru (a Ru^3 + b Ru^2 + c Ru + 1 - a - b - c);
- TCA then scales red and blue: linear Rd = k Ru; poly3 Rd = Ru (b Ru^2 + c Ru + v);
- vignetting (pa model) divides by 1 + k1 r^2 + k2 r^4 + k3 r^6 with r = 1 at the image
  corner (half the (W - 1, H - 1) diagonal).

Interpolation across focal length (and aperture, distance for vignetting) is lensfun's own,
through lensfunpy. The grids hold the source position of every ``step``-th output pixel;
the renderer interpolates them bilinearly (error far below 0.01 px for these smooth fields).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np

from lsquared.errors import LensError

GRID_STEP = 8
DEFAULT_ASPECT = 1.5  # lensfun's default <aspect-ratio> of a calibration sensor


@dataclass(frozen=True)
class LensProfile:
    """One lens's corrections at one setting (focal, aperture, distance)."""

    name: str
    source: str  # lensfun | embedded | profile
    distortion: tuple[str, tuple[float, ...]] | None = None
    tca: tuple[str, tuple[float, ...]] | None = None
    vignetting: tuple[float, float, float] | None = None
    center: tuple[float, float] = (0.0, 0.0)
    calibration_crop: float = 1.0
    calibration_aspect: float = DEFAULT_ASPECT
    #: DNG WarpRectilinear(2): (per plane (15 radial terms in r, kt0, kt1, valid r min, max,
    #: reciprocal), optical centre (x, y) in [0, 1]); see ``from_dng_opcodes``
    dng_warp: tuple | None = None
    #: DNG FixVignetteRadial: ((k0..k4), optical centre)
    dng_vignette: tuple | None = None
    #: Panasonic RW2 DistortionInfo: a, b, c of Ru = Rd + a Rd^3 + b Rd^5 + c Rd^7
    rw2_distortion: tuple[float, float, float] | None = None

    @property
    def has_geometry(self) -> bool:
        return (
            self.distortion is not None or self.tca is not None or self.dng_warp is not None
            or self.rw2_distortion is not None
        )  # fmt: skip


def _warp_plane(op, plane) -> tuple[float, ...]:
    """One plane of a WarpRectilinear(2) as (15 radial terms in r, kt0, kt1, valid r min,
    valid r max, reciprocal): WarpRectilinear's kr0..kr3 are the even terms (DNG 1.6, 7.2)."""
    if op.name == "WarpRectilinear":
        k0, k1, k2, k3, t0, t1 = (float(v) for v in plane)
        return (k0, 0.0, k1, 0.0, k2, 0.0, k3, *([0.0] * 8), t0, t1, 0.0, 1.0, 0.0)
    radial = tuple(float(v) for v in plane["radial"])
    reciprocal = float(op.params["reciprocal"])
    return (*radial, *(float(v) for v in plane["tangential"]), *plane["valid"], reciprocal)


def from_dng_opcodes(opcodes) -> LensProfile:
    """The corrections a DNG carries in its opcode list 3 (DNG 1.7.1, chapter 7)."""
    warp = vignette = None
    for op in opcodes:
        if op.name in ("WarpRectilinear", "WarpRectilinear2"):
            planes = [_warp_plane(op, plane) for plane in op.params["planes"]]
            planes = (planes * 3)[:3] if len(planes) == 1 else planes[:3]
            warp = (tuple(planes), tuple(float(v) for v in op.params["center"]))
        elif op.name == "FixVignetteRadial":
            vignette = (tuple(op.params["k"]), tuple(float(v) for v in op.params["center"]))
    if warp is None and vignette is None:
        raise LensError("DNG opcodes", "no WarpRectilinear(2) or FixVignetteRadial opcode")
    return LensProfile("embedded DNG opcodes", "embedded", dng_warp=warp, dng_vignette=vignette)


def _dng_frame(width: int, height: int, center) -> tuple[float, float, float]:
    """Optical centre in pixels and the normalising distance, as the DNG SDK sets them up
    (``dng_filter_warp``, ``dng_opcode_FixVignetteRadial``): the centre at (cx W, cy H) of
    the image rectangle [0, W] x [0, H], r = 1 at its farthest corner of that rectangle."""
    cx, cy = center[0] * width, center[1] * height
    m = max(math.hypot(cx - x, cy - y) for x in (0, width) for y in (0, height))
    return cx, cy, m


def _dng_warp_coordinates(p: LensProfile, width: int, height: int, x, y, scale: float):
    """WarpRectilinear(2) per plane (DNG 1.7.1, 7.2): the output pixel (x, y) (its index,
    as the SDK evaluates it) comes from centre + m (ratio(r) d + tangential(d)), d the
    offset from the centre over m, r^2 capped at 1 and r clamped to the valid range."""
    planes, center = p.dng_warp
    cx, cy, m = _dng_frame(width, height, center)
    dx = (np.asarray(x, dtype=np.float64) - cx) / m / scale
    dy = (np.asarray(y, dtype=np.float64) - cy) / m / scale
    r2 = np.minimum(dx * dx + dy * dy, 1.0)
    sx = np.empty((3, *dx.shape))
    sy = np.empty((3, *dx.shape))
    for c, plane in enumerate(planes):
        radial, (t0, t1, r_min, r_max, reciprocal) = plane[:15], plane[15:]
        r = np.sqrt(np.clip(r2, r_min * r_min, r_max * r_max))
        ratio = np.polynomial.polynomial.polyval(r, radial)
        ratio = 1.0 / ratio if reciprocal else ratio
        sx[c] = cx + m * (ratio * dx + 2 * t0 * dx * dy + t1 * (r2 + 2 * dx * dx))
        sy[c] = cy + m * (ratio * dy + 2 * t1 * dx * dy + t0 * (r2 + 2 * dy * dy))
    return sx, sy


def from_rw2(abc: tuple[float, float, float]) -> LensProfile:
    """The distortion correction a Panasonic RW2 records (io.rw2 has its provenance)."""
    return LensProfile("embedded RW2 DistortionInfo", "embedded", rw2_distortion=tuple(abc))


def rw2_recorded_radius(abc, ru: np.ndarray, iterations: int = 8) -> np.ndarray:
    """Solve Ru = Rd + a Rd^3 + b Rd^5 + c Rd^7 for the recorded radius Rd (Newton's
    method from Rd = Ru; the polynomial is monotonic over the frame for real lenses)."""
    a, b, c = abc
    rd = np.array(ru, dtype=np.float64)
    for _ in range(iterations):
        r2 = rd * rd
        value = rd * (1 + r2 * (a + r2 * (b + r2 * c))) - ru
        slope = 1 + r2 * (3 * a + r2 * (5 * b + r2 * 7 * c))
        rd -= value / slope
    return rd


def _rw2_coordinates(p: LensProfile, width: int, height: int, x, y, scale: float):
    """Radii normalised to the half diagonal (r = 1 at the image corners) around (W / 2,
    H / 2), as darktable and RawTherapee read the tag (io.rw2 compares the readings)."""
    cx, cy, m = _dng_frame(width, height, (0.5, 0.5))
    dx = (np.asarray(x, dtype=np.float64) - cx) / m / scale
    dy = (np.asarray(y, dtype=np.float64) - cy) / m / scale
    ru = np.hypot(dx, dy)
    rd = rw2_recorded_radius(p.rw2_distortion, ru)
    f = np.divide(rd, ru, out=np.ones_like(ru), where=ru > 0)
    sx = np.broadcast_to(cx + m * f * dx, (3, *ru.shape)).copy()
    sy = np.broadcast_to(cy + m * f * dy, (3, *ru.shape)).copy()
    return sx, sy


def from_lensfun(lens, focal: float, aperture: float, distance: float) -> LensProfile:
    """The lensfun lens's corrections at a setting, interpolated by lensfun itself."""
    dist = lens.interpolate_distortion(focal)
    tca = lens.interpolate_tca(focal)
    vig = lens.interpolate_vignetting(focal, aperture, distance)
    return LensProfile(
        name=lensdb_name(lens),
        source="lensfun",
        distortion=(dist.model.name.lower(), tuple(float(t) for t in dist.terms))
        if dist is not None and dist.model.name != "NONE" else None,
        tca=(tca.model.name.lower(), tuple(float(t) for t in tca.terms))
        if tca is not None and tca.model.name != "NONE" else None,
        vignetting=tuple(float(t) for t in list(vig.terms)[:3])
        if vig is not None and vig.model.name != "NONE" else None,
        center=(float(lens.center_x), float(lens.center_y)),
        calibration_crop=float(lens.crop_factor),
    )  # fmt: skip


def lensdb_name(lens) -> str:
    """A lensfun lens's maker and model (:func:`maker_and_model`)."""
    return maker_and_model(lens.maker, lens.model)


def maker_and_model(maker: str | None, model: str | None) -> str:
    """Maker and model, without repeating a maker the model already starts with (EXIF
    Make "Canon", Model "Canon EOS 6D" -> "Canon EOS 6D"); ``?`` for what is unknown."""
    maker, model = (maker or "").strip(), (model or "").strip()
    if not model:
        return f"{maker or '?'} ?"
    if not maker or model.lower().startswith(maker.lower()):
        return model
    return f"{maker} {model}"


def _normalisation(p: LensProfile, width: int, height: int, crop: float):
    size = min(width, height)
    # lensfun measures the frame between the outer pixel centres (its lfModifier
    # constructor: Width = width - 1), so a 6000 x 4000 frame has the aspect 5999 / 3999
    image_aspect = (max(width, height) - 1) / (size - 1)
    cc = (
        p.calibration_crop / crop
        * math.sqrt(p.calibration_aspect**2 + 1) / math.sqrt(image_aspect**2 + 1)
    )  # fmt: skip
    ns = 2.0 / (size - 1) * cc
    cx = (width - 1) / 2 * ns + p.center[0] * cc
    cy = (height - 1) / 2 * ns + p.center[1] * cc
    return ns, cx, cy


def distortion_factor(model: str, terms, r: np.ndarray) -> np.ndarray:
    """Rd / Ru for lensfun's distortion models (PanoTools conventions)."""
    if model == "poly3":
        (k1,) = terms[:1]
        return 1 - k1 + k1 * r * r
    if model == "poly5":
        k1, k2 = terms[:2]
        return 1 + k1 * r**2 + k2 * r**4
    if model == "ptlens":
        a, b, c = terms[:3]
        return a * r**3 + b * r**2 + c * r + 1 - a - b - c
    raise LensError(model, f"distortion model {model!r} is not supported (poly3, poly5, ptlens)")


def tca_factor(model: str, terms, r: np.ndarray, channel: int) -> np.ndarray:
    """Rd / Ru of red (channel 0) or blue (channel 2) for lensfun's TCA models; lensfun
    orders the terms vr, vb, cr, cb, br, bb."""
    i = 0 if channel == 0 else 1
    if model == "linear":
        return np.full_like(r, terms[i])
    if model == "poly3":
        return terms[4 + i] * r * r + terms[2 + i] * r + terms[i]
    raise LensError(model, f"TCA model {model!r} is not supported (linear, poly3)")


def source_coordinates(
    p: LensProfile, width: int, height: int, crop: float, x: np.ndarray, y: np.ndarray,
    scale: float = 1.0,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Where output pixels (x, y) come from in the recorded image, per channel: two arrays
    of shape (3, *x.shape)."""
    if p.dng_warp is not None:
        return _dng_warp_coordinates(p, width, height, x, y, scale)
    if p.rw2_distortion is not None:
        return _rw2_coordinates(p, width, height, x, y, scale)
    ns, cx, cy = _normalisation(p, width, height, crop)
    xn = (np.asarray(x, dtype=np.float64) * ns - cx) / scale
    yn = (np.asarray(y, dtype=np.float64) * ns - cy) / scale
    if p.distortion is not None:
        f = distortion_factor(*p.distortion, np.hypot(xn, yn))
        xn, yn = xn * f, yn * f
    sx = np.empty((3, *xn.shape))
    sy = np.empty((3, *xn.shape))
    r = np.hypot(xn, yn)
    for c in range(3):
        f = tca_factor(*p.tca, r, c) if (p.tca is not None and c != 1) else 1.0
        sx[c] = (xn * f + cx) / ns
        sy[c] = (yn * f + cy) / ns
    return sx, sy


def grid_nodes(width: int, height: int, step: int = GRID_STEP) -> tuple[np.ndarray, np.ndarray]:
    gw = -(-(width - 1) // step) + 1
    gh = -(-(height - 1) // step) + 1
    return np.arange(gw) * float(step), np.arange(gh) * float(step)


@functools.lru_cache(maxsize=16)
def geometry_grid(
    p: LensProfile, width: int, height: int, crop: float, scale: float = 1.0,
    step: int = GRID_STEP,
) -> tuple[np.ndarray, np.ndarray]:  # fmt: skip
    """Source positions at every ``step``-th output pixel: (3, gh, gw) float32 x and y.
    Cached per profile, size and scale, so a clip computes it once."""
    gx, gy = grid_nodes(width, height, step)
    xx, yy = np.meshgrid(gx, gy)
    sx, sy = source_coordinates(p, width, height, crop, xx, yy, scale)
    sx, sy = sx.astype(np.float32), sy.astype(np.float32)
    sx.flags.writeable = sy.flags.writeable = False
    return sx, sy


def vignetting_gain(
    p: LensProfile, width: int, height: int, crop: float, x: np.ndarray, y: np.ndarray
) -> np.ndarray:
    """The correcting gain at recorded pixels (x, y): lensfun's 1 / (1 + k1 r^2 + k2 r^4 +
    k3 r^6), or a DNG FixVignetteRadial's 1 + k0 r^2 + ... + k4 r^10."""
    if p.dng_vignette is not None:  # evaluated at pixel centres, as the SDK does
        ks, center = p.dng_vignette
        cx, cy, m = _dng_frame(width, height, center)
        r2 = ((x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2) / (m * m)
        g = np.zeros_like(r2)
        for k in reversed(ks):
            g = (g + k) * r2
        return 1.0 + g
    k1, k2, k3 = p.vignetting
    half_diagonal = math.hypot(width - 1, height - 1) / 2
    r = (
        np.hypot(x - (width - 1) / 2, y - (height - 1) / 2)
        / half_diagonal
        * (p.calibration_crop / crop)
    )
    r2 = r * r
    return 1.0 / (1.0 + r2 * (k1 + r2 * (k2 + r2 * k3)))


@functools.lru_cache(maxsize=16)
def vignetting_grid(
    p: LensProfile, width: int, height: int, crop: float, step: int = GRID_STEP
) -> np.ndarray:
    gx, gy = grid_nodes(width, height, step)
    xx, yy = np.meshgrid(gx, gy)
    g = vignetting_gain(p, width, height, crop, xx, yy).astype(np.float32)
    g.flags.writeable = False
    return g


@functools.lru_cache(maxsize=16)
def auto_scale(p: LensProfile, width: int, height: int, crop: float) -> float:
    """The smallest zoom that leaves no empty border: every output edge pixel must come
    from inside the recorded frame (checked on all channels, bisection to 1e-5). Kept
    per profile and size, as the grids are (a compile per control change in lsq view)."""
    n = 64
    xs = np.concatenate([np.linspace(0, width - 1, n), np.full(n, width - 1.0),
                         np.linspace(0, width - 1, n), np.zeros(n)])  # fmt: skip
    ys = np.concatenate([np.zeros(n), np.linspace(0, height - 1, n),
                         np.full(n, height - 1.0), np.linspace(0, height - 1, n)])  # fmt: skip

    def inside(scale: float) -> bool:
        sx, sy = source_coordinates(p, width, height, crop, xs, ys, scale)
        return bool(np.all((sx >= 0) & (sx <= width - 1) & (sy >= 0) & (sy <= height - 1)))

    lo, hi = 0.5, 2.0
    if inside(lo):
        return lo
    for _ in range(40):
        mid = (lo + hi) / 2
        lo, hi = (lo, mid) if inside(mid) else (mid, hi)
        if hi - lo < 1e-5:
            break
    return hi
