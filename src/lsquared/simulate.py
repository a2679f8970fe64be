"""The camera simulator: a scene with known truth, rendered through a known camera, written
as a real CFA DNG that LibRaw reads.

The scene (a ColorChecker 24 from spectral data, a neutral ramp and a line grid) is
integrated under an illuminant to CIE XYZ, seen through a "matrix camera" whose response is
``XYZtoCamera`` (the DNG ColorMatrix1 written into the file), optionally distorted with
per-channel radial warps (the DNG ``WarpRectilinear`` model, which gives lateral CA too) and
vignetted, mosaiced to an RGGB Bayer pattern, given photon and read noise and a black
level, quantised to 14 bits and written with tifffile. The truth (each patch's XYZ under
the illuminant, Bradford-adapted to D65) comes back with the file. In spectral mode the
"matrix camera" gives way to a real sensor's spectral sensitivities and a profile fitted to
them (see :func:`simulate`).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lsquared.color import scene
from lsquared.color.spaces import cat_matrix, xy_to_xyz
from lsquared.io.atomic import atomic_output
from lsquared.io.dngwrite import DngTags, write_cfa_dng
from lsquared.optics import profile as lensopt
from lsquared.optics.profile import LensProfile

#: XYZ(D65) -> camera RGB of the simulated sensor, modelled on a typical full-frame CMOS
#: sensor's D65 ColorMatrix (rows normalised as DNG ColorMatrix values usually are).
CAMERA_MATRIX = np.array(
    [[0.7034, -0.0804, -0.1014], [-0.4420, 1.2564, 0.2058], [-0.0851, 0.1994, 0.5758]]
)
BLACK_LEVEL = 512
WHITE_LEVEL = 16383
#: 50 % of the raw range for a perfect white on the most sensitive channel (1 EV headroom)
WHITE_FRACTION = 0.5
FULL_WELL_ELECTRONS = 40000.0
#: the simulated lens is ideal unless a warp or vignetting is given; it has a name no lens
#: database knows, so no real lens profile is applied to it by mistake
IDEAL_LENS = "lsquared ideal lens 50mm F4 (simulated)"
PCS_D50_XY = (0.3457, 0.3585)
READ_NOISE_DN = 2.0


#: the spectral camera: colour-science's measured sensitivities of a real sensor (NPL)
SPECTRAL_CAMERA = "Nikon 5100 (NPL)"
#: the spectral camera's profile: fitted under CIE A and D65 (CalibrationIlluminant 17, 21)
CALIBRATION_ILLUMINANTS = (("A", 17), ("D65", 21))
#: the simulated unit's deviation from the model's reference camera (DNG CameraCalibration,
#: channel cross-talk) and its AnalogBalance
UNIT_CALIBRATION = np.array([[1.02, 0.02, 0.0], [0.01, 0.97, 0.015], [0.0, 0.025, 1.04]])
UNIT_ANALOG_BALANCE = (1.08, 1.0, 0.95)


@dataclass(frozen=True)
class SpectralProfile:
    """A dual-illuminant DNG profile fitted to a camera's spectral sensitivities."""

    color_matrices: tuple[np.ndarray, np.ndarray]  # XYZ -> reference camera, per illuminant
    forward_matrices: tuple[np.ndarray, np.ndarray]  # white-balanced camera -> XYZ D50
    illuminants: tuple[int, int]


def _spectral(fn, *sds):
    """colour-science's spectral helpers on a common 380-780 nm / 5 nm shape."""
    import warnings

    from lsquared.color._colour import colour

    c = colour()
    shape = c.SpectralShape(380, 780, 5)
    with warnings.catch_warnings():  # colour-science notes its own re-alignment
        warnings.simplefilter("ignore")
        return fn(c, *(sd.copy().align(shape) for sd in sds))


