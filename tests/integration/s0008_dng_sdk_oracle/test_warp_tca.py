"""A 3-plane WarpRectilinear written to the DNG SDK's conventions (dng_lens_correction.cpp:
centre (cx W, cy H) of the image rectangle, r = 1 at its farthest corner, destination pixels
at their integer indices, plane i warping colour plane i) over a line grid whose red and
blue planes are displaced as a lens with lateral CA would: after ``--lens embedded`` the
lines are where the scene has them and the three planes agree, and the geometry equals the
SDK's own stage 3 of the file."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from lsquared import engine
from lsquared.io import raw
from lsquared.kernels import get_renderer
from lsquared.kernels.demosaic import malvar2004
from lsquared.pipeline.ops import Program
from lsquared.pipeline.recipe import Recipe
from tests import dngfiles as d
from tests.conftest import run_lsq

W, H, SPACING, SIGMA = 640, 448, 48, 1.6
#: kr0..kr3, kt0, kt1 per plane: barrel distortion, red magnified and blue shrunk (CA)
PLANES = (
    (0.996, 0.0, 0.012, 0.0, 0.0, 0.0),
    (1.0, 0.0, 0.010, 0.0, 0.0, 0.0),
    (1.0035, 0.0, 0.008, 0.0, 0.0, 0.0),
)
CENTER = (0.52, 0.47)
LINES_X = np.arange(SPACING // 2 + 8, W - 8, SPACING, dtype=float)
LINES_Y = np.arange(SPACING // 2 + 8, H - 8, SPACING, dtype=float)


def _frame():
    cx, cy = CENTER[0] * W, CENTER[1] * H
    m = max(np.hypot(cx - x, cy - y) for x in (0, W) for y in (0, H))
    return cx, cy, m


def _corrected_from_recorded(plane, x, y):
    """Invert the SDK's mapping (corrected pixel -> recorded position = centre + m ratio(r)
    d) for radial terms, by Newton's method on r ratio(r)."""
    k0, k1, k2, k3 = plane[:4]
    cx, cy, m = _frame()
    dx, dy = (x - cx) / m, (y - cy) / m
    rd = np.hypot(dx, dy)
    ru = rd.copy()
    for _ in range(20):
        r2 = ru * ru
        f = ru * (k0 + r2 * (k1 + r2 * (k2 + r2 * k3))) - rd
        df = k0 + r2 * (3 * k1 + r2 * (5 * k2 + r2 * 7 * k3))
        ru -= f / df
    s = np.divide(ru, rd, out=np.full_like(rd, 1 / k0), where=rd > 0)
    return cx + m * dx * s, cy + m * dy * s


def _scene(x, y):
    """Dark Gaussian lines on white at LINES_X and LINES_Y (corrected coordinates)."""

    def lines(v, at):
        dist = np.min(np.abs(v[..., None] - at), axis=-1)
        return 1 - 0.85 * np.exp(-0.5 * (dist / SIGMA) ** 2)

    return lines(x, LINES_X) * lines(y, LINES_Y)


def _warp_rectilinear2() -> bytes:
    """The same warp as WarpRectilinear2 (DNG 1.6, ID 14): per plane 15 terms in r (the
    even ones here), kt0, kt1, the valid radius range, then the centre and the reciprocal
    flag."""
    body = struct.pack(">I", len(PLANES))
    for k0, k1, k2, k3, t0, t1 in PLANES:
        radial = (k0, 0, k1, 0, k2, 0, k3, *([0.0] * 8))
        body += struct.pack(">15d2d2d", *radial, t0, t1, 0.0, 1.0)
    return body + struct.pack(">2dI", *CENTER, 0)


@pytest.fixture(scope="module", params=["WarpRectilinear", "WarpRectilinear2"])
def warp_dng(request, tmp_path_factory):
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float64)
    site = np.array([[0, 1], [1, 2]])[yy.astype(int) % 2, xx.astype(int) % 2]
    neutral = (0.5, 1.0, 0.7)
    cfa = np.zeros((H, W))
    for c in range(3):
        sx, sy = _corrected_from_recorded(PLANES[c], xx, yy)
        cfa = np.where(site == c, 0.7 * neutral[c] * _scene(sx, sy), cfa)
    data = np.rint(512 + cfa * (16383 - 512)).astype(np.uint16)
    if request.param == "WarpRectilinear":
        record, version = d.opcode(1, d.warp_rectilinear(PLANES, CENTER)), (1, 4, 0, 0)
    else:
        version = (1, 6, 0, 0)
        record = d.opcode(14, _warp_rectilinear2(), version=version)
    path = tmp_path_factory.mktemp("warp") / "warp3.dng"
    return d.write_dng(
        path, data, 512, 16383, {3: d.opcode_list(record)}, neutral=neutral, version=version
    )


