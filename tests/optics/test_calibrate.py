"""Lens calibration fits against lensfun's own Modifier, for real L-mount profiles: the
LUMIX S 20-60 zoom at 20, 40 and 60 mm and the LUMIX S 24 and 85 mm primes.

Fitted models are compared on a 6000 x 4000 grid: they live in lensfun's normalised
coordinates (r = 1 at half the shorter side), so shots rendered or measured at 1500 x 1000
give a resolution-independent model."""

from __future__ import annotations

import numpy as np
import pytest

from lsquared.optics import profile as optics
from lsquared.optics.calibrate import fit, lensfunxml
from tests.optics import calib_synth as cs

lensfunpy = pytest.importorskip("lensfunpy")
pytest.importorskip("cv2")

W, H = 1500, 1000
BW, BH = 6000, 4000
XS, YS = np.linspace(0, BW - 1, 25), np.linspace(0, BH - 1, 17)
IDS = [f"{name.split('/')[0]} {focal:g}mm" for name, focal in cs.CASES]


def _board():
    cols, rows = cs.PATTERN
    return np.stack(np.meshgrid(np.arange(cols), np.arange(rows)), -1).reshape(-1, 2).astype(float)


def _map_errors(name, focal, distortion, tca):
    """Green-channel distortion error and red/blue lateral (TCA) error of a fitted
    profile's map against lensfun's Modifier for the true profile, 6000 x 4000."""
    truth = cs.true_coordinates(name, focal, BW, BH, *np.meshgrid(XS, YS))
    p = fit.Frame(BW, BH).profile(distortion, tca)
    sx, sy = optics.source_coordinates(p, BW, BH, 1.0, *np.meshgrid(XS, YS))
    ours = np.stack([np.moveaxis(sx, 0, -1), np.moveaxis(sy, 0, -1)], axis=-1)
    dist = np.hypot(*np.moveaxis(ours[..., 1, :] - truth[..., 1, :], -1, 0))
    shift = (ours - ours[..., 1:2, :]) - (truth - truth[..., 1:2, :])  # against green
    lateral = [np.hypot(*np.moveaxis(shift[..., c, :], -1, 0)) for c in (0, 2)]
    return dist, np.maximum(*lateral)


@pytest.mark.parametrize(("name", "focal"), cs.CASES, ids=IDS)
def test_fits_recover_lensfun_profiles_from_measured_corners(name, focal):
    """Corner positions from lensfun's Modifier, nine board poses, with the errors corner
    refinement has on the rendered shots: 0.02 px per corner shared by the channels (the
    board's own blur and sampling) and 0.01 px per channel (noise; the TCA fit's residual
    on rendered shots is 0.011 px)."""
    rng = np.random.default_rng(7)
    views, channels = [], [[], [], []]
    for pose in cs.POSES:
        u = cs.board_corners(cs.board_homography(focal, W, H, pose))
        rec = cs.true_coordinates(name, focal, W, H, u[:, 0], u[:, 1])
        rec = rec + rng.normal(0, 0.02, (len(u), 1, 2)) + rng.normal(0, 0.01, rec.shape)
        views.append((_board(), rec[:, 1]))
        for c in range(3):
            channels[c].append(rec[:, c])
    frame = fit.Frame(W, H)
    d = fit.fit_distortion(frame, views)
    r, g, b = (np.concatenate(c) for c in channels)
    t = fit.fit_tca(frame, g, r, b)
    dist, lateral = _map_errors(name, focal, (d.model, d.terms), (t.model, t.terms))
    assert np.sqrt(np.mean(dist**2)) <= 0.1 and dist.max() <= 0.3, (dist.std(), dist.max())
    assert lateral.max() <= 0.05, lateral.max()
    untouched, _ = _map_errors(name, focal, None, None)
    assert untouched.max() > 3  # the check can fail: no model is pixels off