def camera_response(reflectances, illuminant: str | float, camera: str) -> np.ndarray:
    """Reference-camera RGB of reflectances (N x wavelengths, colour-science multi-SD or a
    list of SDs; None for the perfect white) under an illuminant: sum over wavelength of
    reflectance x illuminant SPD x sensitivity, scaled so the perfect white's green is 1."""
    from lsquared.color._colour import colour

    c = colour()
    sens = c.characterisation.MSDS_CAMERA_SENSITIVITIES[camera]
    light = scene.illuminant_sd(illuminant)

    def integrate(c, sens, light):
        s, e = np.asarray(sens.values), np.asarray(light.values)
        white = e @ s
        if reflectances is None:
            return white / white[1]
        refl = np.array([np.asarray(sd.copy().align(sens.shape).values) for sd in reflectances])
        return (refl * e) @ s / white[1]

    return _spectral(integrate, sens, light)


def _training_set():
    """The 190 reflectances rawtoaces fits IDTs with (shipped with colour-science)."""
    from lsquared.color._colour import colour

    data = colour().characterisation.read_training_data_rawtoaces_v1()
    return [data.signals[name] for name in data.labels]


def _training_xyz(illuminant: str | float, reflectances) -> tuple[np.ndarray, np.ndarray]:
    """(XYZ of the reflectances, XYZ of the perfect white) under an illuminant, white Y = 1,
    by plain summation over 5 nm steps (CIE 15:2004, eq. 7.1)."""
    from lsquared.color._colour import colour

    c = colour()
    cmfs = c.MSDS_CMFS["CIE 1931 2 Degree Standard Observer"]
    light = scene.illuminant_sd(illuminant)

    def integrate(c, cmfs, light):
        xbar, e = np.asarray(cmfs.values), np.asarray(light.values)
        refl = np.array([np.asarray(sd.copy().align(cmfs.shape).values) for sd in reflectances])
        white = e @ xbar
        return (refl * e) @ xbar / white[1], white / white[1]

    return _spectral(integrate, cmfs, light)


def constrained_least_squares(a: np.ndarray, b: np.ndarray, c: np.ndarray, w: np.ndarray):
    """The 3x3 M minimising ||a M^T - b||^2 (rows of a and b are samples) with M c = w
    exactly (a white kept white): per row, the unconstrained solution moved along
    (a^T a)^-1 c (Lagrange multipliers)."""
    gram_inv = np.linalg.inv(a.T @ a)
    m0 = np.linalg.lstsq(a, b, rcond=None)[0].T
    step = gram_inv @ c
    return m0 + np.outer(w - m0 @ c, step) / (c @ step)


@functools.cache
def fit_profile(camera: str = SPECTRAL_CAMERA) -> SpectralProfile:
    """ColorMatrix1/2 and ForwardMatrix1/2 of ``camera``, fitted on the rawtoaces training
    reflectances under each calibration illuminant as a profile maker does: least squares
    with the illuminant's white kept exact. ColorMatrix: XYZ -> camera, its white's
    largest channel 1; ForwardMatrix: white-balanced camera -> XYZ D50 (Bradford), camera
    ones -> the D50 white (DNG 1.6 ch. 6)."""
    refl = _training_set()
    cms, fms, codes = [], [], []
    for name, code in CALIBRATION_ILLUMINANTS:
        rgb = camera_response(refl, name, camera)
        white_rgb = camera_response(None, name, camera)
        xyz, white = _training_xyz(name, refl)
        cm = constrained_least_squares(xyz, rgb, white, white_rgb)
        cms.append(cm / (cm @ white).max())
        to_d50 = cat_matrix(white[:2] / white.sum(), PCS_D50_XY, "Bradford")
        wb = rgb / white_rgb
        fms.append(constrained_least_squares(wb, xyz @ to_d50.T, np.ones(3), xy_to_xyz(PCS_D50_XY)))
        codes.append(code)
    return SpectralProfile(tuple(cms), tuple(fms), tuple(codes))


