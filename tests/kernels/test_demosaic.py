"""kernels.demosaic: Malvar-He-Cutler 2004, per-colour bilinear and Menon-Andriani-Calvagno
2007 equal colour-demosaicing's implementations of the same algorithms away from the borders (where they
mirror differently), for all four Bayer phases, and reproduce a smooth image; Menon's decision
rebuilds thin lines in both directions; bad input is refused with a clear ValueError."""

from __future__ import annotations

import numpy as np
import pytest

from lsquared.kernels.demosaic import MENON_BAND, bilinear, malvar2004, menon2007

colour_demosaicing = pytest.importorskip("colour_demosaicing")

PATTERNS = {"RGGB": [[0, 1], [1, 2]], "BGGR": [[2, 1], [1, 0]], "GRBG": [[1, 0], [2, 1]],
            "GBRG": [[1, 2], [0, 1]]}  # fmt: skip


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_matches_colour_demosaicing_inside_the_border(name):
    rng = np.random.default_rng(7)
    rgb = rng.random((40, 52, 3))
    cfa = colour_demosaicing.mosaicing_CFA_Bayer(rgb, name)
    reference = colour_demosaicing.demosaicing_CFA_Bayer_Malvar2004(cfa, name)
    ours = malvar2004(cfa, np.array(PATTERNS[name]))
    np.testing.assert_allclose(ours[2:-2, 2:-2], reference[2:-2, 2:-2], atol=1e-5)


@pytest.mark.parametrize(
    ("demosaic", "name", "border"), [(malvar2004, "RGGB", 2), (menon2007, "GBRG", 4)]
)
def test_a_smooth_image_comes_back(demosaic, name, border):
    """Inside its filters' reach of the edge, a smooth image is recovered within 2e-3."""
    yy, xx = np.mgrid[0:64, 0:80] / 80.0
    rgb = np.stack([0.3 + 0.2 * xx, 0.5 + 0.1 * yy, 0.2 + 0.1 * xx * yy], axis=-1)
    cfa = colour_demosaicing.mosaicing_CFA_Bayer(rgb, name)
    ours = demosaic(cfa, np.array(PATTERNS[name]))
    inside = (slice(border, -border), slice(border, -border))
    np.testing.assert_allclose(ours[inside], rgb[inside], atol=2e-3)


@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_bilinear_matches_colour_demosaicing_inside_the_border(name):
    rgb = np.random.default_rng(8).random((30, 44, 3))
    cfa = colour_demosaicing.mosaicing_CFA_Bayer(rgb, name)
    reference = colour_demosaicing.demosaicing_CFA_Bayer_bilinear(cfa, name)
    ours = bilinear(cfa, np.array(PATTERNS[name]))
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours[1:-1, 1:-1], reference[1:-1, 1:-1], atol=1e-6)


def test_bilinear_refuses_nan_samples():
    cfa = np.ones((8, 8), np.float32)
    cfa[3, 4] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        bilinear(cfa, np.array(PATTERNS["RGGB"]))


def test_rejects_what_is_not_a_bayer_pattern():
    with pytest.raises(ValueError, match="Bayer"):
        malvar2004(np.zeros((8, 8)), np.array([[0, 0], [1, 2]]))


# Menon, Andriani and Calvagno 2007


def _scene(shape, seed):
    """Random colour blocks with sharp edges in both directions plus fine noise, so that both
    directions win the decision somewhere."""
    rng = np.random.default_rng(seed)
    blocks = rng.random((shape[0] // 3 + 1, shape[1] // 5 + 1, 3))
    rgb = np.repeat(np.repeat(blocks, 3, axis=0), 5, axis=1)[: shape[0], : shape[1]]
    return np.clip(rgb + 0.05 * rng.random((*shape, 3)), 0, 1)


@pytest.mark.parametrize("refine", [True, False])
@pytest.mark.parametrize("name", sorted(PATTERNS))
def test_menon_matches_colour_demosaicing_inside_the_border(name, refine):
    cfa = colour_demosaicing.mosaicing_CFA_Bayer(_scene((48, 62), 11), name)
    reference = colour_demosaicing.demosaicing_CFA_Bayer_Menon2007(cfa, name, refine)
    ours = menon2007(cfa, np.array(PATTERNS[name]), refine)
    assert ours.dtype == np.float32
    np.testing.assert_allclose(ours[8:-8, 8:-8], reference[8:-8, 8:-8], atol=1e-4)


def test_menon_bands_join_without_a_seam():
    """Bands of MENON_BAND rows, demosaiced apart, give colour-demosaicing's whole-image
    result at and around the rows where they meet."""
    cfa = colour_demosaicing.mosaicing_CFA_Bayer(_scene((2 * MENON_BAND + 37, 40), 12), "GRBG")
    reference = colour_demosaicing.demosaicing_CFA_Bayer_Menon2007(cfa, "GRBG")
    ours = menon2007(cfa, np.array(PATTERNS["GRBG"]))
    np.testing.assert_allclose(ours[8:-8, 8:-8], reference[8:-8, 8:-8], atol=1e-4)


@pytest.mark.parametrize("along_rows", [True, False])
def test_menon_decides_the_direction_of_thin_lines(along_rows):
    """Neutral lines one sample wide every third sample are rebuilt exactly when the decision
    interpolates along them (in both directions); Malvar's isotropic filters cannot."""
    lines = np.tile(0.2 + 0.6 * (np.arange(60) % 3 == 0), (50, 1))
    rgb = np.repeat((lines if along_rows else lines.T)[..., None], 3, axis=2)
    cfa = colour_demosaicing.mosaicing_CFA_Bayer(rgb, "RGGB")
    inside = np.s_[6:-6, 6:-6]
    menon = menon2007(cfa, np.array(PATTERNS["RGGB"]))
    np.testing.assert_allclose(menon[inside], rgb[inside], atol=1e-6)
    assert np.abs(malvar2004(cfa, np.array(PATTERNS["RGGB"])) - rgb)[inside].max() > 0.1


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_menon_rejects_non_finite_samples(bad):
    cfa = np.full((16, 16), 0.5, np.float32)
    cfa[9, 3] = bad
    with pytest.raises(ValueError, match=r"NaN or infinite samples .*row 9"):
        menon2007(cfa, np.array(PATTERNS["RGGB"]))


@pytest.mark.parametrize(
    "pattern", [[[0, 0], [1, 2]], [[1, 1], [0, 2]], [[1, 0], [1, 2]], [[0, 1, 1, 2]], [[0, 1]]]
)
def test_menon_rejects_what_is_not_a_bayer_pattern(pattern):
    with pytest.raises(ValueError, match="Bayer"):
        menon2007(np.zeros((8, 8)), np.array(pattern))


@pytest.mark.parametrize("shape", [(2, 8), (8,), (4, 4, 3)])
def test_menon_rejects_what_is_not_a_cfa(shape):
    with pytest.raises(ValueError, match="CFA array"):
        menon2007(np.zeros(shape), np.array(PATTERNS["RGGB"]))
