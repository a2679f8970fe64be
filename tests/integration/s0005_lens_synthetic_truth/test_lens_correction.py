"""Synthetic truth for lens correction: a line grid seen through a real lens profile
(distortion, TCA, vignetting from the lensfun database) is straight and fringe-free again
after `--lens lensfun`; unknown lenses warn under `auto` and fail under an explicit source."""

from __future__ import annotations

import numpy as np
import pytest

from lsquared import engine, simulate
from lsquared.errors import LensError
from lsquared.optics import lensdb
from lsquared.optics import profile as optics
from lsquared.pipeline.recipe import Recipe
from tests.conftest import run_lsq

LENS = "Lumix S 20-60/F3.5-5.6"


def _line_measurements(img: np.ndarray, truth, half: int = 6, margin: int = 20):
    """For every grid line: the worst residual of a straight-line fit to the green
    channel's centroids, and the worst red/blue centroid offset from green. Rows within
    10 px of a crossing line are skipped (there the whole window is dark)."""
    h, w, _ = img.shape
    worst_fit = worst_fringe = 0.0
    for vertical, lines, perp, length, other in (
        (True, truth.grid_lines_x, truth.grid_lines_y, w, h),
        (False, truth.grid_lines_y, truth.grid_lines_x, h, w),
    ):
        ys = np.array(
            [y for y in range(margin, other - margin) if min(abs(y - p) for p in perp) > 10]
        )
        for x0 in lines:
            xi = round(x0)
            if xi - half < margin or xi + half >= length - margin:
                continue
            cents = []
            for y in ys:
                seg = (
                    img[y, xi - half : xi + half + 1]
                    if vertical
                    else img[xi - half : xi + half + 1, y]
                )
                weight = np.clip(np.maximum(seg[0], seg[-1]) - seg, 0, None)
                pos = np.arange(xi - half, xi + half + 1)[:, None]
                cents.append((weight * pos).sum(0) / np.maximum(weight.sum(0), 1e-12))
            c = np.array(cents)
            a = np.c_[np.ones_like(ys), ys]
            coef, *_ = np.linalg.lstsq(a, c[:, 1], rcond=None)
            worst_fit = max(worst_fit, np.abs(c[:, 1] - a @ coef).max())
            worst_fringe = max(
                worst_fringe, np.abs(c[:, 0] - c[:, 1]).max(), np.abs(c[:, 2] - c[:, 1]).max()
            )
    return worst_fit, worst_fringe


@pytest.fixture(scope="module")
def grid(tmp_path_factory):
    profile = optics.from_lensfun(lensdb.lookup(LENS), 20.0, 4.0, 1000.0)
    path = tmp_path_factory.mktemp("lens") / "grid.dng"
    return simulate.simulate(
        path, width=1200, height=800, scene_kind="grid", lens_profile=profile,
        focal_length_mm=20.0, f_number=4.0, line_sigma=2.0, noise=False,
    )  # fmt: skip


def _develop(truth, source: str) -> np.ndarray:
    recipe = (
        Recipe().replace("output", space="linear-srgb").replace("lens", source=source, scale=1.0)
    )
    image = engine.load_source(truth.path, recipe)
    return engine.compile(recipe, image).apply(image).pixels


def test_grid_is_straight_and_fringe_free_after_correction(grid):
    fit, fringe = _line_measurements(_develop(grid, "lensfun"), grid)
    assert fit <= 0.1 and fringe <= 0.1, (fit, fringe)


def test_without_correction_the_grid_is_bent(grid):
    """The test can fail: the same measurement on the uncorrected image is far off."""
    fit, _ = _line_measurements(_develop(grid, "none"), grid)
    assert fit > 1.0


def test_vignetting_is_corrected(grid):
    """Corner and centre of the flat grid background agree after correction (the lens
    darkens its corners by ~40 % at f/4)."""
    out = _develop(grid, "lensfun")[..., 1]
    centre = np.percentile(out[380:420, 560:640], 90)
    corner = np.percentile(out[60:100, 60:140], 90)
    assert abs(corner / centre - 1) < 0.02


def test_explain_reports_lens_and_source(grid):
    result = run_lsq("develop", grid.path, "-o", grid.path.with_suffix(".tif"), "--explain")
    assert result.returncode == 0, result.stderr
    assert "Lumix S 20-60" in result.stdout and "lensfun database" in result.stdout


def test_unknown_lens_warns_under_auto_and_fails_when_explicit(sim_dng, tmp_path):
    auto = run_lsq("develop", sim_dng.path, "-o", tmp_path / "a.tif")
    assert auto.returncode == 0
    warnings = [ln for ln in auto.stderr.splitlines() if ln.startswith("lsq: warning:")]
    assert len(warnings) == 1 and "no lens correction" in warnings[0]
    explicit = run_lsq("develop", sim_dng.path, "-o", tmp_path / "b.tif", "--lens", "lensfun")
    assert explicit.returncode == 2 and "lens" in explicit.stderr
    assert not (tmp_path / "b.tif").exists()


