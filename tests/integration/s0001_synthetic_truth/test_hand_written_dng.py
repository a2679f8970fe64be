"""A DNG written by hand (tifffile, tags by number; not ``io.dngwrite``) with ForwardMatrix
over an imperfect ColorMatrix, full-matrix CameraCalibration, AnalogBalance, two
illuminants, BaselineExposure(+Offset) and per-site GainMaps develops to its patches'
spectral truth; Adobe's DNG SDK reads it without a warning and renders it (linearly) as
lsquared does."""

from __future__ import annotations

import dataclasses
import os
import subprocess
from pathlib import Path

import numpy as np
import pytest

from lsquared import engine
from lsquared.color import spaces
from lsquared.pipeline.recipe import Recipe
from tests.integration.s0001_synthetic_truth.chart_dng import (
    BASELINE_EV,
    BASELINE_OFFSET_EV,
    CROP,
    PCS_XY,
    bradford,
    colour,
    delta_e_after_gain,
    patch_means,
    write_chart_dng,
)

RECIPE = Recipe().replace("output", space="linear-rec2020").replace("lens", source="none")
WHITE_FRACTION = 0.55  # of the raw range, for a perfect white (chart_dng)


def develop_xyz(path: Path, chart, recipe: Recipe = RECIPE, calibration_change=None):
    """Patch means of lsquared's development, as XYZ (D65)."""
    image = engine.load_source(path, recipe)
    if calibration_change is not None:
        cal = dataclasses.replace(image.metadata.calibration, **calibration_change)
        image = dataclasses.replace(image, metadata=image.metadata.with_(calibration=cal))
    out = engine.compile(recipe, image).apply(image).pixels
    return patch_means(out, chart) @ spaces.matrix("rec2020", "xyz").T


def tools() -> Path:
    value = os.environ.get("LSQ_TOOLS")
    if not value or not (Path(value) / "dng_reference").exists():
        pytest.skip("LSQ_TOOLS is not set (Adobe DNG SDK as dng_reference)")
    return Path(value) / "dng_reference"


def lens_shading(falloff: tuple[float, float, float, float]) -> tuple[np.ndarray, ...]:
    """Four per-site gain grids (R, G1, G2, B; 5 x 7 nodes over the image) that undo a
    radial shading of 1 / (1 + k r^2), r = 1 at the corners: a different k per CFA site, as
    lens vignetting and sensor crosstalk differ by colour."""
    gy, gx = np.meshgrid(np.linspace(-1, 1, 5), np.linspace(-1, 1, 7), indexing="ij")
    r2 = (gx**2 + gy**2) / 2
    return tuple((1 + k * r2).astype(np.float32) for k in falloff)


SHADING = lens_shading((0.7, 0.6, 0.62, 0.5))  # corners 38-41 % darker before the GainMaps
CORNER_PATCHES, CENTRE_PATCHES = [0, 5, 18, 23], [8, 9, 14, 15]  # of the 6 x 4 chart


@pytest.mark.parametrize("illuminant", ["A", "D65"])
def test_develops_to_the_spectral_truth(tmp_path, illuminant):
    """Shot under a calibration illuminant through lens shading that four per-site
    GainMaps (OpcodeList2, pitch 2) undo: median CIEDE2000 <= 0.3, p95 <= 1.5 after one
    global gain; every patch's exposure is the raw level times 2^(BaselineExposure +
    Offset), and each corner patch's within 5 % of the centre's."""
    assert min(g.max() for g in SHADING) >= 1.5  # the shading the GainMaps must undo
    chart = write_chart_dng(tmp_path / "chart.dng", illuminant, gains=SHADING)
    xyz = develop_xyz(chart.path, chart)
    de = delta_e_after_gain(xyz, chart.truth_xyz_d65)
    expected_y = (
        chart.truth_xyz_d65[:, 1] * WHITE_FRACTION * 2 ** (BASELINE_EV + BASELINE_OFFSET_EV)
    )
    exposure = xyz[:, 1] / expected_y
    corners = exposure[CORNER_PATCHES] / exposure[CENTRE_PATCHES].mean()
    print(f"\nhand-written DNG under {illuminant} vs truth: CIEDE2000 median "
          f"{np.median(de):.2f}, p95 {np.percentile(de, 95):.2f}; corner exposure / "
          f"centre's {corners.min():.3f}-{corners.max():.3f}")  # fmt: skip
    assert np.median(de) <= 0.3 and np.percentile(de, 95) <= 1.5, de.round(2)
    assert np.all(np.abs(corners - 1) <= 0.05), corners
    np.testing.assert_allclose(xyz[:, 1], expected_y, rtol=0.01, atol=0.001)