@dataclass(frozen=True)
class Warp:
    """Per-channel radial warp, DNG 1.6 ``WarpRectilinear``: a point at normalised radius r
    of the *corrected* image comes from r * (k0 + k1 r^2 + k2 r^4 + k3 r^6) in the
    *recorded* image; r = 1 at the farthest corner from the centre."""

    coefficients: tuple[tuple[float, float, float, float], ...]  # R, G, B

    def source_radius(self, channel: int, r: np.ndarray) -> np.ndarray:
        k0, k1, k2, k3 = self.coefficients[channel]
        r2 = r * r
        return r * (k0 + r2 * (k1 + r2 * (k2 + r2 * k3)))

    def corrected_radius(self, channel: int, rd: np.ndarray, iterations: int = 12) -> np.ndarray:
        """Invert :meth:`source_radius` by Newton's method (monotonic in practice)."""
        k0, k1, k2, k3 = self.coefficients[channel]
        ru = rd.copy()
        for _ in range(iterations):
            r2 = ru * ru
            f = ru * (k0 + r2 * (k1 + r2 * (k2 + r2 * k3))) - rd
            df = k0 + r2 * (3 * k1 + r2 * (5 * k2 + r2 * 7 * k3))
            ru -= f / df
        return ru


@dataclass(frozen=True)
class Rw2Warp:
    """Radial distortion as a Panasonic RW2 DistortionInfo describes it (io.rw2): a pixel
    recorded at normalised radius Rd shows the scene at Ru = Rd + a Rd^3 + b Rd^5 + c Rd^7,
    the same for every channel; r = 1 at the image corners."""

    abc: tuple[float, float, float]

    def corrected_radius(self, channel: int, rd: np.ndarray) -> np.ndarray:
        a, b, c = self.abc
        r2 = rd * rd
        return rd * (1 + r2 * (a + r2 * (b + r2 * c)))


@dataclass(frozen=True)
class Vignetting:
    """Radial falloff as DNG 1.6 ``FixVignetteRadial`` corrects it: the correcting gain is
    1 + k0 r^2 + k1 r^4 + ... + k4 r^10 (r = 1 at the farthest corner); the simulator
    divides by it."""

    coefficients: tuple[float, float, float, float, float]

    def gain(self, r: np.ndarray) -> np.ndarray:
        r2 = r * r
        g = np.zeros_like(r)
        for k in reversed(self.coefficients):
            g = (g + k) * r2
        return 1.0 + g


@dataclass
class Truth:
    """What the simulator knows: where each patch is and what colour it really is."""

    path: Path
    width: int
    height: int
    illuminant: str | float
    white_xyz: np.ndarray
    patch_names: tuple[str, ...]
    patch_boxes: list[tuple[int, int, int, int]]  # y0, y1, x0, x1 of each patch centre area
    patch_xyz_d65: np.ndarray  # 24 x 3, Bradford-adapted to D65, perfect white Y = 1
    as_shot_neutral: np.ndarray
    grid_lines_x: list[float] = field(default_factory=list)  # scene x of vertical lines
    grid_lines_y: list[float] = field(default_factory=list)


def _layout(width: int, height: int) -> dict:
    """Patch rectangles (y0, y1, x0, x1), the ramp and grid rectangles, in pixels."""
    pw = 0.56 * width / 6
    ph = 0.54 * height / 4
    side = min(pw, ph)
    patches = []
    for row in range(4):
        for col in range(6):
            x0 = 0.06 * width + col * pw + 0.08 * side
            y0 = 0.08 * height + row * ph + 0.08 * side
            patches.append((y0, y0 + 0.84 * side, x0, x0 + 0.84 * side))
    return {
        "patches": patches,
        "ramp": (0.72 * height, 0.84 * height, 0.06 * width, 0.94 * width),
        "grid": (0.08 * height, 0.62 * height, 0.68 * width, 0.94 * width),
    }


