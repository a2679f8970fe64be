"""Camera colour: from camera RGB to CIE XYZ, following DNG specification 1.6, chapter 6
("Mapping Camera Color Space to CIE XYZ Space").

``XYZtoCamera = AB * CC * CM``, with CM and CC interpolated between the calibration
illuminants: two linearly in inverse correlated colour temperature, three (DNG 1.6) by
inverse-distance weights in (1/CCT, tint) space as Adobe's DNG SDK does. The scene white is
found from the camera neutral by fixed-point iteration. When the profile has ForwardMatrix
tags they take precedence: ``CameraToXYZ_D50 = FM * D * Inverse(AB * CC)``, D the diagonal
that maps the reference neutral to ones. Otherwise ``Inverse(XYZtoCamera)`` with a Bradford
adaptation from the scene white to the D50 PCS. Either way the camera neutral with its
largest channel at 1.0 (the clip level) maps to the PCS white at Y = 1, and our XYZ is the
PCS adapted (Bradford) to D65. ``BaselineExposure`` + ``BaselineExposureOffset`` are a gain
on top, as the DNG SDK applies them.
"""

from __future__ import annotations

import functools

import numpy as np

from lsquared.color._colour import colour
from lsquared.color.spaces import D65_XY, cat_matrix, xy_to_xyz
from lsquared.metadata import ColorCalibration, HueSatMap

#: the DNG profile connection space white, D50 (ICC.1:2010 and DNG 1.6 ch. 6)
D50_XY = (0.3457, 0.3585)
OTHER_LIGHT = 255  # EXIF LightSource "other": the IlluminantData tag says what it is
#: EXIF LightSource codes (EXIF 2.32, tag 0x9208) -> (name, nominal CCT in K, the CIE
#: illuminant whose chromaticity stands for it). Nominal CCTs: the standard illuminants'
#: rounded temperatures, the middle of the range EXIF gives each fluorescent class, as
#: Adobe's DNG SDK uses them (so dual-illuminant weights agree with Adobe's renderings).
LIGHT_SOURCES: dict[int, tuple[str, float, str]] = {
    1: ("daylight", 5500.0, "D55"),
    2: ("fluorescent", 4150.0, "FL2"),
    3: ("tungsten", 2850.0, "A"),
    4: ("flash", 5500.0, "D55"),
    9: ("fine weather", 5500.0, "D55"),
    10: ("cloudy weather", 6500.0, "D65"),
    11: ("shade", 7500.0, "D75"),
    12: ("daylight fluorescent (D 5700-7100 K)", 6400.0, "FL1"),
    13: ("day white fluorescent (N 4600-5500 K)", 5050.0, "FL8"),
    14: ("cool white fluorescent (W 3800-4500 K)", 4150.0, "FL9"),
    15: ("white fluorescent (WW 3250-3800 K)", 3525.0, "FL3"),
    16: ("warm white fluorescent (L 2600-3250 K)", 2925.0, "FL4"),
    17: ("standard light A", 2850.0, "A"),
    18: ("standard light B", 5500.0, "B"),
    19: ("standard light C", 6500.0, "C"),
    20: ("D55", 5500.0, "D55"),
    21: ("D65", 6500.0, "D65"),
    22: ("D75", 7500.0, "D75"),
    23: ("D50", 5000.0, "D50"),
    24: ("ISO studio tungsten", 3200.0, "ISO 7589 Studio Tungsten"),
}
DAYLIGHT_CCT = 5503.0  # D55, photographers' "daylight"
#: triple-illuminant weighting (DNG SDK ``CalculateTripleIlluminantWeights``): tint units
#: per distance unit, the temperature mapped to min(1500 / T, 1), weights below this dropped
TRIPLE_TINT_SCALE = 1.0 / 200.0
TRIPLE_MIN_WEIGHT = 0.02


def _matrix9(values) -> np.ndarray:
    return np.asarray(values, dtype=np.float64).reshape(3, 3)