def test_the_imperfect_color_matrix_alone_would_miss(tmp_path):
    """The file's ColorMatrix is deliberately off: rendering through it instead of the
    ForwardMatrix misses the truth by far more than the thresholds (the test can fail)."""
    chart = write_chart_dng(tmp_path / "chart.dng", "A")
    xyz = develop_xyz(chart.path, chart, calibration_change={"forward_matrices": ()})
    assert np.median(delta_e_after_gain(xyz, chart.truth_xyz_d65)) > 1.0


def test_as_shot_white_xy_develops_like_the_neutral(tmp_path):
    """AsShotWhiteXY (the white as a chromaticity) gives the same rendering as the
    equivalent AsShotNeutral."""
    from lsquared.color import camera

    chart = write_chart_dng(tmp_path / "chart.dng", "D65")
    cal = engine.load_source(chart.path, RECIPE).metadata.calibration
    xy = camera.neutral_to_xy(cal, cal.as_shot_neutral)
    by_neutral = develop_xyz(chart.path, chart)
    by_xy = develop_xyz(chart.path, chart, calibration_change={"as_shot_white_xy": tuple(xy)})
    np.testing.assert_allclose(by_xy, by_neutral, rtol=1e-5, atol=1e-7)


def test_the_dng_sdk_reads_it_without_a_warning(tmp_path):
    reference = tools()
    chart = write_chart_dng(tmp_path / "chart.dng", "D50")
    run = subprocess.run([reference, chart.path], capture_output=True, text=True, check=False)
    assert run.returncode == 0 and "Warning" not in run.stderr + run.stdout, run.stderr


def sdk_xyz(tmp_path: Path, chart, **tables) -> np.ndarray:
    """Patch means of Adobe's linear rendering of a copy of the chart (identity tone curve,
    no black render; 16-bit linear ProPhoto), as XYZ (D65)."""
    import tifffile

    reference = tools()
    linear = write_chart_dng(
        tmp_path / "linear.dng", chart.illuminant, linear_render_copy=True, **tables
    )
    rendered = tmp_path / "sdk.tif"
    subprocess.run([reference, "-16", "-lin", "-tif", rendered, linear.path], check=True)
    sdk = tifffile.imread(rendered).astype(np.float64) / 65535.0
    full = np.zeros((chart.height, chart.width, 3))
    full[CROP : chart.height - CROP, CROP : chart.width - CROP] = sdk
    prophoto = colour().RGB_COLOURSPACES["ProPhoto RGB"].matrix_RGB_to_XYZ
    return patch_means(full, chart) @ prophoto.T @ bradford(PCS_XY, (0.3127, 0.3290)).T


@pytest.mark.parametrize("illuminant", ["A", "D50", "D65"])
def test_matches_the_dng_sdk_linear_rendering(tmp_path, illuminant):
    """Adobe's rendering of the same file agrees with lsquared's patch by patch (median
    CIEDE2000 <= 0.05, max <= 0.3, same exposure within 0.5 %), including under D50,
    between the two illuminants."""
    tools()
    chart = write_chart_dng(tmp_path / "chart.dng", illuminant)
    sdk = sdk_xyz(tmp_path, chart)
    ours = develop_xyz(chart.path, chart)
    de = delta_e_after_gain(ours, sdk)
    print(f"\nhand-written DNG under {illuminant}, lsquared vs the DNG SDK: CIEDE2000 median "
          f"{np.median(de):.3f}, max {de.max():.3f}")  # fmt: skip
    assert np.median(de) <= 0.05 and de.max() <= 0.3, de.round(3)
    np.testing.assert_allclose(ours[:, 1], sdk[:, 1], rtol=0.005)


