"""A local, linear stand-in for CIEDE2000 around a colour: the 3 x 3 matrix G with
|G dv| ~ dE00 for a small change dv of display code values, for weighting least-squares fits
by what a viewer sees (CIE 142-2001; Sharma, Wu & Dalal, Color Res. Appl. 30(1), 2005)."""

from __future__ import annotations

import numpy as np

from lsquared.color import scene, spaces, transfer

STEP = 1e-4  # finite-difference step in code values


def _lab(rec709_bt1886: np.ndarray) -> np.ndarray:
    linear = transfer.bt1886_decode(np.clip(rec709_bt1886, 0.0, 1.0))
    return scene.xyz_to_lab_d65(linear @ spaces.matrix("rec709", "xyz").T)


def delta_e2000_metric(rec709_bt1886: np.ndarray) -> np.ndarray:
    """M x 3 x 3: per colour (Rec.709 code values on a BT.1886 display), the matrix taking
    a small code-value change to (dL'/S_L, dC'/S_C, dH'/S_H) of CIEDE2000: the Lab
    Jacobian (central differences), a* stretched by 1 + G, then lightness, chroma and hue
    directions weighted by S_L, S_C, S_H. Rotation R_T (blues only) is left out."""
    v = np.clip(np.asarray(rec709_bt1886, np.float64), STEP, 1.0 - STEP)
    lab = _lab(v)
    jac = np.empty((len(v), 3, 3))
    for c in range(3):
        dv = np.zeros(3)
        dv[c] = STEP
        jac[:, :, c] = (_lab(v + dv) - _lab(v - dv)) / (2 * STEP)
    chroma = np.hypot(lab[:, 1], lab[:, 2])
    g = 0.5 * (1.0 - np.sqrt(chroma**7 / (chroma**7 + 25.0**7)))
    jac[:, 1, :] *= (1.0 + g)[:, None]
    a = lab[:, 1] * (1.0 + g)
    c_prime = np.hypot(a, lab[:, 2])
    coloured = c_prime > 1e-6  # near neutral any hue basis will do
    safe = np.where(coloured, c_prime, 1.0)
    cos, sin = np.where(coloured, a / safe, 1.0), np.where(coloured, lab[:, 2] / safe, 0.0)
    rotate = np.zeros((len(v), 3, 3))
    rotate[:, 0, 0] = 1.0
    rotate[:, 1, 1], rotate[:, 1, 2] = cos, sin
    rotate[:, 2, 1], rotate[:, 2, 2] = -sin, cos
    lightness = (lab[:, 0] - 50.0) ** 2
    s_l = 1.0 + 0.015 * lightness / np.sqrt(20.0 + lightness)
    s_c = 1.0 + 0.045 * c_prime
    s_h = 1.0 + 0.015 * c_prime
    scale = np.stack([1 / s_l, 1 / s_c, 1 / s_h], 1)[:, :, None]
    return scale * (rotate @ jac)
