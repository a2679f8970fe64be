"""A ColorChecker DNG written by hand, independently of ``lsquared.io.dngwrite``: the raw
IFD's tags by number through tifffile, to the DNG 1.6 specification, with the colour
profile real converters write (ForwardMatrix over a deliberately imperfect ColorMatrix,
full-matrix CameraCalibration with cross-talk, AnalogBalance, two calibration illuminants,
BaselineExposure + BaselineExposureOffset) and four per-CFA-site GainMaps with pitch 2 in
OpcodeList2 (gains given by the caller; 1.0 by default).

The camera is a "matrix camera": the reference camera sees XYZ through ``REFERENCE_CAMERA``
(so a 3x3 profile can be exact) and this unit adds its analog balance and cross-talk.
The truth is each patch's XYZ under the shooting illuminant from the ColorChecker spectra
(colour-science), Bradford-adapted to D65: nothing here comes from lsquared.
"""

from __future__ import annotations

import struct
import warnings
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

#: XYZ -> reference camera RGB of the simulated model: each channel's sensitivity a positive
#: mix of the CIE colour-matching functions, so no real colour reads negative
REFERENCE_CAMERA = np.array([[0.62, 0.40, 0.02], [0.06, 0.95, 0.05], [0.02, 0.10, 0.88]])
#: this unit's deviation from the reference camera: cross-talk between channels
CROSS_TALK = np.array([[1.03, 0.025, 0.01], [0.015, 0.98, 0.02], [0.012, 0.03, 1.04]])
ANALOG_BALANCE = np.array([1.12, 1.0, 0.93])
#: how far the written ColorMatrix is from the true one (a converter's rough matrix)
COLOR_MATRIX_ERROR = np.array([[0.05, -0.04, 0.03], [0.03, 0.02, -0.05], [-0.04, 0.06, 0.04]])
ILLUMINANTS = (("A", 17), ("D65", 21))  # CalibrationIlluminant1, 2
BLACK, WHITE = 256, 16383
PATCH, GAP, BORDER = 40, 8, 16
CROP = 8  # DefaultCropOrigin: the border demosaicing needs
BASELINE_EV, BASELINE_OFFSET_EV = 0.35, -0.1
CHECKER = "ColorChecker N Ohta"
PCS_XY = (0.3457, 0.3585)
SHORT, LONG, RATIONAL, SRATIONAL, BYTE, ASCII, UNDEFINED, FLOAT = 3, 4, 5, 10, 1, 2, 7, 11


def colour():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import colour as colour_science
    return colour_science


def xy_to_xyz(xy) -> np.ndarray:
    return np.array([xy[0] / xy[1], 1.0, (1 - xy[0] - xy[1]) / xy[1]])


def bradford(src_xy, dst_xy) -> np.ndarray:
    c = colour()
    return c.adaptation.matrix_chromatic_adaptation_VonKries(
        xy_to_xyz(src_xy), xy_to_xyz(dst_xy), transform="Bradford"
    )


def checker_xyz(illuminant: str | float) -> tuple[np.ndarray, np.ndarray]:
    """(24 x 3 patch XYZ, white XYZ) under a CIE illuminant or a blackbody (kelvin); the
    perfect white has Y = 1."""
    c = colour()
    shape = c.SpectralShape(380, 780, 5)
    cmfs = c.MSDS_CMFS["CIE 1931 2 Degree Standard Observer"].copy().align(shape)
    if isinstance(illuminant, float):
        light = c.sd_blackbody(illuminant, shape)
    else:
        light = c.SDS_ILLUMINANTS[illuminant].copy().align(shape)
    white = c.sd_to_XYZ(c.sd_ones(shape), cmfs, light) / 100
    patches = [
        c.sd_to_XYZ(sd.copy().align(shape), cmfs, light) / 100
        for sd in c.SDS_COLOURCHECKERS[CHECKER].values()
    ]
    return np.array(patches), np.asarray(white)


