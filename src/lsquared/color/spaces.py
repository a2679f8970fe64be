"""Colour-space registry: primaries by name, and 3x3 matrices between them.

Matrices are derived with colour-science (``colour.matrix_RGB_to_RGB``) from each space's
published primaries and white point; the chromatic adaptation is named (Bradford by
default, Lam 1985 / ICC.1:2010 Annex E). Names follow :data:`lsquared.image.PRIMARIES`.
"""

from __future__ import annotations

import functools

import numpy as np

from lsquared.color._colour import colour

#: our primaries name -> colour-science RGB colourspace name
COLOURSPACE_NAMES = {
    "rec709": "ITU-R BT.709",
    "p3": "Display P3",
    "rec2020": "ITU-R BT.2020",
    "ap0": "ACES2065-1",
    "ap1": "ACEScg",
    "vgamut": "V-Gamut",
}
CATS = ("Bradford", "CAT02", "Von Kries", "XYZ Scaling", "CAT16")
D65_XY = (0.3127, 0.3290)


def colourspace(primaries: str):
    """The colour-science ``RGB_Colourspace`` for one of our primaries names."""
    try:
        return colour().RGB_COLOURSPACES[COLOURSPACE_NAMES[primaries]]
    except KeyError:
        raise ValueError(
            f"no RGB colourspace for primaries {primaries!r}; valid: {sorted(COLOURSPACE_NAMES)}"
        ) from None


def white_xy(primaries: str) -> np.ndarray:
    """The white point chromaticity of a space (``xyz`` means XYZ relative to D65)."""
    if primaries == "xyz":
        return np.array(D65_XY)
    return np.asarray(colourspace(primaries).whitepoint, dtype=np.float64)


def primaries_xy(primaries: str) -> np.ndarray:
    """The 3 x 2 chromaticities of the red, green and blue primaries."""
    return np.asarray(colourspace(primaries).primaries, dtype=np.float64)


def xy_to_xyz(xy) -> np.ndarray:
    """Chromaticity to XYZ with Y = 1 (CIE 15:2004, eq. 7.3)."""
    x, y = float(xy[0]), float(xy[1])
    return np.array([x / y, 1.0, (1.0 - x - y) / y])


def cat_matrix(src_white_xy, dst_white_xy, cat: str = "Bradford") -> np.ndarray:
    """3x3 chromatic adaptation in XYZ from one white to another (von Kries in the CAT's cone
    space; Bradford per Lam 1985 as adopted by ICC.1:2010 Annex E)."""
    if cat not in CATS:
        raise ValueError(f"unknown chromatic adaptation {cat!r}; valid: {CATS}")
    c = colour()
    return np.asarray(
        c.adaptation.matrix_chromatic_adaptation_VonKries(
            xy_to_xyz(src_white_xy), xy_to_xyz(dst_white_xy), transform=cat
        ),
        dtype=np.float64,
    )


@functools.cache
def _matrix_cached(src: str, dst: str, cat: str) -> np.ndarray:
    if src == dst:
        return np.eye(3)
    if src == "xyz":
        adapt = cat_matrix(white_xy("xyz"), white_xy(dst), cat)
        return np.asarray(colourspace(dst).matrix_XYZ_to_RGB) @ adapt
    if dst == "xyz":
        adapt = cat_matrix(white_xy(src), white_xy("xyz"), cat)
        return adapt @ np.asarray(colourspace(src).matrix_RGB_to_XYZ)
    return np.asarray(
        colour().matrix_RGB_to_RGB(
            colourspace(src), colourspace(dst), chromatic_adaptation_transform=cat
        ),
        dtype=np.float64,
    )


def matrix(src: str, dst: str, cat: str = "Bradford") -> np.ndarray:
    """The 3x3 matrix taking linear ``src`` RGB to linear ``dst`` RGB, adapting whites by
    ``cat``. ``xyz`` stands for CIE XYZ relative to D65.

    >>> import numpy as np
    >>> np.round(matrix("rec709", "xyz")[1], 4).tolist()  # BT.709 luminance row (ITU-R BT.709-6)
    [0.2126, 0.7152, 0.0722]
    """
    return _matrix_cached(src, dst, cat).copy()
