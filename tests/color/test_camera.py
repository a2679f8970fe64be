"""Camera colour math (DNG 1.6 ch. 6) checked against colour-science and the simulator."""

from __future__ import annotations

import numpy as np
import pytest

from lsquared.color import camera, scene, spaces
from lsquared.metadata import ColorCalibration
from lsquared.simulate import CAMERA_MATRIX

CAL = ColorCalibration(color_matrices=(tuple(CAMERA_MATRIX.ravel()),), illuminants=(21,))


@pytest.mark.parametrize("illuminant", ["D65", "A", "D50", 3200.0])
def test_neutral_round_trips_to_the_illuminant_white(illuminant):
    _, _, white = scene.checker_xyz(illuminant)
    xy = white[:2] / white.sum()
    neutral = camera.xy_to_neutral(CAL, xy)
    np.testing.assert_allclose(camera.neutral_to_xy(CAL, neutral), xy, atol=1e-7)


def test_camera_white_maps_to_d65_with_unit_luminance():
    _, _, white = scene.checker_xyz("A")
    xy = white[:2] / white.sum()
    m = camera.camera_to_xyz_d65(CAL, xy)
    out = m @ camera.xy_to_neutral(CAL, xy)
    np.testing.assert_allclose(out, spaces.xy_to_xyz(spaces.D65_XY), atol=1e-9)


def test_kelvin_white_matches_colour_science_planckian_locus():
    from lsquared.color._colour import colour

    c = colour()
    ref = c.temperature.CCT_to_xy_Kang2002(4000)
    np.testing.assert_allclose(camera.kelvin_tint_to_xy(4000, 0.0), ref, atol=5e-4)


def test_two_illuminant_interpolation_weights_by_inverse_cct():
    cm_a, cm_d65 = np.eye(3) * 2, np.eye(3)
    cal = ColorCalibration((tuple(cm_a.ravel()), tuple(cm_d65.ravel())), (17, 21))
    assert camera.xyz_to_camera(cal, 2856.0)[0, 0] == pytest.approx(2.0)
    assert camera.xyz_to_camera(cal, 6504.0)[0, 0] == pytest.approx(1.0)
    mid = 1 / ((1 / 2856 + 1 / 6504) / 2)
    assert camera.xyz_to_camera(cal, mid)[0, 0] == pytest.approx(1.5)