@pytest.mark.parametrize("focal", [20.0, 40.0, 60.0])
def test_vignetting_fit_on_flat_fields(focal):
    for aperture in (4.0, 8.0):
        shots = [fit.radial_bins(cs.render_flat(cs.ZOOM, focal, aperture, 750, 500, seed=k)
                                 .mean(axis=-1)) for k in range(2)]  # fmt: skip
        k1, k2, k3 = fit.fit_vignetting(shots).terms
        yy, xx = np.mgrid[0:500, 0:750]
        r = np.hypot(xx - 374.5, yy - 249.5) / (np.hypot(749, 499) / 2)
        gain = 1 / (1 + k1 * r**2 + k2 * r**4 + k3 * r**6)
        truth = cs.true_gain(cs.ZOOM, focal, aperture, 750, 500)
        assert np.abs(gain / truth - 1).max() <= 0.01, (focal, aperture)
        assert np.abs(truth - 1).max() > 0.1  # a real falloff to recover


POLY3_LENS = """<lensdatabase version="1"><lens><maker>Test</maker><model>Poly 28mm</model>
<mount>Leica L</mount><cropfactor>1</cropfactor><calibration>
<distortion model="poly3" focal="28" k1="-0.021"/></calibration></lens></lensdatabase>"""


def test_poly3_model(tmp_path):
    """lensfun's poly3 (k1) through a hand-written profile."""
    xml = tmp_path / "poly3.xml"
    xml.write_text(POLY3_LENS)
    lens = lensfunpy.Database(paths=[str(xml)], load_common=False, load_bundled=False).lenses[0]
    views = []
    for pose in cs.POSES[:5]:
        u = cs.board_corners(cs.board_homography(28.0, W, H, pose))
        rec = cs.true_coordinates(lens, 28.0, W, H, u[:, 0], u[:, 1],
                                  flags=lensfunpy.ModifyFlags.DISTORTION)  # fmt: skip
        views.append((_board(), rec[:, 1]))
    d = fit.fit_distortion(fit.Frame(W, H), views, model="poly3")
    assert d.terms[0] == pytest.approx(-0.021, abs=2e-5)


@pytest.mark.parametrize("version", [1, 2])
def test_written_xml_is_what_lensfun_reads(tmp_path, version):
    from lsquared.optics import lensdb

    cal = lensfunxml.LensCalibration("Panasonic", "LUMIX S 24-105/F4", "Leica L", 1.0, 6000, 4000)
    cal.distortion = {24.0: ("ptlens", (0.01, -0.03, 0.02)), 105.0: ("ptlens", (0, -0.004, 0))}
    cal.tca = {24.0: ("poly3", (1.0002, 0.9998, 0.0, 0.0, 1e-4, -1e-4))}
    cal.vignetting = {(24.0, 4.0): (-0.5, 0.2, -0.1)}
    path = lensfunxml.write([cal], tmp_path / "lens.xml", version=version)
    assert f'version="{version}"' in path.read_text()
    lens = lensdb.lookup_in_file(path, None)  # converts version 2 as for imports
    assert lens.model == "LUMIX S 24-105/F4" and lens.mounts == ["Leica L"]
    assert list(lens.interpolate_distortion(24.0).terms) == pytest.approx([0.01, -0.03, 0.02])
    assert list(lens.interpolate_distortion(105.0).terms) == pytest.approx([0, -0.004, 0])
    assert list(lens.interpolate_tca(24.0).terms) == pytest.approx(
        [1.0002, 0.9998, 0, 0, 1e-4, -1e-4]
    )
    vig = lens.interpolate_vignetting(24.0, 4.0, 10.0)
    assert list(vig.terms)[:3] == pytest.approx([-0.5, 0.2, -0.1])


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """Every case's chessboard shots (nine poses) and flat fields (two apertures) as
    16-bit TIFFs with EXIF, calibrated in one run of the Python API."""
    from lsquared.optics import calibrate

    folder = tmp_path_factory.mktemp("cases")
    paths = []
    for name, focal in cs.CASES:
        tag = f"{name.split('/')[0].replace(' ', '')}_{focal:g}"
        for i, pose in enumerate(cs.POSES):
            paths.append(cs.write_shot(folder / f"{tag}_chart{i}.tif",
                                       cs.render_chart(name, focal, W, H, pose, seed=i),
                                       name, focal, 4.0))  # fmt: skip
        for aperture in (4.0, 8.0):
            paths.append(cs.write_shot(folder / f"{tag}_flat{aperture:g}.tif",
                                       cs.render_flat(name, focal, aperture, W, H),
                                       name, focal, aperture))  # fmt: skip
    result = calibrate.calibrate(paths, calibrate.Options(pattern=cs.PATTERN))
    return {lens.calibration.model: lens for lens in result.lenses}, result


