"""Natural V-Log/V-Gamut frames for judging baked looks where people look, and the display
colour difference they are judged by.

The scene is built from the ColorChecker's spectral reflectances under D65 (colour-science's
"ColorChecker N Ohta" data integrated by ``color.scene``): the 24 patches themselves, and a
textured scene of random two-patch mixtures (a mixture of reflectances integrates to the same
mixture of XYZ, so these are physical surface colours), lit by a log-normal shading field
with a few specular highlights, at -2, 0 and +2 EV around an 18 % grey exposure. Skin-like
patches (dark and light skin) are drawn more often, as faces are in footage.
"""

from __future__ import annotations

import numpy as np

from lsquared.color import scene, spaces, transfer

EXPOSURES_EV = (-2.0, 0.0, 2.0)
SKIN_PATCHES = (0, 1)  # dark skin, light skin


def checker_vgamut() -> np.ndarray:
    """The 24 patches as linear V-Gamut, 18 % grey at 0.18 (D65, V-Gamut's white)."""
    _, xyz, white = scene.checker_xyz("D65")
    return (xyz / white[1]) @ spaces.matrix("xyz", "vgamut").T


def textured_vgamut(count: int, seed: int = 14) -> np.ndarray:
    """``count`` pixels of the textured scene as linear V-Gamut at 0 EV."""
    rng = np.random.default_rng(seed)
    patches = checker_vgamut()
    weights = np.ones(24)
    weights[list(SKIN_PATCHES)] = 4.0
    pick = rng.choice(24, size=(count, 2), p=weights / weights.sum())
    mix = rng.beta(0.5, 0.5, size=(count, 1))  # mostly near one surface, some blends
    surface = mix * patches[pick[:, 0]] + (1 - mix) * patches[pick[:, 1]]
    shading = np.exp(rng.normal(0.0, 0.7, size=(count, 1)))  # light falloff, +-1 EV
    specular = (rng.random((count, 1)) < 0.02) * rng.uniform(0.5, 4.0, (count, 1))
    return surface * shading + specular


def natural_vlog(count: int = 40_000) -> np.ndarray:
    """V-Log code values (N x 3, float32) of the chart and the textured scene at each of
    :data:`EXPOSURES_EV`, the chart's patches first."""
    linear = np.concatenate([checker_vgamut(), textured_vgamut(count)])
    frames = [linear * 2.0**ev for ev in EXPOSURES_EV]
    return np.clip(transfer.vlog_encode(np.concatenate(frames)), 0.0, 1.0).astype(np.float32)


def display_lab(rec709_bt1886: np.ndarray) -> np.ndarray:
    """CIE L*a*b* (D65) of Rec.709 code values on a BT.1886 display (gamma 2.4, black 0)."""
    linear = transfer.bt1886_decode(np.clip(rec709_bt1886, 0.0, 1.0))
    return scene.xyz_to_lab_d65(linear @ spaces.matrix("rec709", "xyz").T)


def display_delta_e(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """CIEDE2000 between two Rec.709/BT.1886 renderings of the same pixels."""
    return scene.delta_e_2000(display_lab(a), display_lab(b))