def _line_profile(coord: np.ndarray, lines: np.ndarray, sigma: float) -> np.ndarray:
    """Darkness in [0, 1] of Gaussian-profiled lines at ``lines`` (scene pixels)."""
    d = np.min(np.abs(coord[..., None] - lines), axis=-1)
    return np.exp(-0.5 * (d / sigma) ** 2)


def render_scene_xyz(
    width: int,
    height: int,
    sx: np.ndarray,
    sy: np.ndarray,
    patch_xyz: np.ndarray,
    white_xyz: np.ndarray,
    kind: str,
    line_sigma: float = 1.2,
) -> tuple[np.ndarray, list[float], list[float]]:
    """XYZ at scene positions (sx, sy) for the ``chart`` or ``grid`` scene."""
    xyz = np.empty((*sx.shape, 3), dtype=np.float32)
    reflect = np.full(sx.shape, 0.18, dtype=np.float32)
    lay = _layout(width, height)
    lines_x: list[float] = []
    lines_y: list[float] = []
    if kind == "grid":
        step = min(width, height) / 10
        lines_x = list(np.arange(step / 2, width, step))
        lines_y = list(np.arange(step / 2, height, step))
        dark = np.maximum(
            _line_profile(sx, np.array(lines_x), line_sigma),
            _line_profile(sy, np.array(lines_y), line_sigma),
        )
        reflect = (0.8 - 0.75 * dark).astype(np.float32)
    else:
        y0, y1, x0, x1 = lay["ramp"]
        inside = (sy >= y0) & (sy < y1) & (sx >= x0) & (sx < x1)
        reflect[inside] = ((sx[inside] - x0) / (x1 - x0)).astype(np.float32)
        y0, y1, x0, x1 = lay["grid"]
        inside = (sy >= y0) & (sy < y1) & (sx >= x0) & (sx < x1)
        step = (x1 - x0) / 8
        lines_x = list(np.arange(x0 + step / 2, x1, step))
        lines_y = list(np.arange(y0 + step / 2, y1, step))
        dark = np.maximum(
            _line_profile(sx, np.array(lines_x), 1.2), _line_profile(sy, np.array(lines_y), 1.2)
        )
        reflect[inside] = (0.8 - 0.75 * dark[inside]).astype(np.float32)
    xyz[...] = reflect[..., None] * white_xyz.astype(np.float32)
    if kind != "grid":
        for i, (y0, y1, x0, x1) in enumerate(lay["patches"]):
            inside = (sy >= y0) & (sy < y1) & (sx >= x0) & (sx < x1)
            xyz[inside] = patch_xyz[i].astype(np.float32)
    return xyz, lines_x, lines_y