def illuminant_xy(name: str) -> np.ndarray:
    _, white = checker_xyz(name)
    return white[:2] / white.sum()


def forward_matrix(illuminant: str) -> np.ndarray:
    """The exact ForwardMatrix of the reference camera at a calibration illuminant: white
    balanced reference camera -> XYZ D50 (maps camera ones to the D50 white)."""
    xy = illuminant_xy(illuminant)
    neutral = REFERENCE_CAMERA @ xy_to_xyz(xy)
    return bradford(xy, PCS_XY) @ np.linalg.inv(REFERENCE_CAMERA) @ np.diag(neutral)


def color_matrix(illuminant: str) -> np.ndarray:
    """The written ColorMatrix: the reference camera plus a deliberate error, scaled so that
    the illuminant's white has its largest camera channel at 1 (as converters write it)."""
    m = REFERENCE_CAMERA + COLOR_MATRIX_ERROR * {"A": 1.0, "D65": -0.7}.get(illuminant, 0.4)
    return m / (m @ xy_to_xyz(illuminant_xy(illuminant))).max()


def profile_table(dims: tuple[int, int, int], strength: float, phase: float) -> np.ndarray:
    """A smooth HueSatMap / LookTable (value, hue, saturation, 3): hue shifts of up to
    ``8 * strength`` degrees, saturation scales 1 +- 0.15 strength, value scales 1 +- 0.05
    strength, varying with hue, saturation and value; zero effect at zero saturation."""
    hue, sat, val = dims
    angle = np.linspace(0, 2 * np.pi, hue, endpoint=False)[None, :, None] + phase
    s = np.linspace(0, 1, sat)[None, None, :]
    v = np.linspace(0, 1, val)[:, None, None] if val > 1 else np.ones((1, 1, 1))
    shift = 8 * strength * np.sin(angle) * s * (0.8 + 0.2 * v)
    sat_scale = 1 + 0.15 * strength * np.cos(2 * angle) * s
    val_scale = 1 - 0.05 * strength * np.sin(angle + 1) * s
    shape = (val, hue, sat)
    return np.stack([np.broadcast_to(a, shape) for a in (shift, sat_scale, val_scale)], -1)


#: the camera-profile tags ``profile_from`` copies (matrices, illuminants, signatures, tables)
PROFILE_TAGS = (
    50721, 50722, 50723, 50724, 50778, 50779, 50931, 50932, 50937, 50938, 50939, 50964, 50965,
    50981, 50982, 51107, 51108,
)  # fmt: skip


def profile_tags_of(path: Path) -> list[tuple]:
    """The camera-profile tags of a real DNG's IFD 0, as tifffile extratags."""
    import tifffile

    with tifffile.TiffFile(path) as tif:
        tags = tif.pages[0].tags
        out = []
        for code in PROFILE_TAGS:
            tag = tags.get(code)
            if tag is not None:
                value = tag.value
                value = value if isinstance(value, str) else tuple(np.ravel(value).tolist())
                out.append(
                    (code, int(tag.dtype), 0 if tag.dtype == ASCII else tag.count, value, True)
                )
    return out


def gain_map_opcode(top: int, left: int, bottom: int, right: int, gains: np.ndarray) -> bytes:
    """One GainMap opcode (DNG 1.6 ch. 7, opcode ID 9), big-endian: area (top, left,
    bottom, right), plane 0 of 1, row and column pitch 2 (one CFA site), a map of ``gains``
    (rows x columns) whose nodes span the image from relative position 0 to 1."""
    rows, cols = gains.shape
    params = struct.pack(">4I4I", top, left, bottom, right, 0, 1, 2, 2)
    params += struct.pack(">2I", rows, cols)
    params += struct.pack(">4d", 1.0 / max(rows - 1, 1), 1.0 / max(cols - 1, 1), 0.0, 0.0)
    params += struct.pack(">I", 1) + gains.astype(">f4").tobytes()
    return struct.pack(">4I", 9, 0x01030000, 0, len(params)) + params


