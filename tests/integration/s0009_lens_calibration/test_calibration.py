"""Synthetic truth for `lsq lens calibrate`: chessboard and flat-field shots rendered
through a real lensfun profile (lensfun's Modifier is the truth, see tests/optics/
calib_synth.py); the written XML, loaded by lensfunpy, must reproduce that profile's maps
on a 24 MP frame. Shots are rendered at 1500 x 1000: the fitted model lives in lensfun's
normalised coordinates (r = 1 at half the shorter side), so it is resolution-independent
and its map is evaluated on the 6000 x 4000 grid."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import run_lsq
from tests.optics import calib_synth as cs

lensfunpy = pytest.importorskip("lensfunpy")
pytest.importorskip("cv2")

W, H = 1500, 1000
BW, BH = 6000, 4000
LENS, FOCAL = cs.PRIMES[0], 24.0
APERTURES = (1.8, 4.0)


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    folder = tmp_path_factory.mktemp("calib")
    charts = [
        cs.write_shot(folder / f"chart{i}.tif", cs.render_chart(LENS, FOCAL, W, H, pose, seed=i),
                      LENS, FOCAL, 4.0)
        for i, pose in enumerate(cs.POSES)
    ]  # fmt: skip
    flats = [
        cs.write_shot(folder / f"flat{a}_{k}.tif", cs.render_flat(LENS, FOCAL, a, W, H, seed=k),
                      LENS, FOCAL, a)
        for a in APERTURES for k in range(2)
    ]  # fmt: skip
    return folder, charts, flats


@pytest.fixture(scope="module")
def calibrated(shots):
    folder, charts, flats = shots
    out = folder / "profile.xml"
    result = run_lsq("lens", "calibrate", *charts, *flats, "--board", "11x7", "-o", out,
                     "--report", folder / "report")  # fmt: skip
    return result, out


def _loaded(xml):
    db = lensfunpy.Database(paths=[str(xml)], load_common=False, load_bundled=False)
    assert len(db.lenses) == 1
    return db.lenses[0]


def _modifier_points(lens, focal, w, h, xs, ys, flags=None):
    return cs.true_coordinates(lens, focal, w, h, *np.meshgrid(xs, ys), flags=flags)


def test_cli_writes_a_profile_lensfun_loads(calibrated):
    result, out = calibrated
    assert result.returncode == 0, result.stderr
    assert "distortion ptlens 24 mm" in result.stdout
    lens = _loaded(out)
    assert lens.model == LENS and "Leica L" in lens.mounts


def test_distortion_and_tca_match_the_true_profile_on_24mp(calibrated):
    """Through lensfun's own Modifier: the fitted profile against the database profile the
    shots were rendered with, on a 25 x 17 grid over a 6000 x 4000 frame."""
    _, out = calibrated
    xs, ys = np.linspace(0, BW - 1, 25), np.linspace(0, BH - 1, 17)
    fitted = _modifier_points(_loaded(out), FOCAL, BW, BH, xs, ys)
    truth = _modifier_points(cs.lens(LENS), FOCAL, BW, BH, xs, ys)
    err = np.hypot(*np.moveaxis(fitted[..., 1, :] - truth[..., 1, :], -1, 0))
    assert np.sqrt(np.mean(err**2)) <= 0.1 and err.max() <= 0.3, (err.std(), err.max())
    for c in (0, 2):
        lateral = (fitted[..., c, :] - fitted[..., 1, :]) - (truth[..., c, :] - truth[..., 1, :])
        assert np.hypot(*np.moveaxis(lateral, -1, 0)).max() <= 0.05


def test_without_a_fit_the_comparison_fails(calibrated):
    """The check can fail: no correction at all is pixels away from the truth."""
    xs, ys = np.linspace(0, BW - 1, 9), np.linspace(0, BH - 1, 7)
    truth = _modifier_points(cs.lens(LENS), FOCAL, BW, BH, xs, ys)
    xx, yy = np.meshgrid(xs, ys)
    assert np.hypot(truth[..., 1, 0] - xx, truth[..., 1, 1] - yy).max() > 5


def test_vignetting_gains_within_one_percent(calibrated):
    _, out = calibrated
    fitted = _loaded(out)
    for aperture in APERTURES:
        fitted_gain = cs.true_gain(fitted, FOCAL, aperture, 600, 400)
        truth = cs.true_gain(LENS, FOCAL, aperture, 600, 400)
        assert np.abs(fitted_gain / truth - 1).max() <= 0.01, aperture


def test_lsquared_maps_of_the_profile_equal_lensfuns(calibrated):
    """The written XML through lsquared's profile reader and maps against lensfun's
    Modifier loading the same file, within 0.01 px over a 6000 x 4000 frame (lensfun's
    correction evaluates the PTLens polynomial directly, without iteration; what is left
    is its float32 arithmetic, below 0.001 px)."""
    from lsquared.optics import lensdb
    from lsquared.optics import profile as optics

    _, out = calibrated
    xs, ys = np.linspace(0, BW - 1, 25), np.linspace(0, BH - 1, 17)
    ref = _modifier_points(_loaded(out), FOCAL, BW, BH, xs, ys)
    lens = lensdb.lookup_in_file(out, None)
    p = optics.from_lensfun(lens, FOCAL, 4.0, 1000.0)
    xx, yy = np.meshgrid(xs, ys)
    sx, sy = optics.source_coordinates(p, BW, BH, lens.crop_factor, xx, yy)
    for c in range(3):
        err = np.hypot(sx[c] - ref[..., c, 0], sy[c] - ref[..., c, 1])
        assert err.max() <= 0.01, (c, err.max())


def test_report_has_tables_and_plots(calibrated, shots):
    folder = shots[0] / "report"
    names = {p.name for p in folder.iterdir()}
    stem = LENS.replace(" ", "-").replace("/", "-").replace(".", "-")
    assert {f"{stem}-fits.csv", f"{stem}-distortion.png", f"{stem}-tca.png",
            f"{stem}-vignetting.png", f"{stem}-residuals.png"} <= names  # fmt: skip


def test_develop_uses_the_profile(calibrated, sim_dng, tmp_path):
    _, out = calibrated
    recipe = tmp_path / "r.toml"
    recipe.write_text(f'[lens]\nsource = "profile"\nprofile = "{out}"\n')
    result = run_lsq("develop", sim_dng.path, "-o", tmp_path / "a.tif", "--recipe", recipe,
                     "--explain")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert LENS in result.stdout


@pytest.fixture(scope="module")
def jpeg_pairs(tmp_path_factory):
    """Two RAW + in-camera JPEG pairs of scenes with sharp-edged shapes: the 'RAW' is the
    uncorrected recorded view (16-bit linear TIFF with EXIF, lateral CA, blur, noise); the
    JPEG the ideal view (distortion and TCA corrected) zoomed 3 % to hide the borders,
    resized to 1200 x 800, defocused and compressed at quality 90 (4:2:0)."""
    folder = tmp_path_factory.mktemp("pairs")
    files = []
    for seed in (1, 2):
        scene = cs.texture(W, H, seed, edges=True)
        files.append(cs.write_shot(folder / f"P{seed}.tif",
                                   cs.render_scene(LENS, FOCAL, W, H, scene, seed=seed),
                                   LENS, FOCAL, 5.6))  # fmt: skip
        files.append(cs.camera_jpeg(folder / f"P{seed}.jpg", W, H, scene, 1200, 800))
    return folder, files


def test_from_jpeg_recovers_the_distortion_on_24mp(jpeg_pairs):
    folder, files = jpeg_pairs
    out = folder / "fromjpeg.xml"
    result = run_lsq("lens", "calibrate", "--from-jpeg", *files, "-o", out)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("pair P") == 2 and "px RMS" in result.stdout
    fitted = _loaded(out)
    xs, ys = np.linspace(0, BW - 1, 25), np.linspace(0, BH - 1, 17)
    flags = lensfunpy.ModifyFlags.DISTORTION

    def points(lens):
        return _modifier_points(lens, FOCAL, BW, BH, xs, ys, flags)[..., 1, :]

    err = np.hypot(*np.moveaxis(points(fitted) - points(cs.lens(LENS)), -1, 0))
    assert np.sqrt(np.mean(err**2)) <= 0.2, (np.sqrt(np.mean(err**2)), err.max())
    # the JPEGs correct TCA: the RAWs' lateral colour is written, red and blue against
    # green within 0.05 px of the true profile's through lensfun's Modifier
    assert "tca        poly3" in result.stdout
    fitted_rgb = _modifier_points(fitted, FOCAL, BW, BH, xs, ys)
    truth_rgb = _modifier_points(cs.lens(LENS), FOCAL, BW, BH, xs, ys)
    for c in (0, 2):
        lateral = (fitted_rgb[..., c, :] - fitted_rgb[..., 1, :]) - (
            truth_rgb[..., c, :] - truth_rgb[..., 1, :]
        )
        assert np.hypot(*np.moveaxis(lateral, -1, 0)).max() <= 0.05, c


def test_a_jpeg_that_keeps_the_lateral_colour_gives_no_tca(tmp_path):
    """The camera corrected the distortion only (green's map for every channel): the
    JPEG keeps the lens's lateral colour, no TCA is written and the output says so."""
    scene = cs.texture(W, H, 4, edges=True)
    files = [
        cs.write_shot(tmp_path / "P4.tif", cs.render_scene(LENS, FOCAL, W, H, scene, seed=4),
                      LENS, FOCAL, 5.6),
        cs.camera_jpeg(tmp_path / "P4.jpg", W, H, scene, 1200, 800, keeps_tca=(LENS, FOCAL)),
    ]  # fmt: skip
    out = tmp_path / "kept.xml"
    result = run_lsq("lens", "calibrate", "--from-jpeg", *files, "-o", out)
    assert result.returncode == 0, result.stderr
    assert "not corrected by the JPEGs" in result.stdout, result.stdout
    assert _loaded(out).interpolate_tca(FOCAL) is None


@pytest.fixture(scope="module")
def bad_shots(shots, tmp_path_factory):
    folder = tmp_path_factory.mktemp("bad")
    _, charts, _ = shots
    scene = cs.texture(W, H, 3)
    bad = {
        "nochart": cs.write_shot(folder / "nochart.tif", cs.render_scene(LENS, FOCAL, W, H, scene),
                                 LENS, FOCAL, 4.0),
        "blurred": cs.write_shot(folder / "blurred.tif",
                                 cs.render_chart(LENS, FOCAL, W, H, cs.POSES[0], blur=25.0),
                                 LENS, FOCAL, 4.0),
        "clipped": cs.write_shot(folder / "clipped.tif",
                                 cs.render_flat(LENS, FOCAL, 4.0, W, H, level=1.6), LENS, FOCAL, 4.0),
        "body": cs.write_shot(folder / "body.tif", cs.render_chart(LENS, FOCAL, W, H, cs.POSES[1]),
                              LENS, FOCAL, 4.0, make="Leica Camera AG", model="LEICA SL2"),
        "zoom": cs.write_shot(folder / "zoom.tif", cs.render_chart(cs.ZOOM, 20.0, W, H, cs.POSES[0]),
                              cs.ZOOM, 20.0, 4.0),
    }  # fmt: skip
    return folder, charts, bad


def test_bad_shots_are_named_and_the_fit_goes_on(bad_shots):
    folder, charts, bad = bad_shots
    out = folder / "some.xml"
    result = run_lsq("lens", "calibrate", *charts[:5], *bad.values(), "--board", "11x7", "-o", out)
    assert result.returncode == 1, result.stderr
    lines = result.stderr.strip().splitlines()
    reasons = {
        "nochart": "no chessboard", "blurred": "too blurred", "clipped": "clipped",
        "body": "mixed bodies",
    }  # fmt: skip
    for key, reason in reasons.items():
        assert any(ln.startswith(f"lsq: {bad[key]}: ") and reason in ln for ln in lines), key
    assert any(ln.startswith(f"lsq: {cs.ZOOM}: too few focal lengths") for ln in lines)
    # neither a board nor lines: the line names both searches
    assert any(f"lsq: {bad['nochart']}: " in ln and "long straight lines" in ln for ln in lines)
    assert out.is_file() and len(_loaded_all(out)) == 2  # the prime and the zoom


def _loaded_all(xml):
    return lensfunpy.Database(paths=[str(xml)], load_common=False, load_bundled=False).lenses


def test_nothing_fitted_exits_2_without_a_profile(bad_shots):
    folder, _, bad = bad_shots
    out = folder / "none.xml"
    result = run_lsq("lens", "calibrate", bad["nochart"], bad["clipped"], "-o", out)
    assert result.returncode == 2
    assert "nothing could be fitted" in result.stderr and not out.exists()
