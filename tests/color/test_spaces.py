"""color.spaces and color.camera's tables, written out so that a develop need not import
colour-science, against colour-science itself: every space's matrix, every chromatic
adaptation, the CIE illuminants' chromaticities and Robertson's CCT and tint."""

from __future__ import annotations

import numpy as np
import pytest

from lsquared.color import camera, spaces
from lsquared.color._colour import colour

#: colour-science's names for our spaces
COLOUR_NAMES = {"rec709": "ITU-R BT.709", "p3": "Display P3", "rec2020": "ITU-R BT.2020",
                "ap0": "ACES2065-1", "ap1": "ACEScg", "vgamut": "V-Gamut"}  # fmt: skip


@pytest.mark.parametrize("name", sorted(COLOUR_NAMES))
def test_each_space_matches_colour_science(name):
    reference = colour().RGB_COLOURSPACES[COLOUR_NAMES[name]]
    np.testing.assert_allclose(spaces.primaries_xy(name), reference.primaries, atol=0)
    np.testing.assert_allclose(spaces.white_xy(name), reference.whitepoint, atol=0)
    # V-Gamut's published matrix is rounded to 6 places; the others are the RP 177 matrix
    np.testing.assert_allclose(spaces.rgb_to_xyz(name), reference.matrix_RGB_to_XYZ, atol=1e-6)


@pytest.mark.parametrize("cat", spaces.CATS)
def test_every_matrix_between_spaces_matches_colour_science(cat):
    c = colour()
    for src in COLOUR_NAMES:
        for dst in COLOUR_NAMES:
            reference = c.matrix_RGB_to_RGB(
                c.RGB_COLOURSPACES[COLOUR_NAMES[src]],
                c.RGB_COLOURSPACES[COLOUR_NAMES[dst]],
                chromatic_adaptation_transform=None if src == dst else cat,
            )
            np.testing.assert_allclose(spaces.matrix(src, dst, cat), reference, atol=5e-6)


@pytest.mark.parametrize("cat", spaces.CATS)
def test_adaptation_matches_colour_science(cat):
    a, b = camera.D50_XY, (0.44758, 0.40745)
    reference = colour().adaptation.matrix_chromatic_adaptation_VonKries(
        spaces.xy_to_xyz(a), spaces.xy_to_xyz(b), transform=cat
    )
    np.testing.assert_allclose(spaces.cat_matrix(a, b, cat), reference, atol=1e-12)


def test_unknown_names_are_refused():
    with pytest.raises(ValueError, match="primaries"):
        spaces.matrix("rec709", "adobe98")
    with pytest.raises(ValueError, match="adaptation"):
        spaces.cat_matrix(spaces.D65_XY, camera.D50_XY, "Sharp")


def test_cie_illuminants_match_colour_science():
    table = colour().CCS_ILLUMINANTS["CIE 1931 2 Degree Standard Observer"]
    for name, xy in camera.CIE_ILLUMINANT_XY.items():
        np.testing.assert_allclose(xy, table[name], atol=0, err_msg=name)


def test_robertson_cct_and_tint_match_colour_science():
    """Over 1700-30000 K and Duv +-0.02, made by colour-science's Ohno 2013 (an independent
    route), lsquared's Robertson CCT and tint equal colour-science's Robertson 1968."""
    c = colour()
    rng = np.random.default_rng(3)
    for kelvin, duv in rng.uniform((1700, -0.02), (30000, 0.02), (300, 2)):
        xy = c.UCS_uv_to_xy(c.temperature.CCT_to_uv_Ohno2013(np.array([kelvin, duv])))
        cct, tint = camera.xy_to_cct_tint(xy)
        ref_cct, ref_duv = c.temperature.uv_to_CCT_Robertson1968(c.xy_to_UCS_uv(xy))
        assert cct == pytest.approx(ref_cct, rel=1e-12)
        assert tint == pytest.approx(-3000.0 * ref_duv, abs=1e-9)
        assert cct == pytest.approx(kelvin, rel=0.01)  # the two methods agree near the locus