def opcode_list(opcodes: list[bytes]) -> bytes:
    return struct.pack(">I", len(opcodes)) + b"".join(opcodes)


def _rationals(values, signed: bool) -> tuple[int, ...]:
    out: list[int] = []
    for v in np.ravel(values):
        f = Fraction(float(v)).limit_denominator(1_000_000)
        out += [f.numerator, f.denominator]
    return tuple(out) if signed or min(out) >= 0 else None  # type: ignore[return-value]


@dataclass
class Chart:
    """What the hand-written DNG holds and what its patches truly are."""

    path: Path
    width: int
    height: int
    illuminant: str
    boxes: list[tuple[int, int, int, int]]  # y0, y1, x0, x1 of each patch's centre area
    truth_xyz_d65: np.ndarray  # 24 x 3
    as_shot_neutral: np.ndarray


def layout() -> tuple[int, int, list[tuple[int, int, int, int]]]:
    width = 2 * BORDER + 6 * PATCH + 5 * GAP
    height = 2 * BORDER + 4 * PATCH + 3 * GAP
    boxes = []
    for row in range(4):
        for col in range(6):
            y0, x0 = BORDER + row * (PATCH + GAP), BORDER + col * (PATCH + GAP)
            boxes.append((y0, y0 + PATCH, x0, x0 + PATCH))
    return width, height, boxes


