"""Camera colour: from camera RGB to CIE XYZ, following DNG specification 1.6, chapter 6
("Mapping Camera Color Space to CIE XYZ Space").

``XYZtoCamera = AB * CC * CM``, with CM and CC interpolated between the two calibration
illuminants linearly in inverse correlated colour temperature; the scene white found from
the camera neutral by fixed-point iteration; then a Bradford adaptation from the scene white
to D65 (our XYZ is D65-relative, where the DNG PCS is D50). The result is scaled so that the
camera neutral with its largest channel at 1.0 (the clip level) maps to Y = 1, and
``BaselineExposure`` is applied on top, as the DNG SDK does.
"""

from __future__ import annotations

import numpy as np

from lsquared.color._colour import colour
from lsquared.color.spaces import D65_XY, cat_matrix, xy_to_xyz
from lsquared.metadata import ColorCalibration

#: EXIF LightSource codes (EXIF 2.32, tag 0x9208) -> correlated colour temperature in K
LIGHT_SOURCE_CCT = {
    1: 5500.0, 2: 4200.0, 3: 2856.0, 4: 5500.0, 9: 5500.0, 10: 6500.0, 11: 7500.0,
    12: 6430.0, 13: 5000.0, 14: 4150.0, 15: 3450.0, 16: 2940.0, 17: 2856.0, 18: 4874.0,
    19: 6774.0, 20: 5503.0, 21: 6504.0, 22: 7504.0, 23: 5003.0, 24: 3200.0,
}  # fmt: skip
DAYLIGHT_CCT = 5503.0  # D55, photographers' "daylight"


def _matrix9(values) -> np.ndarray:
    return np.asarray(values, dtype=np.float64).reshape(3, 3)


def xy_to_cct(xy) -> float:
    """Correlated colour temperature of a chromaticity by Robertson's (1968) isotemperature
    lines, the method the DNG SDK's ``dng_temperature`` uses (via colour-science)."""
    c = colour()
    uv = c.xy_to_UCS_uv(np.asarray(xy, dtype=np.float64))
    return float(c.temperature.uv_to_CCT_Robertson1968(uv)[0])


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


def _interpolation_weight(cal: ColorCalibration, cct: float) -> float:
    """Weight of matrix 1, linear in inverse CCT, clamped (DNG 1.6 ch. 6)."""
    if len(cal.color_matrices) < 2:
        return 1.0
    t1 = LIGHT_SOURCE_CCT.get(cal.illuminants[0], 5000.0)
    t2 = LIGHT_SOURCE_CCT.get(cal.illuminants[1], 6500.0)
    if abs(1 / t1 - 1 / t2) < 1e-12:
        return 1.0
    g = (1 / cct - 1 / t2) / (1 / t1 - 1 / t2)
    return float(np.clip(g, 0.0, 1.0))


def xyz_to_camera(cal: ColorCalibration, cct: float) -> np.ndarray:
    """``AB * CC * CM`` at ``cct`` (DNG 1.6 ch. 6, "Translating White Balance xy to Camera
    Neutral")."""
    g = _interpolation_weight(cal, cct)
    cms = [_matrix9(m) for m in cal.color_matrices]
    cm = cms[0] if len(cms) == 1 else g * cms[0] + (1 - g) * cms[1]
    ccs = [_matrix9(m) for m in cal.camera_calibrations] or [np.eye(3)]
    cc = ccs[0] if len(ccs) == 1 else g * ccs[0] + (1 - g) * ccs[1]
    return np.diag(cal.analog_balance) @ cc @ cm


def neutral_to_xy(cal: ColorCalibration, neutral, iterations: int = 30) -> np.ndarray:
    """The white chromaticity whose camera response is ``neutral`` (DNG 1.6 ch. 6,
    "Translating Camera Neutral Coordinates to White Balance xy"), by fixed-point iteration
    starting from D50."""
    neutral = np.asarray(neutral, dtype=np.float64)
    xy = np.array([0.3457, 0.3585])
    for _ in range(iterations):
        xyz = np.linalg.solve(xyz_to_camera(cal, xy_to_cct(xy)), neutral)
        new_xy = xyz[:2] / xyz.sum()
        if np.max(np.abs(new_xy - xy)) < 1e-9:
            return new_xy
        xy = new_xy
    return xy


def xy_to_neutral(cal: ColorCalibration, xy) -> np.ndarray:
    """The camera neutral of a white of chromaticity ``xy``, largest channel 1."""
    n = xyz_to_camera(cal, xy_to_cct(xy)) @ xy_to_xyz(xy)
    return n / n.max()


def camera_to_xyz_d65(cal: ColorCalibration, white_xy) -> np.ndarray:
    """3x3 from camera RGB (not white balanced) to CIE XYZ adapted to D65 (Bradford).

    Scaled so that the camera neutral of ``white_xy`` with its largest channel at 1 maps
    to Y = 1; BaselineExposure is not included (see :func:`baseline_gain`).
    """
    to_cam = xyz_to_camera(cal, xy_to_cct(white_xy))
    m = cat_matrix(white_xy, D65_XY, "Bradford") @ np.linalg.inv(to_cam)
    neutral = to_cam @ xy_to_xyz(white_xy)
    neutral = neutral / neutral.max()
    return m / (m @ neutral)[1]


def baseline_gain(cal: ColorCalibration) -> float:
    """Linear gain of the DNG BaselineExposure tag (DNG 1.6, tag 50730): 2^EV."""
    return float(2.0**cal.baseline_exposure_ev)