#: Robertson's (1968) isotemperature lines, as tabulated by Wyszecki & Stiles, "Color
#: Science" (2nd ed., 1982), table 1(3.11): (reciprocal megakelvin, u, v, slope t) in the
#: CIE 1960 UCS; the 325 mired row's u as corrected by Lindbloom (0.24792)
ROBERTSON_LINES = np.array([
    (0, 0.18006, 0.26352, -0.24341), (10, 0.18066, 0.26589, -0.25479),
    (20, 0.18133, 0.26846, -0.26876), (30, 0.18208, 0.27119, -0.28539),
    (40, 0.18293, 0.27407, -0.30470), (50, 0.18388, 0.27709, -0.32675),
    (60, 0.18494, 0.28021, -0.35156), (70, 0.18611, 0.28342, -0.37915),
    (80, 0.18740, 0.28668, -0.40955), (90, 0.18880, 0.28997, -0.44278),
    (100, 0.19032, 0.29326, -0.47888), (125, 0.19462, 0.30141, -0.58204),
    (150, 0.19962, 0.30921, -0.70471), (175, 0.20525, 0.31647, -0.84901),
    (200, 0.21142, 0.32312, -1.0182), (225, 0.21807, 0.32909, -1.2168),
    (250, 0.22511, 0.33439, -1.4512), (275, 0.23247, 0.33904, -1.7298),
    (300, 0.24010, 0.34308, -2.0637), (325, 0.24792, 0.34655, -2.4681),
    (350, 0.25591, 0.34951, -2.9641), (375, 0.26400, 0.35200, -3.5814),
    (400, 0.27218, 0.35407, -4.3633), (425, 0.28039, 0.35577, -5.3762),
    (450, 0.28863, 0.35714, -6.7262), (475, 0.29685, 0.35823, -8.5955),
    (500, 0.30505, 0.35907, -11.324), (525, 0.31320, 0.35968, -15.628),
    (550, 0.32129, 0.36011, -23.325), (575, 0.32931, 0.36038, -40.770),
    (600, 0.33724, 0.36051, -116.45),
])  # fmt: skip


def xy_to_cct(xy) -> float:
    """Correlated colour temperature of a chromaticity by Robertson's (1968) isotemperature
    lines, the method the DNG SDK's ``dng_temperature`` uses."""
    return xy_to_cct_tint(xy)[0]


def xy_to_cct_tint(xy) -> tuple[float, float]:
    """(CCT, tint) of a chromaticity: Robertson (1968) CCT and Adobe's tint, 3000 times the
    signed distance along the interpolated isotemperature line (DNG SDK ``dng_temperature``).

    The chromaticity goes to the CIE 1960 UCS, u = 4x / (12y - 2x + 3), v = 6y / (...);
    its signed distance from each isotemperature line i, d_i = (v - v_i) du_i - (u - u_i)
    dv_i with (du_i, dv_i) = (1, t_i) / |(1, t_i)|, changes sign between the two lines
    that bracket it; the temperature's reciprocal is interpolated between theirs in the
    ratio of the distances (Wyszecki & Stiles 1982, section 3.11). Beyond the table's ends
    the last pair is extrapolated from."""
    x, y = (float(c) for c in xy)
    d = 12.0 * y - 2.0 * x + 3.0
    u, v = 4.0 * x / d, 6.0 * y / d
    mired, lu, lv, slope = ROBERTSON_LINES.T
    length = np.hypot(1.0, slope)
    du, dv = 1.0 / length, slope / length
    dist = (v - lv) * du - (u - lu) * dv
    below = np.nonzero(dist[1:] <= 0.0)[0]
    i = int(below[0]) + 1 if below.size else len(mired) - 1
    current, previous = -min(dist[i], 0.0), dist[i - 1]
    f = current / (previous + current) if i > 1 else 0.0
    cct = 1e6 / (mired[i - 1] * f + mired[i] * (1.0 - f))
    ou, ov = lu[i - 1] * f + lu[i] * (1.0 - f), lv[i - 1] * f + lv[i] * (1.0 - f)
    tu, tv = du[i] * (1.0 - f) + du[i - 1] * f, dv[i] * (1.0 - f) + dv[i - 1] * f
    norm = np.hypot(tu, tv)
    along = ((u - ou) * tu + (v - ov) * tv) / norm
    return float(cct), float(3000.0 * along)


def kelvin_tint_to_xy(kelvin: float, tint: float = 0.0) -> np.ndarray:
    """Chromaticity of a Planckian white at ``kelvin``, moved off the locus by ``tint``.

    Tint follows Adobe's convention (DNG SDK ``dng_temperature``): positive is magenta,
    one unit is 1/3000 of a CIE 1960 uv distance, so Duv = -tint / 3000 (Ohno 2013).
    """
    c = colour()
    uv = c.temperature.CCT_to_uv_Ohno2013(np.array([kelvin, -tint / 3000.0]))
    return np.asarray(c.UCS_uv_to_xy(uv), dtype=np.float64)