def write_chart_dng(
    path: Path,
    illuminant: str = "D50",
    gains: tuple[np.ndarray, ...] | None = None,
    linear_render_copy: bool = False,
    hue_sat_dims: tuple[int, int, int] | None = None,
    look_dims: tuple[int, int, int] | None = None,
    profile_from: Path | None = None,
    profile_look: bool = True,
    third_illuminant: str | None = None,
) -> Chart:
    """Write the chart shot under ``illuminant``; ``gains`` are the four per-site gain grids
    (R, G1, G2, B of the RGGB pattern; the raw is divided by them, so applying the GainMaps
    restores it); ``hue_sat_dims`` adds ProfileHueSatMapData1/2 (differing, so that their
    interpolation shows), ``look_dims`` a ProfileLookTableData (both sRGB-encoded in value
    when they have value divisions); ``profile_from`` replaces the colour profile by a real
    DNG's (its matrices, HueSatMap and, with ``profile_look``, LookTable; the raw stays this
    chart's);
    ``third_illuminant`` adds a DNG 1.6 third calibration illuminant, LightSource 255
    ("other") with its chromaticity in IlluminantData3, and its ColorMatrix3,
    CameraCalibration3, ForwardMatrix3 (and ProfileHueSatMapData3 with ``hue_sat_dims``);
    ``linear_render_copy`` adds an identity ProfileToneCurve and
    DefaultBlackRender = None so that Adobe's DNG SDK renders linearly."""
    import tifffile

    width, height, boxes = layout()
    patches, white = checker_xyz(illuminant)
    white_xy = white[:2] / white.sum()
    camera = np.diag(ANALOG_BALANCE) @ CROSS_TALK @ REFERENCE_CAMERA
    neutral = camera @ white
    scale = 0.55 / neutral.max()  # a perfect white at 55 % of the raw range
    scene = np.broadcast_to(0.18 * white, (height, width, 3)).copy()
    for (y0, y1, x0, x1), xyz in zip(boxes, patches, strict=True):
        scene[y0:y1, x0:x1] = xyz
    cam = scale * scene @ camera.T
    site = np.array([[0, 1], [1, 2]])
    yy, xx = np.mgrid[0:height, 0:width]
    mosaic = np.take_along_axis(cam, site[yy % 2, xx % 2][..., None], axis=2)[..., 0]
    if gains is None:
        gains = tuple(np.ones((2, 2), np.float32) for _ in range(4))
    ops = []
    for k, (dy, dx) in enumerate(((0, 0), (0, 1), (1, 0), (1, 1))):
        g = gains[k]
        gy = np.linspace(0, 1, g.shape[0])
        gx = np.linspace(0, 1, g.shape[1])
        sub_y = (yy[dy::2, dx::2] + 0.5) / height  # the SDK samples maps at pixel centres
        sub_x = (xx[dy::2, dx::2] + 0.5) / width
        rows = np.array([np.interp(sub_x[0], gx, g[i]) for i in range(g.shape[0])])
        field = np.array([np.interp(sub_y[:, 0], gy, rows[:, j]) for j in range(width // 2)]).T
        mosaic[dy::2, dx::2] /= field
        ops.append(gain_map_opcode(dy, dx, height, width, g))
    raw = np.clip(np.round(BLACK + mosaic * (WHITE - BLACK)), 0, WHITE).astype(np.uint16)

    as_shot = neutral / neutral.max()
    (name1, code1), (name2, code2) = ILLUMINANTS
    opcodes2 = opcode_list(ops)
    tags = [
        (254, LONG, 1, (0,), True),  # NewSubFileType: main image
        (271, ASCII, 0, "lsquared", True),  # Make
        (272, ASCII, 0, "hand-written test DNG", True),  # Model
        (274, SHORT, 1, (1,), True),  # Orientation
        (33421, SHORT, 2, (2, 2), True),  # CFARepeatPatternDim
        (33422, BYTE, 4, (0, 1, 1, 2), True),  # CFAPattern RGGB
        (50706, BYTE, 4, (1, 6, 0, 0), True),  # DNGVersion
        (50707, BYTE, 4, (1, 3, 0, 0), True),  # DNGBackwardVersion
        (50708, ASCII, 0, "lsquared hand-written test DNG", True),  # UniqueCameraModel
        (50714, LONG, 1, (BLACK,), True),  # BlackLevel
        (50717, LONG, 1, (WHITE,), True),  # WhiteLevel
        (50721, SRATIONAL, 9, _rationals(color_matrix(name1), True), True),  # ColorMatrix1
        (50722, SRATIONAL, 9, _rationals(color_matrix(name2), True), True),  # ColorMatrix2
        (50723, SRATIONAL, 9, _rationals(CROSS_TALK, True), True),  # CameraCalibration1
        (50724, SRATIONAL, 9, _rationals(CROSS_TALK, True), True),  # CameraCalibration2
        (50727, RATIONAL, 3, _rationals(ANALOG_BALANCE, False), True),  # AnalogBalance
        (50728, RATIONAL, 3, _rationals(as_shot, False), True),  # AsShotNeutral
        (50730, SRATIONAL, 1, _rationals([BASELINE_EV], True), True),  # BaselineExposure
        (50778, SHORT, 1, (code1,), True),  # CalibrationIlluminant1
        (50779, SHORT, 1, (code2,), True),  # CalibrationIlluminant2
        (50964, SRATIONAL, 9, _rationals(forward_matrix(name1), True), True),  # ForwardMatrix1
        (50965, SRATIONAL, 9, _rationals(forward_matrix(name2), True), True),  # ForwardMatrix2
        (51109, SRATIONAL, 1, _rationals([BASELINE_OFFSET_EV], True), True),  # ...Offset
        (51009, UNDEFINED, len(opcodes2), opcodes2, True),  # OpcodeList2
        (50719, LONG, 2, (CROP, CROP), True),  # DefaultCropOrigin: demosaic padding
        (50720, LONG, 2, (width - 2 * CROP, height - 2 * CROP), True),  # DefaultCropSize
    ]
    maps = ((50938, 0.0), (50939, 0.7))  # ProfileHueSatMapData1, 2
    if third_illuminant is not None:
        x, y = illuminant_xy(third_illuminant)
        data = struct.pack("<H4I", 0, round(x * 1e6), 1_000_000, round(y * 1e6), 1_000_000)
        tags += [
            (52529, SHORT, 1, (255,), True),  # CalibrationIlluminant3: other
            (52535, UNDEFINED, len(data), data, True),  # IlluminantData3: x, y
            (52531, SRATIONAL, 9, _rationals(color_matrix(third_illuminant), True), True),
            (52530, SRATIONAL, 9, _rationals(CROSS_TALK, True), True),  # CameraCalibration3
            (52532, SRATIONAL, 9, _rationals(forward_matrix(third_illuminant), True), True),
        ]
        maps += ((52537, 1.6),)  # ProfileHueSatMapData3
    if hue_sat_dims is not None:
        n = int(np.prod(hue_sat_dims)) * 3
        tags.append((50937, LONG, 3, hue_sat_dims, True))  # ProfileHueSatMapDims
        for tag, phase in maps:
            table = profile_table(hue_sat_dims, 1.0 if phase else 0.6, phase)
            tags.append((tag, FLOAT, n, tuple(table.ravel()), True))
        tags.append((51107, LONG, 1, (int(hue_sat_dims[2] > 1),), True))  # ...Encoding
    if look_dims is not None:
        n = int(np.prod(look_dims)) * 3
        table = profile_table(look_dims, 1.5, 2.0)
        tags.append((50981, LONG, 3, look_dims, True))  # ProfileLookTableDims
        tags.append((50982, FLOAT, n, tuple(table.ravel()), True))  # ProfileLookTableData
        tags.append((51108, LONG, 1, (int(look_dims[2] > 1),), True))  # ...Encoding
    if profile_from is not None:
        profile = profile_tags_of(profile_from)
        if not profile_look:
            profile = [t for t in profile if t[0] not in (50981, 50982, 51108)]
        tags = [t for t in tags if t[0] not in PROFILE_TAGS] + profile
    if linear_render_copy:
        tags.append((50940, FLOAT, 4, (0.0, 0.0, 1.0, 1.0), True))  # ProfileToneCurve
        tags.append((51110, LONG, 1, (1,), True))  # DefaultBlackRender: None
    tifffile.imwrite(
        path, raw, photometric=32803, metadata=None, software="lsquared tests", extratags=tags
    )
    d65 = (0.3127, 0.3290)
    margin = PATCH // 4
    centres = [(y0 + margin, y1 - margin, x0 + margin, x1 - margin) for y0, y1, x0, x1 in boxes]
    return Chart(
        path=path,
        width=width,
        height=height,
        illuminant=illuminant,
        boxes=centres,
        truth_xyz_d65=patches @ bradford(white_xy, d65).T,
        as_shot_neutral=as_shot,
    )


def truth_xyz_d65(illuminant: str | float) -> np.ndarray:
    """The ColorChecker's XYZ under an illuminant, Bradford-adapted to D65."""
    patches, white = checker_xyz(illuminant)
    return patches @ bradford(white[:2] / white.sum(), (0.3127, 0.3290)).T


def delta_e(xyz_d65: np.ndarray, ref_xyz_d65: np.ndarray) -> np.ndarray:
    """CIEDE2000 between two sets of XYZ (D65 white, Y = 1 for the perfect white)."""
    c = colour()
    d65 = np.array([0.3127, 0.3290])
    lab, ref = c.XYZ_to_Lab(xyz_d65, d65), c.XYZ_to_Lab(ref_xyz_d65, d65)
    return np.asarray(c.delta_E(lab, ref, method="CIE 2000"))


def patch_means(pixels: np.ndarray, chart: Chart) -> np.ndarray:
    return np.array(
        [pixels[y0:y1, x0:x1].reshape(-1, 3).mean(axis=0) for y0, y1, x0, x1 in chart.boxes]
    )


def delta_e_after_gain(xyz_d65: np.ndarray, truth_xyz_d65: np.ndarray) -> np.ndarray:
    """CIEDE2000 (D65 white) of measured patches against the truth, after the one global
    gain that best fits the measured luminance to the truth's (least squares on Y)."""
    gain = np.sum(xyz_d65[:, 1] * truth_xyz_d65[:, 1]) / np.sum(xyz_d65[:, 1] ** 2)
    return delta_e(gain * xyz_d65, truth_xyz_d65)
