"""Camera colour math (DNG 1.6 ch. 6) checked against colour-science and the simulator."""

from __future__ import annotations

import dataclasses

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
    """Weights linear in 1/CCT between the illuminants' nominal CCTs (A 2850 K, D65 6500 K),
    clamped beyond either end; the white's CCT by Robertson (1968) via colour-science."""
    cm_a, cm_d65 = np.eye(3) * 2, np.eye(3)
    cal = ColorCalibration((tuple(cm_a.ravel()), tuple(cm_d65.ravel())), (17, 21))
    assert camera.xyz_to_camera(cal, camera.kelvin_tint_to_xy(2000))[0, 0] == pytest.approx(2.0)
    assert camera.xyz_to_camera(cal, camera.kelvin_tint_to_xy(9000))[0, 0] == pytest.approx(1.0)
    mid = 1 / ((1 / 2850 + 1 / 6500) / 2)
    xy = camera.kelvin_tint_to_xy(mid)
    assert camera.xyz_to_camera(cal, xy)[0, 0] == pytest.approx(1.5, abs=2e-3)


@pytest.mark.parametrize("code", sorted(camera.LIGHT_SOURCES))
def test_every_exif_light_source_has_a_chromaticity_near_its_nominal_cct(code):
    """Each EXIF LightSource code maps to a CIE illuminant whose CCT (colour-science)
    lies within the range its nominal temperature stands for (fluorescent classes span up
    to +-700 K in EXIF 2.32)."""
    from lsquared.color._colour import colour

    cal = ColorCalibration((tuple(np.eye(3).ravel()),), (code,))
    xy = camera.illuminant_xy(cal, 0)
    c = colour()
    cct = c.temperature.xy_to_CCT(xy, method="Hernandez 1999")
    assert abs(cct - camera.illuminant_cct(cal, 0)) < 750


def test_other_illuminant_reads_its_illuminant_data_xy_or_spectrum():
    from lsquared.color._colour import colour

    xy_cal = ColorCalibration(
        (tuple(np.eye(3).ravel()),), (255,), illuminant_data=((0, 0.38, 0.37),)
    )
    np.testing.assert_allclose(camera.illuminant_xy(xy_cal, 0), [0.38, 0.37])
    c = colour()
    sd = c.sd_blackbody(4200, c.SpectralShape(380, 780, 10))
    spectrum = (1, 380.0, 10.0, *np.asarray(sd.values))
    cal = ColorCalibration((tuple(np.eye(3).ravel()),), (255,), illuminant_data=(spectrum,))
    assert camera.illuminant_cct(cal, 0) == pytest.approx(4200, abs=15)


def test_three_illuminants_weight_the_nearest_fully_and_sum_to_one():
    cms = tuple(tuple((np.eye(3) * k).ravel()) for k in (1.0, 2.0, 3.0))
    cal = ColorCalibration(cms, (17, 23, 21))  # A, D50, D65
    assert camera.illuminant_count(cal) == 3
    for i, xy in enumerate([camera.illuminant_xy(cal, i) for i in range(3)]):
        w = camera.illuminant_weights(cal, xy)
        assert w[i] == pytest.approx(1.0, abs=1e-6) and w.sum() == pytest.approx(1.0)
    w = camera.illuminant_weights(cal, camera.kelvin_tint_to_xy(4000))
    assert w.sum() == pytest.approx(1.0) and np.all(w >= 0) and w[0] > 0 and w[1] > 0


def test_forward_matrix_maps_the_neutral_to_the_d50_white_whatever_its_scale():
    """CameraToXYZ_D50 = FM D Inverse(AB CC): the camera neutral (largest channel 1) lands
    on the D50 PCS white, Y = 1, even when the written ForwardMatrix is not normalised."""
    fm = np.array([[0.6, 0.25, 0.1], [0.3, 0.8, -0.1], [0.05, -0.2, 0.9]]) * 1.3
    cc = np.array([[1.02, 0.03, 0.0], [0.01, 0.98, 0.02], [0.0, 0.02, 1.03]])
    cal = dataclasses.replace(
        CAL,
        forward_matrices=(tuple(fm.ravel()),),
        camera_calibrations=(tuple(cc.ravel()),),
        analog_balance=(1.1, 1.0, 0.9),
    )
    xy = camera.kelvin_tint_to_xy(3800)
    neutral = camera.xy_to_neutral(cal, xy)
    np.testing.assert_allclose(
        camera.camera_to_pcs(cal, xy) @ neutral, spaces.xy_to_xyz(camera.D50_XY), atol=1e-9
    )
    assert camera.uses_forward_matrix(cal)


def test_baseline_exposure_offset_adds_to_baseline_exposure():
    cal = dataclasses.replace(CAL, baseline_exposure_ev=0.5, baseline_exposure_offset_ev=-0.25)
    assert camera.baseline_gain(cal) == pytest.approx(2**0.25)


def test_hue_sat_maps_interpolate_with_the_matrix_weights():
    from lsquared.metadata import HueSatMap

    maps = tuple(HueSatMap((2, 2, 1), (k, 1.0, 1.0) * 4) for k in (10.0, 30.0))
    cms = (tuple((np.eye(3) * 2).ravel()), tuple(np.eye(3).ravel()))
    cal = ColorCalibration(cms, (17, 21), hue_sat_maps=maps)
    xy = camera.kelvin_tint_to_xy(4000)
    w = camera.illuminant_weights(cal, xy)
    table = camera.hue_sat_map_for_white(cal, xy)
    assert table.shape == (1, 2, 2, 3)
    np.testing.assert_allclose(table[..., 0], w[0] * 10 + w[1] * 30)