def daylight_xy(kelvin: float = DAYLIGHT_CCT) -> np.ndarray:
    """CIE daylight locus chromaticity (CIE 15:2004, eq. 3.3) at ``kelvin``."""
    return np.asarray(colour().temperature.CCT_to_xy_CIE_D(kelvin), dtype=np.float64)


#: CIE 1931 2-degree chromaticities of the illuminants EXIF light sources stand for (CIE
#: 15:2004, tables T.3 and T.8)
CIE_ILLUMINANT_XY = {
    "A": (0.44758, 0.40745), "B": (0.34842, 0.35161), "C": (0.31006, 0.31616),
    "D50": D50_XY, "D55": (0.33243, 0.34744), "D65": D65_XY,
    "D75": (0.29903, 0.31488), "FL1": (0.3131, 0.3371), "FL2": (0.3721, 0.3751),
    "FL3": (0.4091, 0.3941), "FL4": (0.4402, 0.4031), "FL8": (0.3458, 0.3586),
    "FL9": (0.3741, 0.3727),
}  # fmt: skip


@functools.cache
def _cie_illuminant_xy(name: str) -> tuple[float, float]:
    """A CIE illuminant's chromaticity; ISO 7589 studio tungsten's from colour-science."""
    if name in CIE_ILLUMINANT_XY:
        return CIE_ILLUMINANT_XY[name]
    table = colour().CCS_ILLUMINANTS["CIE 1931 2 Degree Standard Observer"]
    return tuple(float(v) for v in table[name])


def spectrum_xy(first_nm: float, step_nm: float, samples) -> np.ndarray:
    """Chromaticity of a sampled spectral power distribution, linearly interpolated and
    held at its ends, with the CIE 1931 2-degree observer (CIE 15:2004, eq. 7.1)."""
    cmfs = colour().MSDS_CMFS["CIE 1931 2 Degree Standard Observer"]
    wl = np.asarray(cmfs.wavelengths, dtype=np.float64)
    spd = np.interp(wl, first_nm + step_nm * np.arange(len(samples)), samples)
    xyz = spd @ np.asarray(cmfs.values, dtype=np.float64)
    return xyz[:2] / xyz.sum()


def illuminant_xy(cal: ColorCalibration, i: int) -> np.ndarray:
    """Chromaticity of calibration illuminant ``i`` (0-based): the IlluminantData of an
    "other" (255), the CIE illuminant standing for an EXIF code, D50 for unknown codes."""
    code = cal.illuminants[i]
    data = cal.illuminant_data[i] if i < len(cal.illuminant_data) else None
    if code == OTHER_LIGHT and data is not None:
        if data[0] == 0:
            return np.array(data[1:3])
        return spectrum_xy(data[1], data[2], data[3:])
    if code in LIGHT_SOURCES:
        return np.array(_cie_illuminant_xy(LIGHT_SOURCES[code][2]))
    return np.array(D50_XY)


def illuminant_cct(cal: ColorCalibration, i: int) -> float:
    """Nominal CCT of calibration illuminant ``i`` (0-based), 0 when unknown."""
    code = cal.illuminants[i]
    if code == OTHER_LIGHT and i < len(cal.illuminant_data) and cal.illuminant_data[i]:
        return xy_to_cct(illuminant_xy(cal, i))
    return LIGHT_SOURCES[code][1] if code in LIGHT_SOURCES else 0.0


def illuminant_count(cal: ColorCalibration) -> int:
    """How many illuminants the profile interpolates between: 3 with a third ColorMatrix,
    2 with a second whose illuminant differs in known CCT from the first, else 1."""
    n = len(cal.color_matrices)
    if n >= 3:
        return 3
    if n == 2:
        t1, t2 = illuminant_cct(cal, 0), illuminant_cct(cal, 1)
        if t1 > 0 and t2 > 0 and t1 != t2:
            return 2
    return 1


def _smoothstep(x: float) -> float:
    return x * x * (3.0 - 2.0 * x)


