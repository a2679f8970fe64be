"""Transfer functions (the numpy reference; the fused numba kernel mirrors these).

``encode`` maps scene- or display-linear light to the signal; ``decode`` is its inverse.
Each curve cites its defining document; published table values are doctests. Negative
input is mirrored (``sign(x) * f(|x|)``) for the power-law curves so that out-of-gamut
values survive a round trip, as OpenColorIO's mirrored gamma does.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

# --- IEC 61966-2-1:1999 (sRGB), section 5.2 and 5.3
SRGB_CUT_LINEAR = 0.0031308
SRGB_CUT_SIGNAL = 0.04045
# --- ITU-R BT.709-6, item 1.2 (OETF)
REC709_CUT_LINEAR = 0.018
REC709_CUT_SIGNAL = 0.081
# --- ITU-R BT.1886 (2011), Annex 1 with Lw = 1, Lb = 0: L = V ** 2.4
BT1886_GAMMA = 2.4
# --- Panasonic "V-Log/V-Gamut Reference Manual" (Nov. 28, 2014), section 3.1
VLOG_CUT1, VLOG_CUT2 = 0.01, 0.181
VLOG_B, VLOG_C, VLOG_D = 0.00873, 0.241514, 0.598206
# --- Leica "L-Log Reference Manual" (2022), L-Log curve
LLOG_CUT1, LLOG_CUT2 = 0.006, 0.138
LLOG_A, LLOG_B, LLOG_C, LLOG_D, LLOG_E, LLOG_F = 8.0, 0.09, 0.27, 1.3, 0.0115, 0.6
# --- Academy S-2016-001 (ACEScct), section 4.4
ACESCCT_X_BRK, ACESCCT_Y_BRK = 0.0078125, 0.155251141552511
ACESCCT_A, ACESCCT_B = 10.5402377416545, 0.0729055341958355
# --- SMPTE ST 2084:2014, equations 4.1/5.1; linear 1.0 = 100 cd/m2 (OpenColorIO convention)
PQ_M1, PQ_M2 = 2610 / 16384, 2523 / 4096 * 128
PQ_C1, PQ_C2, PQ_C3 = 3424 / 4096, 2413 / 4096 * 32, 2392 / 4096 * 32
PQ_NITS_PER_UNIT = 100.0
# --- ITU-R BT.2100-2, Table 5 (HLG OETF)
HLG_A = 0.17883277
HLG_B = 1 - 4 * HLG_A
HLG_C = 0.5 - HLG_A * np.log(4 * HLG_A)


def _mirror(f: Callable[[np.ndarray], np.ndarray], x) -> np.ndarray:
    x = np.asarray(x, dtype=np.float64)
    return np.sign(x) * f(np.abs(x))


def srgb_encode(x):
    """sRGB inverse EOTF, IEC 61966-2-1:1999 eq. (5); mirrored below zero.

    >>> float(np.round(srgb_encode(0.18), 4)), float(np.round(srgb_encode(1.0), 12))
    (0.4614, 1.0)
    """
    return _mirror(
        lambda a: np.where(a <= SRGB_CUT_LINEAR, 12.92 * a, 1.055 * np.power(a, 1 / 2.4) - 0.055),
        x,
    )


def srgb_decode(v):
    """sRGB EOTF, IEC 61966-2-1:1999 eq. (3); exact inverse of :func:`srgb_encode`.

    >>> float(np.round(srgb_decode(0.5), 4))
    0.214
    """
    return _mirror(
        lambda a: np.where(a <= SRGB_CUT_SIGNAL, a / 12.92, np.power((a + 0.055) / 1.055, 2.4)),
        v,
    )


def rec709_encode(x):
    """BT.709 OETF, ITU-R BT.709-6 part 1 item 1.2: 4.5 L below 0.018, else
    1.099 L^0.45 - 0.099; mirrored below zero.

    >>> float(np.round(rec709_encode(0.018), 3)), float(np.round(rec709_encode(1.0), 6))
    (0.081, 1.0)
    """
    return _mirror(
        lambda a: np.where(a < REC709_CUT_LINEAR, 4.5 * a, 1.099 * np.power(a, 0.45) - 0.099),
        x,
    )


def rec709_decode(v):
    """Inverse of the BT.709 OETF (ITU-R BT.709-6), exact inverse of :func:`rec709_encode`."""
    return _mirror(
        lambda a: np.where(a < REC709_CUT_SIGNAL, a / 4.5, np.power((a + 0.099) / 1.099, 1 / 0.45)),
        v,
    )


def bt1886_encode(x):
    """Inverse of the BT.1886 EOTF with Lw = 1, Lb = 0 (ITU-R BT.1886, Annex 1): V = L^(1/2.4).

    >>> float(np.round(bt1886_encode(0.18), 4))
    0.4894
    """
    return _mirror(lambda a: np.power(a, 1 / BT1886_GAMMA), x)


def bt1886_decode(v):
    """BT.1886 EOTF with Lw = 1, Lb = 0: L = V^2.4 (ITU-R BT.1886, Annex 1)."""
    return _mirror(lambda a: np.power(a, BT1886_GAMMA), v)


def vlog_encode(x):
    """Panasonic V-Log, "V-Log/V-Gamut Reference Manual" (2014) section 3.1:
    5.6 x + 0.125 below 0.01, else 0.241514 log10(x + 0.00873) + 0.598206.

    The manual's table: 0 %, 18 % and 90 % reflectance give 10-bit code values
    128, 433 and 602 (full range, value x 1023):

    >>> np.round(vlog_encode([0.0, 0.18, 0.90]) * 1023).astype(int).tolist()
    [128, 433, 602]
    """
    x = np.asarray(x, dtype=np.float64)
    safe = np.maximum(x, VLOG_CUT1)
    return np.where(x < VLOG_CUT1, 5.6 * x + 0.125, VLOG_C * np.log10(safe + VLOG_B) + VLOG_D)


def vlog_decode(v):
    """Inverse of :func:`vlog_encode` (same manual, section 3.2): cut at 0.181.

    >>> float(np.round(vlog_decode(433 / 1023), 3))
    0.18
    """
    v = np.asarray(v, dtype=np.float64)
    return np.where(
        v < VLOG_CUT2, (v - 0.125) / 5.6, np.power(10.0, (v - VLOG_D) / VLOG_C) - VLOG_B
    )


def llog_encode(x):
    """Leica L-Log, "L-Log Reference Manual" (2022): 8 x + 0.09 up to x = 0.006, else
    0.27 log10(1.3 x + 0.0115) + 0.6. L-Log is defined on BT.2020 primaries.

    The published curve is not continuous at its break: the linear segment ends at
    0.138 while the log segment starts at 0.13711, a downward step of about 0.0009
    (0.9 10-bit code values). We follow the formula exactly.

    Published values: 18 % reflectance -> 0.4353; 0 % -> 0.09 (10-bit 92):

    >>> float(np.round(llog_encode(0.18), 4)), int(np.round(llog_encode(0.0) * 1023))
    (0.4353, 92)
    """
    x = np.asarray(x, dtype=np.float64)
    safe = np.maximum(x, LLOG_CUT1)
    return np.where(
        x <= LLOG_CUT1,
        LLOG_A * x + LLOG_B,
        LLOG_C * np.log10(LLOG_D * safe + LLOG_E) + LLOG_F,
    )


def llog_decode(v):
    """Inverse of :func:`llog_encode`, the manual's decoding with its cut at 0.138.

    Because of the step at the break, signals in (0.13711, 0.138] have two preimages
    (one each side of 0.006); the manual decodes them on the linear segment, and so do we.
    Everywhere else this is the exact inverse.

    >>> float(np.round(llog_decode(0.4353), 4))
    0.18
    """
    v = np.asarray(v, dtype=np.float64)
    return np.where(
        v <= LLOG_CUT2,
        (v - LLOG_B) / LLOG_A,
        (np.power(10.0, (v - LLOG_F) / LLOG_C) - LLOG_E) / LLOG_D,
    )


def acescct_encode(x):
    """ACEScct, Academy S-2016-001 section 4.4.

    >>> float(np.round(acescct_encode(0.18), 4))
    0.4136
    """
    x = np.asarray(x, dtype=np.float64)
    safe = np.maximum(x, ACESCCT_X_BRK)
    return np.where(x <= ACESCCT_X_BRK, ACESCCT_A * x + ACESCCT_B, (np.log2(safe) + 9.72) / 17.52)


def acescct_decode(v):
    """Inverse ACEScct, Academy S-2016-001 section 4.5."""
    v = np.asarray(v, dtype=np.float64)
    return np.where(
        v <= ACESCCT_Y_BRK, (v - ACESCCT_B) / ACESCCT_A, np.power(2.0, v * 17.52 - 9.72)
    )


def pq_encode(x):
    """SMPTE ST 2084 inverse EOTF; linear 1.0 = 100 cd/m2, so 100.0 = 10000 cd/m2.

    >>> float(np.round(pq_encode(1.0), 4))  # 100 nits
    0.5081
    """
    y = np.clip(np.asarray(x, dtype=np.float64) * PQ_NITS_PER_UNIT / 10000.0, 0.0, None)
    ym = np.power(y, PQ_M1)
    return np.power((PQ_C1 + PQ_C2 * ym) / (1 + PQ_C3 * ym), PQ_M2)


def pq_decode(v):
    """SMPTE ST 2084 EOTF, returning linear with 1.0 = 100 cd/m2 (signal clamped to [0, 1])."""
    vp = np.power(np.clip(np.asarray(v, dtype=np.float64), 0.0, 1.0), 1 / PQ_M2)
    y = np.power(np.maximum(vp - PQ_C1, 0.0) / (PQ_C2 - PQ_C3 * vp), 1 / PQ_M1)
    return y * 10000.0 / PQ_NITS_PER_UNIT


def hlg_encode(x):
    """HLG OETF, ITU-R BT.2100-2 Table 5 (scene linear E in [0, 1]).

    >>> float(np.round(hlg_encode(1 / 12), 4)), float(np.round(hlg_encode(1.0), 4))
    (0.5, 1.0)
    """
    e = np.clip(np.asarray(x, dtype=np.float64), 0.0, None)
    return np.where(
        e <= 1 / 12,
        np.sqrt(3 * e),
        HLG_A * np.log(np.maximum(12 * e - HLG_B, 1e-12)) + HLG_C,
    )


def hlg_decode(v):
    """Inverse HLG OETF, ITU-R BT.2100-2 Table 5."""
    v = np.clip(np.asarray(v, dtype=np.float64), 0.0, None)
    return np.where(v <= 0.5, v * v / 3, (np.exp((v - HLG_C) / HLG_A) + HLG_B) / 12)


def linear(x):
    """The identity."""
    return np.asarray(x, dtype=np.float64)


#: transfer name -> (encode, decode)
TRANSFER_FUNCTIONS: dict[str, tuple[Callable, Callable]] = {
    "linear": (linear, linear),
    "srgb": (srgb_encode, srgb_decode),
    "rec709": (rec709_encode, rec709_decode),
    "bt1886": (bt1886_encode, bt1886_decode),
    "vlog": (vlog_encode, vlog_decode),
    "llog": (llog_encode, llog_decode),
    "acescct": (acescct_encode, acescct_decode),
    "pq": (pq_encode, pq_decode),
    "hlg": (hlg_encode, hlg_decode),
}


#: scene-linear level below which the toe takes a channel smoothly to black (it only needs to
#: make negative values meet 0 with slope 0; the shadows' roll-off is the luminance toe the
#: compiler puts before the tone curve, which keeps dark colours' channel ratios)
TONE_TOE = 0.002


def tone_curve(x, contrast: float = 1.15):
    """The display rendering's tone curve, applied per channel to display-primaries linear
    values; returns display-linear values in [0, 1).

    A Naka-Rushton (Michaelis-Menten) curve x^n / (x^n + k) (Naka & Rushton 1966; Reinhard
    et al., "Photographic tone reproduction", SIGGRAPH 2002) times a toe x^2 / (x^2 + t^2)
    with t = :data:`TONE_TOE`. k is chosen so that mid grey stays put,
    f(0.18) = 0.18; highlights approach 1 smoothly and never clip; ``contrast`` is n.
    The toe makes the display-encoded result smooth (C1, slope 0) at black, so that a 3D
    LUT baked from the rendering can follow it; negative (out-of-gamut) values map to 0.

    >>> float(np.round(tone_curve(0.18), 12)), bool(tone_curve(1e6) < 1.0)
    (0.18, True)
    """
    x = np.asarray(x, dtype=np.float64)
    k = tone_curve_k(contrast)
    xp = np.power(np.maximum(x, 0.0), contrast)
    x2 = np.maximum(x, 0.0) ** 2
    return np.where(x > 0, xp / (xp + k) * x2 / (x2 + TONE_TOE**2), 0.0)


def tone_curve_k(contrast: float, grey: float = 0.18) -> float:
    """The constant k of :func:`tone_curve` that keeps ``grey`` fixed (toe included)."""
    toe = grey**2 / (grey**2 + TONE_TOE**2)
    return float(grey**contrast * (toe / grey - 1.0))