@pytest.mark.parametrize(
    ("hue_sat_dims", "look_dims"),
    [((90, 30, 1), None), ((36, 8, 16), (36, 8, 16)), ((24, 6, 1), (36, 8, 1))],
    ids=["hsm-2.5d", "hsm-3d+look-3d", "hsm+look-2.5d"],
)
@pytest.mark.parametrize("look", [True, False], ids=["look-on", "look-off"])
def test_hue_sat_map_and_look_table_match_the_dng_sdk(tmp_path, hue_sat_dims, look_dims, look):
    """The HueSatMaps (interpolated between the two illuminants, here D50) are part of the
    colour; the LookTable applies when the recipe's ``[camera] look`` asks, as Adobe's
    renderer applies it (with it off, lsquared matches Adobe's rendering of the same file
    without the LookTable, and differs from the one with it)."""
    tools()
    tables = {"hue_sat_dims": hue_sat_dims, "look_dims": look_dims}
    chart = write_chart_dng(tmp_path / "chart.dng", "D50", **tables)
    recipe = RECIPE.replace("camera", look=look)
    ours = develop_xyz(chart.path, chart, recipe)
    expected = sdk_xyz(tmp_path, chart, **(tables if look else tables | {"look_dims": None}))
    de = delta_e_after_gain(ours, expected)
    assert np.median(de) <= 0.05 and de.max() <= 0.3, de.round(3)
    if look_dims is not None and not look:
        with_look = sdk_xyz(tmp_path, chart, **tables)
        assert np.median(delta_e_after_gain(ours, with_look)) > 0.5


@pytest.mark.parametrize("illuminant", ["D50", 4000.0, "FL11"], ids=str)
def test_three_illuminants_match_the_dng_sdk(tmp_path, illuminant):
    """A DNG 1.6 triple-illuminant profile (A, D65 and FL11 as "other" with IlluminantData)
    with three HueSatMaps: the weights, matrices and tables for whites between them agree
    with Adobe's rendering (median CIEDE2000 <= 0.05, max <= 0.3)."""
    tools()
    tables = {"third_illuminant": "FL11", "hue_sat_dims": (36, 8, 1)}
    chart = write_chart_dng(tmp_path / "chart.dng", illuminant, **tables)
    ours = develop_xyz(chart.path, chart)
    de = delta_e_after_gain(ours, sdk_xyz(tmp_path, chart, **tables))
    print(f"\nthree illuminants, shot under {illuminant}, lsquared vs the DNG SDK: CIEDE2000 "
          f"median {np.median(de):.3f}, max {de.max():.3f}")  # fmt: skip
    assert np.median(de) <= 0.05 and de.max() <= 0.3, de.round(3)


@pytest.mark.parametrize("look", [True, False], ids=["look-on", "look-off"])
def test_a_real_cameras_profile_matches_the_dng_sdk(tmp_path, samples, look):
    """The Sony A7R IV profile Adobe wrote into its sample DNG (ColorMatrix/ForwardMatrix
    1/2, CameraCalibration, a 90x30 HueSatMap per illuminant, a 36x8x16 LookTable) on this
    chart, between its illuminants (D50): lsquared agrees with Adobe's rendering, the
    LookTable per ``[camera] look`` (median CIEDE2000 <= 0.05, max <= 0.3)."""
    tools()
    source = samples / "dng-sdk" / "03_jxl_bayer_raw_integer.dng"
    if not source.exists():
        pytest.skip(f"{source} is missing")
    chart = write_chart_dng(tmp_path / "chart.dng", "D50", profile_from=source)
    ours = develop_xyz(chart.path, chart, RECIPE.replace("camera", look=look))
    sdk = sdk_xyz(tmp_path, chart, profile_from=source, profile_look=look)
    de = delta_e_after_gain(ours, sdk)
    print(f"\nSony A7R IV profile, look {'on' if look else 'off'}, lsquared vs the DNG SDK: "
          f"CIEDE2000 median {np.median(de):.3f}, max {de.max():.3f}")  # fmt: skip
    assert np.median(de) <= 0.05 and de.max() <= 0.3, de.round(3)