def _triple_weights(cal: ColorCalibration, white_xy) -> np.ndarray:
    """Weights of three illuminants for a white: inverse squared distances in a plane of
    (tint / 200, min(1500 / CCT, 1)), normalised, smoothed by 3x^2 - 2x^3, those below 0.02
    dropped and the rest stretched back to [0, 1], normalised again (DNG SDK 1.7.1's
    triple-illuminant rule, which DNG 1.6 leaves to the implementation)."""

    def point(xy) -> np.ndarray:
        cct, tint = xy_to_cct_tint(xy)
        return np.array([tint * TRIPLE_TINT_SCALE, min(1500.0 / cct, 1.0)])

    p = point(white_xy)
    d2 = np.array([np.sum((p - point(illuminant_xy(cal, i))) ** 2) for i in range(3)])
    w = 1.0 / (d2 + 1e-8)
    w = np.array([_smoothstep(v) for v in w / w.sum()])
    w = np.clip((w - TRIPLE_MIN_WEIGHT) / (1.0 - TRIPLE_MIN_WEIGHT), 0.0, 1.0)
    w = w / w.sum()
    w[2] = max(1.0 - w[0] - w[1], 0.0)
    return w


def illuminant_weights(cal: ColorCalibration, white_xy) -> np.ndarray:
    """Weight of each calibration illuminant's matrices for a scene white (DNG 1.6 ch. 6):
    one illuminant takes all; two are interpolated linearly in inverse CCT, clamped (the
    white's CCT beyond either end takes that end); three by :func:`_triple_weights`."""
    n = illuminant_count(cal)
    w = np.zeros(len(cal.color_matrices))
    if n == 1:
        w[0] = 1.0
    elif n == 2:
        t1, t2 = illuminant_cct(cal, 0), illuminant_cct(cal, 1)
        g = (1 / xy_to_cct(white_xy) - 1 / t2) / (1 / t1 - 1 / t2)
        w[0] = float(np.clip(g, 0.0, 1.0))
        w[1] = 1.0 - w[0]
    else:
        w[:3] = _triple_weights(cal, white_xy)
    return w


def _blend(matrices, weights: np.ndarray) -> np.ndarray:
    return sum(w * _matrix9(m) for w, m in zip(weights, matrices, strict=False) if w)


def _calibration(cal: ColorCalibration, weights: np.ndarray) -> np.ndarray:
    """``AB * CC`` at the given illuminant weights."""
    cc = _blend(cal.camera_calibrations, weights) if cal.camera_calibrations else np.eye(3)
    return np.diag(cal.analog_balance) @ cc


def xyz_to_camera(cal: ColorCalibration, white_xy) -> np.ndarray:
    """``AB * CC * CM`` for a scene white (DNG 1.6 ch. 6, "Translating White Balance xy to
    Camera Neutral")."""
    w = illuminant_weights(cal, white_xy)
    return _calibration(cal, w) @ _blend(cal.color_matrices, w)


def neutral_to_xy(cal: ColorCalibration, neutral, iterations: int = 30) -> np.ndarray:
    """The white chromaticity whose camera response is ``neutral`` (DNG 1.6 ch. 6,
    "Translating Camera Neutral Coordinates to White Balance xy"), by fixed-point iteration
    starting from D50; a two-value oscillation ends at the mean of the last two."""
    neutral = np.asarray(neutral, dtype=np.float64)
    xy = np.array(D50_XY)
    for i in range(iterations):
        xyz = np.linalg.solve(xyz_to_camera(cal, xy), neutral)
        new_xy = xyz[:2] / xyz.sum()
        if np.abs(new_xy - xy).sum() < 1e-9:
            return new_xy
        xy = new_xy if i < iterations - 1 else (new_xy + xy) / 2
    return xy


def xy_to_neutral(cal: ColorCalibration, xy) -> np.ndarray:
    """The camera neutral of a white of chromaticity ``xy``, largest channel 1."""
    n = xyz_to_camera(cal, xy) @ xy_to_xyz(xy)
    return n / n.max()


def normalized_forward_matrix(fm) -> np.ndarray:
    """A ForwardMatrix with its rows scaled so that camera (1, 1, 1) maps exactly to the D50
    PCS white (DNG 1.6 ch. 6: "the ForwardMatrix should map ... to the PCS white")."""
    fm = _matrix9(fm)
    return np.diag(xy_to_xyz(D50_XY) / fm.sum(axis=1)) @ fm


def _forward_matrix(cal: ColorCalibration, weights: np.ndarray) -> np.ndarray | None:
    """The interpolated, normalised ForwardMatrix; None if the profile has none. With two
    illuminants and one ForwardMatrix, that one is used alone (as the DNG SDK does)."""
    pairs = zip(weights, cal.forward_matrices, strict=False)
    fms = [(w, normalized_forward_matrix(m)) for w, m in pairs if m]
    if not fms:
        return None
    if len(fms) < illuminant_count(cal):
        return fms[0][1]
    return sum(w * m for w, m in fms)