@pytest.fixture(scope="module")
def embedded(tmp_path_factory):
    """A DNG whose own opcodes (WarpRectilinear, FixVignetteRadial) describe its lens: 2 %
    barrel with +-0.1 % lateral CA, and a 40 % corner falloff."""
    warp = simulate.Warp(((1.0, 0.0, 0.021, 0.0), (1.0, 0.0, 0.02, 0.0), (1.0, 0.0, 0.019, 0.0)))
    return simulate.simulate(
        tmp_path_factory.mktemp("emb") / "embedded.dng", width=1200, height=800,
        scene_kind="grid", warp=warp, vignetting=simulate.Vignetting((0.4, 0.1, 0, 0, 0)),
        embed_opcodes=True, line_sigma=2.0, noise=False,
    )  # fmt: skip


def test_dng_warp_rectilinear_opcode_corrects_the_grid(embedded):
    recipe = Recipe().replace("output", space="linear-srgb").replace("lens", scale=1.0)
    image = engine.load_source(embedded.path, recipe)
    processor = engine.compile(recipe, image)
    assert any("embedded in the file" in n and "WarpRectilinear" in n for n in processor.notes)
    fit, fringe = _line_measurements(processor.apply(image).pixels, embedded)
    assert fit <= 0.1 and fringe <= 0.1, (fit, fringe)
    bent, _ = _line_measurements(_develop(embedded, "none"), embedded)
    assert bent > 1.0


def test_embedded_source_without_opcodes_is_an_error(sim_dng, tmp_path):
    result = run_lsq("develop", sim_dng.path, "-o", tmp_path / "e.tif", "--lens", "embedded")
    assert result.returncode == 2 and "embeds no lens correction" in result.stderr


def test_camera_shading_compensation_skips_vignetting(grid, tmp_path):
    """When the maker notes say the camera's shading compensation was on, lsquared does not
    correct vignetting a second time, and says so."""
    import shutil

    from lsquared.io.meta import add_exif

    copy = tmp_path / "shaded.dng"
    shutil.copy(grid.path, copy)
    add_exif(copy, {"Exif.Photo.FocalLengthIn35mmFilm": "20"})
    recipe = Recipe().replace("lens", source="lensfun")
    image = engine.load_source(copy, recipe)
    plain = engine.compile(recipe, image)
    assert any("vignetting (pa)" in n for n in plain.notes)
    shaded = engine.compile(
        recipe, image.metadata.with_(camera_corrected_vignetting=True), image.encoding
    )
    assert any("shading compensation already did" in n for n in shaded.notes)
    assert not any(type(op).__name__ == "GainMapOp" for op in shaded.program.geometry)


def test_crop_factor_of_the_recorded_frame_comes_from_35mm_equivalent(tmp_path):
    from lsquared.io.meta import add_exif, metadata_from_exif, read_exif

    truth = simulate.simulate(tmp_path / "apsc.dng", width=200, height=100, focal_length_mm=50.0)
    add_exif(truth.path, {"Exif.Photo.FocalLengthIn35mmFilm": "75"})
    md = metadata_from_exif(truth.path, read_exif(truth.path))
    assert md.crop_factor == pytest.approx(1.5)


RW2_ABC = (0.1236, 0.0206, -0.0237)  # the sample LX3's DistortionInfo terms (MANIFEST.md)


@pytest.fixture(scope="module")
def rw2_grid(tmp_path_factory):
    return simulate.simulate(
        tmp_path_factory.mktemp("rw2") / "rw2.dng", width=1200, height=800, scene_kind="grid",
        warp=simulate.Rw2Warp(RW2_ABC), line_sigma=2.0, noise=False,
    )  # fmt: skip


def test_rw2_distortion_info_straightens_a_grid_seen_through_its_model(rw2_grid):
    """A grid recorded through Ru = Rd + a Rd^3 + b Rd^5 + c Rd^7 (r = 1 at the corners, the
    LX3 sample's terms: 12 % barrel) is straight again when the metadata carries those terms
    (as io.meta reads them from a Panasonic RW2 whose correction flag is on)."""
    recipe = Recipe().replace("output", space="linear-srgb").replace("lens", scale=1.0)
    image = engine.load_source(rw2_grid.path, recipe)
    metadata = image.metadata.with_(rw2_distortion=RW2_ABC)
    processor = engine.compile(recipe, metadata, image.encoding)
    assert any("RW2 DistortionInfo" in n for n in processor.notes)
    fit, _ = _line_measurements(processor.apply(image).pixels, rw2_grid)
    assert fit <= 0.1, fit
    bent, _ = _line_measurements(_develop(rw2_grid, "none"), rw2_grid)
    assert bent > 1.0
    lensfun_first = recipe.replace("lens", source="lensfun")
    with pytest.raises(LensError):  # an explicit lensfun source ignores the tag
        engine.compile(lensfun_first, metadata, image.encoding)


def test_recorded_radius_solves_the_rw2_polynomial():
    ru = np.linspace(0, 1.2, 241)
    rd = optics.rw2_recorded_radius(RW2_ABC, ru)
    np.testing.assert_allclose(simulate.Rw2Warp(RW2_ABC).corrected_radius(0, rd), ru, atol=1e-12)
    assert (np.diff(rd) > 0).all()
