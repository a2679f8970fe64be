"""kernels.geometry.remap against independent resamplers: SciPy's map_coordinates (order 1)
for bilinear, Keys' cubic convolution kernel (a = -0.5) in its piecewise form for bicubic,
and the textbook Lanczos-3 kernel sinc(t) sinc(t / 3) (numpy's sinc) for the
Lanczos filter, on random images and random smooth displacement fields."""

import numpy as np
import pytest
from scipy import ndimage

from lsquared.kernels.geometry import FILTER_CODES, remap, source_rows

STEP = 8


def _field(h: int, w: int, seed: int, tca: bool) -> tuple[np.ndarray, np.ndarray]:
    """Grids (3 x gh x gw) of source coordinates: a shift, a mild warp, and with ``tca``
    per-channel offsets (without, the three planes are equal, which the remap samples at
    one set of positions); every 8 px, so the remap interpolates them along rows and
    columns."""
    gh, gw = h // STEP + 2, w // STEP + 2
    yy, xx = np.mgrid[0:gh, 0:gw].astype(np.float64) * STEP
    rng = np.random.default_rng(seed)
    spread = 0.4 if tca else 0.0
    gx = np.stack([xx + 0.37 + 0.01 * yy + c * rng.uniform(-spread, spread) for c in range(3)])
    gy = np.stack([yy - 0.21 + 0.005 * xx + c * rng.uniform(-spread, spread) for c in range(3)])
    return gx, gy


def _coordinates(grid: np.ndarray, h: int, w: int) -> np.ndarray:
    """The field at every pixel, bilinearly interpolated from the grid (what remap does)."""
    ys, xs = np.mgrid[0:h, 0:w] / STEP
    return ndimage.map_coordinates(grid, [ys, xs], order=1)


@pytest.fixture
def image():
    return np.random.default_rng(1).random((72, 96, 3), dtype=np.float32)


@pytest.mark.parametrize("tca", [True, False])
def test_bilinear_matches_scipy_map_coordinates(image, tca):
    h, w, _ = image.shape
    gx, gy = _field(h, w, 2, tca)
    out = np.empty_like(image)
    remap(image, out, gx, gy, STEP, FILTER_CODES["bilinear"])
    for c in range(3):
        x, y = _coordinates(gx[c], h, w), _coordinates(gy[c], h, w)
        inside = (x >= 0) & (y >= 0) & (x <= w - 1) & (y <= h - 1)
        expected = ndimage.map_coordinates(image[..., c].astype(np.float64), [y, x], order=1)
        np.testing.assert_allclose(out[..., c][inside], expected[inside], atol=2e-6)
        assert inside.mean() > 0.9


def _lanczos3_reference(plane: np.ndarray, x: float, y: float) -> float:
    x0, y0 = int(np.floor(x)), int(np.floor(y))
    taps = np.arange(-2, 4)
    wx = np.sinc(x - (x0 + taps)) * np.sinc((x - (x0 + taps)) / 3)
    wy = np.sinc(y - (y0 + taps)) * np.sinc((y - (y0 + taps)) / 3)
    patch = plane[y0 - 2 : y0 + 4, x0 - 2 : x0 + 4]
    return float(wy @ patch @ wx / (wy.sum() * wx.sum()))


@pytest.mark.parametrize("tca", [True, False])
def test_lanczos3_matches_the_sinc_definition(image, tca):
    h, w, _ = image.shape
    gx, gy = _field(h, w, 3, tca)
    out = np.empty_like(image)
    remap(image, out, gx, gy, STEP, FILTER_CODES["lanczos"])
    xs = [_coordinates(g, h, w) for g in gx]
    ys = [_coordinates(g, h, w) for g in gy]
    rng = np.random.default_rng(4)
    for _ in range(300):
        py, px, c = rng.integers(8, h - 8), rng.integers(8, w - 8), rng.integers(3)
        x, y = xs[c][py, px], ys[c][py, px]
        expected = _lanczos3_reference(image[..., c].astype(np.float64), x, y)
        assert out[py, px, c] == pytest.approx(expected, abs=2e-6)


def _keys(t: np.ndarray, a: float = -0.5) -> np.ndarray:
    """Keys (1981), eq. 15: (a + 2)|t|^3 - (a + 3)|t|^2 + 1 on [0, 1], a|t|^3 - 5a|t|^2 +
    8a|t| - 4a on [1, 2], 0 beyond."""
    t = np.abs(t)
    inner = (a + 2) * t**3 - (a + 3) * t**2 + 1
    outer = a * t**3 - 5 * a * t**2 + 8 * a * t - 4 * a
    return np.where(t <= 1, inner, np.where(t < 2, outer, 0.0))


@pytest.mark.parametrize("tca", [True, False])
def test_bicubic_matches_keys_kernel(image, tca):
    h, w, _ = image.shape
    gx, gy = _field(h, w, 5, tca)
    out = np.empty_like(image)
    gx, gy = gx.astype(np.float32), gy.astype(np.float32)  # as the lens stage builds them
    remap(image, out, gx, gy, STEP, FILTER_CODES["bicubic"])
    xs = [_coordinates(g.astype(np.float64), h, w) for g in gx]
    ys = [_coordinates(g.astype(np.float64), h, w) for g in gy]
    rng = np.random.default_rng(6)
    for _ in range(300):
        py, px, c = rng.integers(8, h - 8), rng.integers(8, w - 8), rng.integers(3)
        x, y = xs[c][py, px], ys[c][py, px]
        x0, y0 = int(np.floor(x)), int(np.floor(y))
        taps = np.arange(-1, 3)
        patch = image[y0 - 1 : y0 + 3, x0 - 1 : x0 + 3, c].astype(np.float64)
        expected = _keys(y - (y0 + taps)) @ patch @ _keys(x - (x0 + taps))
        assert out[py, px, c] == pytest.approx(expected, abs=2e-6)


def test_integer_shift_is_exact_for_every_filter(image):
    """A whole-pixel shift lands every tap on a sample: all filters reproduce the input."""
    h, w, _ = image.shape
    gh, gw = h // STEP + 2, w // STEP + 2
    yy, xx = np.mgrid[0:gh, 0:gw].astype(np.float64) * STEP
    gx, gy = np.stack([xx + 2] * 3), np.stack([yy + 1] * 3)
    for name, code in FILTER_CODES.items():
        out = np.empty_like(image)
        remap(image, out, gx, gy, STEP, code)
        np.testing.assert_allclose(out[8:-8, 8:-8], image[9:-7, 10:-6], atol=1e-6, err_msg=name)


@pytest.mark.parametrize("seed", [5, 6])
def test_source_rows_hold_every_tap_of_a_band_of_output_rows(seed):
    """The rows [a, b) that ``source_rows`` gives for output rows [y0, y1) hold every
    source row a Lanczos-3 tap (the widest filter: rows -2 .. +3 around the sample's) of
    those rows reads, by the field at every pixel (SciPy), and few more."""
    h, w = 200, 96
    gy = _field(h, w, seed, tca=True)[1]
    gy = gy + 30 * np.sin(np.arange(gy.shape[2]) / 5)  # rows bend along the band
    ys = [_coordinates(g, h, w) for g in gy]
    for y0, y1 in ((0, 41), (41, 97), (97, 200), (150, 151)):
        a, b = source_rows(gy, STEP, y0, y1, w, h)
        first = min(np.floor(y[y0:y1]).min() for y in ys) - 2
        last = max(np.floor(y[y0:y1]).max() for y in ys) + 3
        assert a <= max(first, 0) and b > min(last, h - 1)
        assert a >= first - 3 and b <= last + 4