def uses_forward_matrix(cal: ColorCalibration) -> bool:
    """Whether rendering goes through the ForwardMatrix tags (they take precedence)."""
    return any(cal.forward_matrices)


def camera_to_pcs(cal: ColorCalibration, white_xy) -> np.ndarray:
    """3x3 from camera RGB (not white balanced) to CIE XYZ D50, the DNG PCS (DNG 1.6 ch. 6,
    "Mapping Camera Color Space to CIE XYZ Space"), for a scene white ``white_xy``.

    The camera neutral of ``white_xy`` with its largest channel at 1 maps to the PCS white
    with Y = 1."""
    w = illuminant_weights(cal, white_xy)
    to_cam = _calibration(cal, w) @ _blend(cal.color_matrices, w)
    neutral = to_cam @ xy_to_xyz(white_xy)
    neutral = neutral / neutral.max()
    fm = _forward_matrix(cal, w)
    if fm is not None:
        to_reference = np.linalg.inv(_calibration(cal, w))
        reference_neutral = to_reference @ neutral
        return fm @ np.diag(1.0 / reference_neutral) @ to_reference
    m = cat_matrix(white_xy, D50_XY, "Bradford") @ np.linalg.inv(to_cam)
    return m / (m @ neutral)[1]


def camera_to_xyz_d65(cal: ColorCalibration, white_xy) -> np.ndarray:
    """3x3 from camera RGB (not white balanced) to CIE XYZ adapted to D65 (Bradford from
    the D50 PCS); BaselineExposure is not included (see :func:`baseline_gain`)."""
    return pcs_to_xyz_d65() @ camera_to_pcs(cal, white_xy)


def pcs_to_xyz_d65() -> np.ndarray:
    """Bradford from the D50 PCS to our D65-relative XYZ."""
    return cat_matrix(D50_XY, D65_XY, "Bradford")


#: XYZ (D50) -> linear ROMM RGB as ISO 22028-2:2013 publishes it (rounded to 4 places)
XYZ_TO_PROPHOTO = ((1.3460, -0.2556, -0.0511), (-0.5446, 1.5082, 0.0205), (0.0, 0.0, 1.2123))


def pcs_to_prophoto() -> np.ndarray:
    """XYZ D50 (the PCS) -> linear ProPhoto RGB (ROMM RGB, ISO 22028-2; white D50), the
    space the DNG SDK applies HueSatMap and LookTable in."""
    return np.array(XYZ_TO_PROPHOTO)


def baseline_gain(cal: ColorCalibration) -> float:
    """Linear gain of BaselineExposure (tag 50730) + BaselineExposureOffset (51109, DNG
    1.4): 2^EV, the DNG SDK's total baseline exposure."""
    return float(2.0 ** (cal.baseline_exposure_ev + cal.baseline_exposure_offset_ev))


def hue_sat_table(m: HueSatMap) -> np.ndarray:
    """A HueSatMap's entries as a (value, hue, saturation, 3) float64 array."""
    hue, sat, val = m.dims
    return np.asarray(m.data, dtype=np.float64).reshape(val, hue, sat, 3)


def hue_sat_map_for_white(cal: ColorCalibration, white_xy) -> np.ndarray | None:
    """The profile's HueSatMap table for a scene white: interpolated entry by entry with the
    matrices' illuminant weights when there is one per illuminant, else the single one."""
    maps = cal.hue_sat_maps
    if not maps:
        return None
    n = illuminant_count(cal)
    if len(maps) < n or n == 1 or any(m.dims != maps[0].dims for m in maps):
        return hue_sat_table(maps[0])
    w = illuminant_weights(cal, white_xy)
    return sum(wi * hue_sat_table(m) for wi, m in zip(w, maps, strict=False))


def describe_illuminant(cal: ColorCalibration, i: int) -> str:
    """E.g. ``"D65 (6500 K)"`` or ``"other (IlluminantData, 4012 K)"``."""
    code = cal.illuminants[i]
    name = LIGHT_SOURCES[code][0] if code in LIGHT_SOURCES else f"LightSource {code}"
    if code == OTHER_LIGHT:
        name = "other (IlluminantData)"
    cct = illuminant_cct(cal, i)
    return f"{name}, {cct:.0f} K" if cct else f"{name}, unknown CCT"