def _centroids(img: np.ndarray, channel: int, vertical: bool, margin: int = 10):
    """Per line and per row (column), the centroid of the line's dip in a window of +-6 px,
    and the true position; rows near a crossing line, and the borders, are skipped."""
    plane = img[:, :, channel] if vertical else img[:, :, channel].T
    lines, across = (LINES_X, LINES_Y) if vertical else (LINES_Y, LINES_X)
    found, truth = [], []
    for t in range(margin, plane.shape[0] - margin):
        if np.min(np.abs(across - t)) < 10:
            continue
        for x0 in lines:
            lo, hi = int(x0) - 6, int(x0) + 7
            window = plane[t, lo:hi].astype(np.float64)
            weight = np.clip(window.max() - window, 0, None)
            if weight.sum() <= 0:
                continue
            found.append(np.sum(weight * np.arange(lo, hi)) / weight.sum())
            truth.append(x0)
    return np.array(found), np.array(truth)


def _line_errors(img: np.ndarray) -> tuple[float, float]:
    """(worst green line position error, worst red or blue offset from green) in pixels,
    as 99th percentiles over every row of every line (robust to single noisy rows)."""
    position, lateral = [], []
    for vertical in (True, False):
        green, truth = _centroids(img, 1, vertical)
        position.append(np.abs(green - truth))
        for c in (0, 2):
            other, _ = _centroids(img, c, vertical)
            lateral.append(np.abs(other - green))
    return (
        float(np.percentile(np.concatenate(position), 99)),
        float(np.percentile(np.concatenate(lateral), 99)),
    )


def _corrected_camera_rgb(path, demosaic: str = "AHD") -> np.ndarray:
    """lsquared's stage 3: decoded camera RGB through the geometry ``--lens embedded``
    compiles (zoom 1, as the SDK's stage 3 has none)."""
    image = raw.read_raw(path, demosaic, malvar2004)
    recipe = Recipe().replace("lens", source="embedded", scale=1.0)
    processor = engine.compile(recipe, image)
    assert processor.program.geometry, processor.describe()
    return get_renderer("cpu").run(Program(processor.program.geometry, ()), image.pixels, 0)


def test_the_sdk_reads_the_warp_dng_without_a_warning(warp_dng):
    assert d.sdk_read(warp_dng) == ""


def test_the_file_really_has_lateral_ca_before_correction(warp_dng):
    uncorrected = raw.read_raw(warp_dng).pixels
    position, lateral = _line_errors(uncorrected)
    assert position > 1.0 and lateral > 0.75


def test_embedded_warp_straightens_lines_and_removes_lateral_ca(warp_dng):
    position, lateral = _line_errors(_corrected_camera_rgb(warp_dng))
    assert position <= 0.1, position
    assert lateral <= 0.25, lateral


def test_the_sdk_stage_3_agrees_with_the_truth_and_with_lsquared(warp_dng, tmp_path):
    sdk = d.sdk_stage(warp_dng, 3, tmp_path / "s3.tif")
    sdk_position, sdk_lateral = _line_errors(sdk)
    assert sdk_position <= 0.1 and sdk_lateral <= 0.25  # the file is written as the SDK reads it
    ours = _corrected_camera_rgb(warp_dng)
    for vertical in (True, False):
        for c in range(3):
            a, _ = _centroids(ours, c, vertical)
            b, _ = _centroids(sdk, c, vertical)
            assert np.median(np.abs(a - b)) <= 0.1


def test_develop_with_lens_embedded_names_the_opcode(warp_dng, tmp_path):
    result = run_lsq(
        "develop", warp_dng, "-o", tmp_path / "out.tif", "--lens", "embedded", "--explain"
    )
    assert result.returncode == 0, result.stderr
    assert "WarpRectilinear" in result.stdout + result.stderr


@pytest.mark.parametrize(
    ("orientation", "jpeg_xl"), [(6, False), (8, False), (3, False), (6, True)]
)
def test_a_turned_dng_is_warped_around_its_stored_centre(orientation, jpeg_xl, tmp_path):
    """An off-centre 3-plane warp with tangential terms on a DNG whose Orientation turns it:
    lsquared's upright result, turned back, matches the SDK's stage 3 (which is in the
    stored frame) line for line."""
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float64)
    site = np.array([[0, 1], [1, 2]])[yy.astype(int) % 2, xx.astype(int) % 2]
    neutral = np.array([0.5, 1.0, 0.7])[site]
    data = np.rint(512 + 0.7 * neutral * _scene(xx, yy) * (16383 - 512)).astype(np.uint16)
    planes = [(*p[:4], 0.0015, -0.001) for p in PLANES]
    record = d.opcode(1, d.warp_rectilinear(planes, (0.45, 0.55)))
    path = d.write_dng(tmp_path / "turned.dng", data, 512, 16383, {3: d.opcode_list(record)},
                       orientation=orientation, jpeg_xl=jpeg_xl)  # fmt: skip
    sdk = d.sdk_stage(path, 3, tmp_path / "s3.tif")
    upright = _corrected_camera_rgb(path)
    turns = {6: 1, 8: 3, 3: 2}[orientation]  # quarter turns counter-clockwise back
    ours = np.rot90(upright, turns)
    assert ours.shape == sdk.shape
    for vertical in (True, False):
        a, _ = _centroids(ours, 1, vertical)
        b, _ = _centroids(sdk, 1, vertical)
        assert np.median(np.abs(a - b)) <= 0.1
