"""Colour-space registry: primaries by name, and 3x3 matrices between them.

Each space is its published primaries and white point; its RGB -> XYZ matrix is the
normalised primary matrix of SMPTE RP 177-1993 (section 3.3). Chromatic adaptation is a von
Kries scaling in a named cone space (Bradford by default, Lam 1985 / ICC.1:2010 Annex E).
Names follow :data:`lsquared.image.PRIMARIES`. Written out here rather than taken from
colour-science, whose import a develop would otherwise wait for; the tests check every
matrix against colour-science's.
"""

from __future__ import annotations

import functools

import numpy as np

D65_XY = (0.3127, 0.3290)
#: the ACES white (SMPTE ST 2065-1:2021, section 4.1), near D60
ACES_WHITE_XY = (0.32168, 0.33767)
#: our primaries name -> (red, green, blue chromaticities, white chromaticity): ITU-R
#: BT.709-6; Display P3 (SMPTE EG 432-1 primaries, D65 white); ITU-R BT.2020-2; ACES AP0
#: (SMPTE ST 2065-1) and AP1 (ACEScg, Academy S-2014-004); V-Gamut (Panasonic, "V-Log/V-Gamut
#: reference manual", 2014)
SPACES: dict[str, tuple[tuple[tuple[float, float], ...], tuple[float, float]]] = {
    "rec709": (((0.64, 0.33), (0.30, 0.60), (0.15, 0.06)), D65_XY),
    "p3": (((0.680, 0.320), (0.265, 0.690), (0.150, 0.060)), D65_XY),
    "rec2020": (((0.708, 0.292), (0.170, 0.797), (0.131, 0.046)), D65_XY),
    "ap0": (((0.7347, 0.2653), (0.0, 1.0), (0.0001, -0.0770)), ACES_WHITE_XY),
    "ap1": (((0.713, 0.293), (0.165, 0.830), (0.128, 0.044)), ACES_WHITE_XY),
    "vgamut": (((0.730, 0.280), (0.165, 0.840), (0.100, -0.030)), D65_XY),
}
#: cone (sharpened) spaces for von Kries adaptation, XYZ -> LMS: Bradford (Lam 1985);
#: CAT02 (CIE 159:2004); Hunt-Pointer-Estevez normalised to D65 (von Kries); CAT16 (Li et
#: al. 2017); XYZ scaling
CAT_SPACES = {
    "Bradford": ((0.8951, 0.2664, -0.1614), (-0.7502, 1.7135, 0.0367), (0.0389, -0.0685, 1.0296)),
    "CAT02": ((0.7328, 0.4296, -0.1624), (-0.7036, 1.6975, 0.0061), (0.0030, 0.0136, 0.9834)),
    "Von Kries": ((0.40024, 0.7076, -0.08081), (-0.2263, 1.16532, 0.0457), (0.0, 0.0, 0.91822)),
    "XYZ Scaling": ((1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0)),
    "CAT16": (
        (0.401288, 0.650173, -0.051461),
        (-0.250268, 1.204414, 0.045854),
        (-0.002079, 0.048952, 0.953127),
    ),
}
CATS = tuple(CAT_SPACES)


def _space(primaries: str):
    try:
        return SPACES[primaries]
    except KeyError:
        raise ValueError(
            f"no RGB colourspace for primaries {primaries!r}; valid: {sorted(SPACES)}"
        ) from None


def white_xy(primaries: str) -> np.ndarray:
    """The white point chromaticity of a space (``xyz`` means XYZ relative to D65)."""
    if primaries == "xyz":
        return np.array(D65_XY)
    return np.array(_space(primaries)[1], dtype=np.float64)


def primaries_xy(primaries: str) -> np.ndarray:
    """The 3 x 2 chromaticities of the red, green and blue primaries."""
    return np.array(_space(primaries)[0], dtype=np.float64)


def xy_to_xyz(xy) -> np.ndarray:
    """Chromaticity to XYZ with Y = 1 (CIE 15:2004, eq. 7.3)."""
    x, y = float(xy[0]), float(xy[1])
    return np.array([x / y, 1.0, (1.0 - x - y) / y])


def rgb_to_xyz(primaries: str) -> np.ndarray:
    """The normalised primary matrix (SMPTE RP 177-1993, 3.3): the primaries' XYZ at Y = 1
    as columns, each scaled so that RGB (1, 1, 1) is the white at Y = 1."""
    rgb, white = _space(primaries)
    columns = np.stack([xy_to_xyz(p) for p in rgb], axis=1)
    return columns * np.linalg.solve(columns, xy_to_xyz(white))


def cat_matrix(src_white_xy, dst_white_xy, cat: str = "Bradford") -> np.ndarray:
    """3x3 chromatic adaptation in XYZ from one white to another: von Kries scaling in the
    CAT's cone space, M^-1 diag(M w_dst / M w_src) M (Bradford per Lam 1985 as adopted by
    ICC.1:2010 Annex E)."""
    if cat not in CAT_SPACES:
        raise ValueError(f"unknown chromatic adaptation {cat!r}; valid: {CATS}")
    cone = np.array(CAT_SPACES[cat], dtype=np.float64)
    gain = (cone @ xy_to_xyz(dst_white_xy)) / (cone @ xy_to_xyz(src_white_xy))
    return np.linalg.inv(cone) @ np.diag(gain) @ cone


@functools.cache
def _matrix_cached(src: str, dst: str, cat: str) -> np.ndarray:
    if src == dst:
        return np.eye(3)
    to_xyz = np.eye(3) if src == "xyz" else rgb_to_xyz(src)
    from_xyz = np.eye(3) if dst == "xyz" else np.linalg.inv(rgb_to_xyz(dst))
    return from_xyz @ cat_matrix(white_xy(src), white_xy(dst), cat) @ to_xyz


def matrix(src: str, dst: str, cat: str = "Bradford") -> np.ndarray:
    """The 3x3 matrix taking linear ``src`` RGB to linear ``dst`` RGB, adapting whites by
    ``cat``. ``xyz`` stands for CIE XYZ relative to D65.

    >>> import numpy as np
    >>> np.round(matrix("rec709", "xyz")[1], 4).tolist()  # BT.709 luminance row (ITU-R BT.709-6)
    [0.2126, 0.7152, 0.0722]
    """
    return _matrix_cached(src, dst, cat).copy()