def _scene_position_through_lens(
    p: LensProfile, width: int, height: int, channel: int, x: np.ndarray, y: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The corrected (scene) position whose recorded position in ``channel`` is (x, y):
    the inverse of :func:`lsquared.optics.profile.source_coordinates`, by fixed-point
    iteration (the models are close to identity, so it converges to 1e-6 px)."""
    crop = p.calibration_crop
    px, py = x.astype(np.float64), y.astype(np.float64)
    for _ in range(50):
        sx, sy = lensopt.source_coordinates(p, width, height, crop, px, py)
        dx, dy = x - sx[channel], y - sy[channel]
        px, py = px + dx, py + dy
        if max(np.abs(dx).max(), np.abs(dy).max()) < 1e-6:
            break
    return px, py


def simulate(
    out: str | Path,
    *,
    width: int = 1200,
    height: int = 800,
    illuminant: str | float = "D65",
    scene_kind: str = "chart",
    warp: Warp | Rw2Warp | None = None,
    vignetting: Vignetting | None = None,
    noise: bool = True,
    seed: int = 1,
    make: str = "Panasonic",
    model: str = "LUMIX S5 (lsquared simulator)",
    lens: str = IDEAL_LENS,
    focal_length_mm: float = 50.0,
    f_number: float = 4.0,
    embed_opcodes: bool = False,
    lens_profile: LensProfile | None = None,
    line_sigma: float = 1.2,
    spectral_camera: str | None = None,
) -> Truth:
    """Render the scene and write a CFA DNG to ``out``; return the :class:`Truth`.

    With ``embed_opcodes`` the warp and vignetting are also written as DNG opcodes
    (OpcodeList3 WarpRectilinear, OpcodeList2 FixVignetteRadial) so a reader can undo them
    (an :class:`Rw2Warp` has no DNG opcode; a test hands its terms to the metadata).

    With ``lens_profile`` the scene is seen through that lens's distortion, TCA and
    vignetting (lensfun's models, inverted per channel by fixed-point iteration), and the
    lens's name is written as the EXIF lens model, so ``--lens lensfun`` finds it.

    With ``spectral_camera`` (a name in colour-science's ``MSDS_CAMERA_SENSITIVITIES``,
    e.g. :data:`SPECTRAL_CAMERA`) the raw is no matrix camera: each patch is its
    reflectance x the illuminant's SPD x the camera's spectral sensitivities, through the
    unit's CameraCalibration and AnalogBalance; the file carries the dual-illuminant
    profile :func:`fit_profile` fits (ColorMatrix1/2, ForwardMatrix1/2). The truth stays
    the spectra's XYZ, so what is measured is what real cameras face: the fit error and
    the interpolation between calibration illuminants.
    """
    if width % 2 or height % 2:
        raise ValueError("width and height must be even for a 2x2 Bayer pattern")
    if scene_kind not in ("chart", "grid"):
        raise ValueError(f"unknown scene {scene_kind!r}; valid: chart, grid")
    names, patch_xyz, white_xyz = scene.checker_xyz(illuminant)
    truth_xyz, truth_white = patch_xyz, white_xyz
    to_camera = CAMERA_MATRIX
    if spectral_camera is not None:  # the scene as the unit's camera RGB, seen through I
        unit = np.diag(UNIT_ANALOG_BALANCE) @ UNIT_CALIBRATION
        checker = list(_checker_sds())
        patch_xyz = camera_response(checker, illuminant, spectral_camera) @ unit.T
        white_xyz = unit @ camera_response(None, illuminant, spectral_camera)
        to_camera = np.eye(3)
    neutral = to_camera @ white_xyz
    gain = WHITE_FRACTION / neutral.max()
    as_shot_neutral = neutral / neutral.max()

    cx, cy = (width - 1) / 2.0, (height - 1) / 2.0
    yy, xx = np.mgrid[0:height, 0:width].astype(np.float64)
    dx, dy = xx - cx, yy - cy
    norm = np.hypot(cx, cy)
    r_d = np.hypot(dx, dy) / norm
    cam = np.empty((height, width), dtype=np.float32)
    cfa_channel = np.array([[0, 1], [1, 2]])[yy.astype(int) % 2, xx.astype(int) % 2]
    lines_x: list[float] = []
    lines_y: list[float] = []
    for c in range(3):
        mask = cfa_channel == c
        if lens_profile is not None:
            sx, sy = _scene_position_through_lens(
                lens_profile, width, height, c, xx[mask], yy[mask]
            )
        elif warp is not None:
            rd = r_d[mask]
            ru = warp.corrected_radius(c, rd)
            scale = np.divide(ru, rd, out=np.ones_like(rd), where=rd > 0)
            sx, sy = cx + dx[mask] * scale, cy + dy[mask] * scale
        else:
            sx, sy = xx[mask], yy[mask]
        xyz, lines_x, lines_y = render_scene_xyz(
            width, height, sx, sy, patch_xyz, white_xyz, scene_kind, line_sigma
        )
        cam[mask] = (xyz @ (gain * to_camera[c]).astype(np.float32)).astype(np.float32)
    if vignetting is not None:
        cam /= vignetting.gain(r_d).astype(np.float32)
    if lens_profile is not None:
        lens = lens_profile.name
        if lens_profile.vignetting is not None:
            crop = lens_profile.calibration_crop
            cam /= lensopt.vignetting_gain(lens_profile, width, height, crop, xx, yy).astype(
                np.float32
            )
    span = WHITE_LEVEL - BLACK_LEVEL
    signal = np.clip(cam, 0, None) * span
    if noise:
        rng = np.random.default_rng(seed)
        electrons_per_dn = FULL_WELL_ELECTRONS / span
        signal = rng.poisson(signal * electrons_per_dn) / electrons_per_dn
        signal = signal + rng.normal(0.0, READ_NOISE_DN, signal.shape)
    raw = np.clip(np.round(signal + BLACK_LEVEL), 0, WHITE_LEVEL).astype(np.uint16)

    profile = fit_profile(spectral_camera) if spectral_camera is not None else None
    tags = DngTags(
        make=make,
        model=model,
        color_matrix=CAMERA_MATRIX if profile is None else profile.color_matrices[0],
        as_shot_neutral=as_shot_neutral,
        baseline_exposure_ev=float(-np.log2(gain * neutral.max())),
        black_level=BLACK_LEVEL,
        white_level=WHITE_LEVEL,
        lens_model=lens,
        focal_length_mm=focal_length_mm,
        f_number=f_number,
        warp=warp.coefficients if (isinstance(warp, Warp) and embed_opcodes) else None,
        vignetting=vignetting.coefficients if (vignetting is not None and embed_opcodes) else None,
        **(_profile_tags(profile) if profile is not None else {}),
    )
    out = Path(out)
    with atomic_output(out) as tmp:
        write_cfa_dng(tmp, raw, tags)

    boxes = []
    for y0, y1, x0, x1 in _layout(width, height)["patches"]:
        my, mx = 0.25 * (y1 - y0), 0.25 * (x1 - x0)
        boxes.append((int(y0 + my), int(y1 - my), int(x0 + mx), int(x1 - mx)))
    return Truth(
        path=out,
        width=width,
        height=height,
        illuminant=illuminant,
        white_xyz=truth_white,
        patch_names=names,
        patch_boxes=boxes,
        patch_xyz_d65=scene.adapt_to_d65(truth_xyz, truth_white),
        as_shot_neutral=as_shot_neutral,
        grid_lines_x=lines_x,
        grid_lines_y=lines_y,
    )


def _checker_sds():
    from lsquared.color._colour import colour

    return colour().SDS_COLOURCHECKERS[scene.CHECKER].values()


def _profile_tags(profile: SpectralProfile) -> dict:
    """DngTags fields of a fitted profile and the simulated unit."""
    return {
        "illuminants": profile.illuminants,
        "color_matrix2": profile.color_matrices[1],
        "forward_matrices": profile.forward_matrices,
        "camera_calibration": UNIT_CALIBRATION,
        "analog_balance": UNIT_ANALOG_BALANCE,
    }


def patch_means(pixels: np.ndarray, truth: Truth) -> np.ndarray:
    """Mean RGB of each patch's centre area in a developed image (24 x 3)."""
    return np.array(
        [pixels[y0:y1, x0:x1].reshape(-1, 3).mean(axis=0) for y0, y1, x0, x1 in truth.patch_boxes]
    )


def chart_delta_e(linear_srgb: np.ndarray, truth: Truth) -> np.ndarray:
    """CIEDE2000 of each patch of a developed ``linear-srgb`` image against the truth."""
    from lsquared.color.spaces import matrix

    xyz = patch_means(linear_srgb, truth) @ matrix("rec709", "xyz").T
    return scene.delta_e_2000(scene.xyz_to_lab_d65(xyz), scene.xyz_to_lab_d65(truth.patch_xyz_d65))