@pytest.mark.slow
@pytest.mark.parametrize(("name", "focal"), cs.CASES, ids=IDS)
def test_rendered_shots_give_the_true_profile(rendered, name, focal):
    """The full path on rendered shots (pinhole views of a board at 3D poses covering the
    frame to its corners, blur 1.4 px, noise, lateral CA, vignetting flat fields)."""
    lenses, result = rendered
    assert not result.problems, result.problems
    lens = lenses[name]
    d, t = lens.distortion[focal], lens.tca[focal]
    assert d.used == 9 * 77
    dist, lateral = _map_errors(name, focal, (d.model, d.terms), (t.model, t.terms))
    assert np.sqrt(np.mean(dist**2)) <= 0.1 and dist.max() <= 0.3, (dist.std(), dist.max())
    assert lateral.max() <= 0.05, lateral.max()
    yy, xx = np.mgrid[0:H:5, 0:W:5]
    r = np.hypot(xx - (W - 1) / 2, yy - (H - 1) / 2) / (np.hypot(W - 1, H - 1) / 2)
    for aperture in (4.0, 8.0):
        k1, k2, k3 = lens.vignetting[(focal, aperture)].terms
        gain = 1 / (1 + k1 * r**2 + k2 * r**4 + k3 * r**6)
        truth = cs.true_gain(name, focal, aperture, W, H)[::5, ::5]
        assert np.abs(gain / truth - 1).max() <= 0.01, aperture


LINE_CASES = [(cs.ZOOM, 20.0), (cs.PRIMES[0], 24.0)]


@pytest.fixture(scope="module")
def line_shots(tmp_path_factory):
    """Four shots of a printed chart of parallel dark lines (four directions) per case,
    and one textured scene without lines, calibrated in one run of the Python API."""
    from lsquared.optics import calibrate

    folder = tmp_path_factory.mktemp("lines")
    paths = []
    for name, focal in LINE_CASES:
        tag = f"{name.split('/')[0].replace(' ', '')}_{focal:g}"
        for i, (angle, phase) in enumerate(cs.LINE_SHOTS):
            paths.append(cs.write_shot(folder / f"{tag}_lines{i}.tif",
                                       cs.render_lines(name, focal, W, H, angle, phase, seed=i),
                                       name, focal, 8.0))  # fmt: skip
    scene = cs.render_scene(cs.PRIMES[0], 24.0, W, H, cs.texture(W, H, 3))
    nolines = cs.write_shot(folder / "scene.tif", scene, cs.PRIMES[0], 24.0, 8.0)
    result = calibrate.calibrate([*paths, nolines], calibrate.Options(pattern=cs.PATTERN))
    return {lens.calibration.model: lens for lens in result.lenses}, result, nolines


@pytest.mark.slow
@pytest.mark.parametrize(("name", "focal"), LINE_CASES, ids=["S 20-60 at 20mm", "S 24"])
def test_line_shots_give_the_true_distortion(line_shots, name, focal):
    """Straight-line shots (no chessboard found, long straight edges) give the distortion
    within 0.1 px RMS and 0.3 px max of lensfun's map on a 6000 x 4000 frame."""
    lenses, _, _ = line_shots
    lens = lenses[name]
    assert lens.shots == {"lines": lens.shots["lines"]} and len(lens.shots["lines"]) == 4
    d = lens.distortion[focal]
    assert focal not in lens.tca  # lines carry no TCA measurement
    dist, _ = _map_errors(name, focal, (d.model, d.terms), None)
    rms, worst = float(np.sqrt(np.mean(dist**2))), float(dist.max())
    assert rms <= 0.1 and worst <= 0.3, (rms, worst)
    untouched, _ = _map_errors(name, focal, None, None)
    assert untouched.max() > 3  # the check can fail: no model is pixels off


def test_a_shot_without_lines_or_board_is_named(line_shots):
    _, result, nolines = line_shots
    reasons = [p.reason for p in result.problems if p.path == str(nolines)]
    assert len(reasons) == 1 and "no chessboard" in reasons[0], result.problems
    assert "long straight lines" in reasons[0]
