"""kernels.demosaic: Malvar-He-Cutler 2004 equals colour-demosaicing's implementation of the
same paper away from the borders (where the two mirror differently), for all four Bayer
phases, and reproduces a smooth image."""

from __future__ import annotations

import numpy as np
import pytest

from lsquared.kernels.demosaic import malvar2004

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


def test_a_smooth_image_comes_back():
    yy, xx = np.mgrid[0:64, 0:80] / 80.0
    rgb = np.stack([0.3 + 0.2 * xx, 0.5 + 0.1 * yy, 0.2 + 0.1 * xx * yy], axis=-1)
    cfa = colour_demosaicing.mosaicing_CFA_Bayer(rgb, "RGGB")
    ours = malvar2004(cfa, np.array(PATTERNS["RGGB"]))
    np.testing.assert_allclose(ours[2:-2, 2:-2], rgb[2:-2, 2:-2], atol=2e-3)


def test_rejects_what_is_not_a_bayer_pattern():
    with pytest.raises(ValueError, match="Bayer"):
        malvar2004(np.zeros((8, 8)), np.array([[0, 0], [1, 2]]))
