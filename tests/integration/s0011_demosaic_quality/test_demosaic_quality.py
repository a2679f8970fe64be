"""Menon 2007 (``--demosaic menon``) against LibRaw's AHD (``--demosaic libraw-ahd``) on
simulated scenes with known truth.

Each scene is built here as linear sRGB, seen by a camera whose RGB is linear sRGB times a
neutral (the DNG's AsShotNeutral, as a sensor under daylight sees grey), sampled on an RGGB
mosaic and written as a DNG with tifffile (``tests.dngfiles``, not ``io.dngwrite``); both
decode that one file through ``io.raw`` (LibRaw's AHD with unit white balance, as lsquared
asks it; LibRaw's CFA demosaiced by ``kernels.demosaic.menon2007``), and are divided by the
neutral (white balance) before they are measured. Colour differences and chroma come from colour-science
(sRGB -> XYZ -> CIELAB D65, CIEDE2000); MTF50 from a slanted edge (ISO 12233's method: the
edge spread over quarter-pixel bins of distance to the known edge, its derivative, a Hamming
window and the DFT)."""

from __future__ import annotations

import numpy as np
import pytest

from lsquared.io import raw
from lsquared.kernels.demosaic import menon2007
from tests import dngfiles

colour = pytest.importorskip("colour")

SIZE = 192
BORDER = 12  # left out of every measure: the two algorithms treat the frame's edge differently
NEUTRAL = np.array([0.5, 1.0, 0.7])  # camera RGB of grey
D65 = colour.CCS_ILLUMINANTS["CIE 1931 2 Degree Standard Observer"]["D65"]


# scenes: linear RGB in [0, 1], SIZE x SIZE x 3


def _neutral(level: np.ndarray) -> np.ndarray:
    return np.repeat(level[..., None], 3, axis=2)


def grid_scene(sigma: float = 1.2, step: float = 9.3) -> tuple[np.ndarray, np.ndarray]:
    """Dark neutral lines of Gaussian profile (``lsq demo``'s chart: sigma 1.2 px, 0.8 to
    0.05), here every ``step`` px at sub-pixel offsets; and the mask of line pixels."""
    coord = np.arange(SIZE, dtype=np.float64)
    centres = np.arange(step / 2 + 0.3, SIZE, step)
    profile = np.exp(-0.5 * ((coord[:, None] - centres[None, :]) / sigma) ** 2).max(axis=1)
    darkness = np.maximum(profile[:, None], profile[None, :])
    return _neutral(0.8 - 0.75 * darkness), darkness > 0.5


def zone_plate_scene() -> tuple[np.ndarray, np.ndarray]:
    """A neutral zone plate cos(pi r^2 / (2 R)) whose local frequency reaches 0.25 cycles per
    pixel (the red and blue sampling's Nyquist) at radius R; the mask is the disc r < R."""
    yy, xx = np.mgrid[0:SIZE, 0:SIZE] - (SIZE - 1) / 2.0
    r2 = xx**2 + yy**2
    reach = 0.5 * SIZE - BORDER
    level = 0.45 + 0.35 * np.cos(np.pi * r2 / (2.0 * reach))
    return _neutral(level), r2 < reach**2


def slanted_edge_scene(angle_deg: float = 5.0) -> tuple[np.ndarray, np.ndarray]:
    """A neutral edge (0.1 to 0.7) through the centre, turned ``angle_deg`` from vertical,
    blurred by a Gaussian of sigma 0.5 px (an erf); and the signed distance to it."""
    from scipy.special import erf

    yy, xx = np.mgrid[0:SIZE, 0:SIZE] - (SIZE - 1) / 2.0
    a = np.deg2rad(angle_deg)
    distance = xx * np.cos(a) + yy * np.sin(a)
    level = 0.1 + 0.6 * 0.5 * (1 + erf(distance / (0.5 * np.sqrt(2))))
    return _neutral(level), distance


def colorchecker_scene() -> np.ndarray:
    """The 24 ColorChecker patches (X-Rite after 2014, colour-science's data, adapted to D65
    with CAT02) as 32 px squares with sharp borders."""
    checker = colour.CCS_COLOURCHECKERS["ColorChecker24 - After November 2014"]
    xyy = np.array(list(checker.data.values()))
    rgb = colour.XYZ_to_RGB(colour.xyY_to_XYZ(xyy), "sRGB", checker.illuminant)
    rgb = np.clip(rgb, 0.0, 1.0).reshape(4, 6, 3)
    tiles = np.repeat(np.repeat(rgb, 32, axis=0), 32, axis=1)  # 128 x 192
    return np.concatenate([tiles, tiles[: SIZE - 128]], axis=0)


def saturated_texture_scene() -> np.ndarray:
    """Saturated colour: stripes of full red, green, blue, cyan, magenta, yellow of widths 1
    to 6 px (top half), and fine colour texture: random RGB smoothed by a Gaussian of
    sigma 1 px (bottom half)."""
    from scipy.ndimage import gaussian_filter

    primaries = np.array([[0.8, 0.05, 0.05], [0.05, 0.8, 0.05], [0.05, 0.05, 0.8],
                          [0.05, 0.8, 0.8], [0.8, 0.05, 0.8], [0.8, 0.8, 0.05]])  # fmt: skip
    columns = []
    width, k = 1, 0
    while len(columns) < SIZE:
        columns += [primaries[k % 6]] * width
        k += 1
        width = width % 6 + 1
    stripes = np.broadcast_to(np.array(columns[:SIZE]), (SIZE // 2, SIZE, 3))
    rng = np.random.default_rng(3)
    texture = gaussian_filter(rng.random((SIZE // 2, SIZE, 3)), (1.0, 1.0, 0))
    texture = np.clip(0.5 + 3.0 * (texture - 0.5), 0.02, 0.95)
    return np.concatenate([stripes, texture], axis=0)


# decoding the same mosaic both ways


def _decode_both(rgb: np.ndarray, tmp_path) -> dict[str, np.ndarray]:
    """The scene as the camera samples it on RGGB, written as a 16-bit DNG, decoded by AHD
    and by Menon, white-balanced."""
    camera = rgb * NEUTRAL
    cfa = np.empty(rgb.shape[:2])
    for (dy, dx), c in zip(((0, 0), (0, 1), (1, 0), (1, 1)), dngfiles.RGGB, strict=True):
        cfa[dy::2, dx::2] = camera[dy::2, dx::2, c]
    data = np.rint(np.clip(cfa, 0, 1) * 65535).astype(np.uint16)
    path = dngfiles.write_dng(tmp_path / "scene.dng", data, neutral=tuple(NEUTRAL))
    return {
        "ahd": raw.read_raw(path, "AHD").pixels / NEUTRAL,
        "ahd_wb": _libraw_ahd_white_balanced(path),
        "menon": raw.read_raw(path, "MENON", menon2007).pixels / NEUTRAL,
    }


def _libraw_ahd_white_balanced(path) -> np.ndarray:
    """LibRaw's AHD as LibRaw is usually run: the CFA scaled by the white balance before it
    demosaics (rawpy directly, not lsquared)."""
    import rawpy

    gains = NEUTRAL[1] / NEUTRAL
    with rawpy.imread(str(path)) as image:
        rgb = image.postprocess(
            demosaic_algorithm=rawpy.DemosaicAlgorithm.AHD, output_color=rawpy.ColorSpace.raw,
            gamma=(1, 1), no_auto_bright=True, user_wb=[*gains, gains[1]], output_bps=16,
            adjust_maximum_thr=0.0, highlight_mode=rawpy.HighlightMode.Clip,
        )  # fmt: skip
    return rgb / 65535.0


def _lab(rgb: np.ndarray) -> np.ndarray:
    return colour.XYZ_to_Lab(colour.RGB_to_XYZ(rgb, "sRGB", D65), D65)


def _inside(a: np.ndarray) -> np.ndarray:
    return a[BORDER:-BORDER, BORDER:-BORDER]


def mean_chroma(rgb: np.ndarray, mask: np.ndarray) -> float:
    """Mean CIELAB C*ab over the masked pixels (0 for a neutral rendering)."""
    lab = _lab(_inside(rgb)[_inside(mask)])
    return float(np.hypot(lab[:, 1], lab[:, 2]).mean())


def closeness(rgb: np.ndarray, truth: np.ndarray) -> tuple[float, float, float]:
    """CIEDE2000 median and 95th percentile, and CPSNR (dB, peak 1), against the truth."""
    de = colour.delta_E(_lab(_inside(rgb)), _lab(_inside(truth)), method="CIE 2000")
    mse = np.mean((_inside(rgb) - _inside(truth)) ** 2)
    return float(np.median(de)), float(np.percentile(de, 95)), float(10 * np.log10(1 / mse))


def mtf50(rgb: np.ndarray, distance: np.ndarray) -> float:
    """MTF50 (cycles per pixel) of the luminance across the edge: edge spread function over
    quarter-pixel bins of the known distance, derivative, Hamming window, |DFT| / DC."""
    luminance = colour.RGB_to_XYZ(_inside(rgb), "sRGB", D65)[..., 1].ravel()
    d = _inside(distance).ravel()
    near = np.abs(d) < 16
    bins = np.floor(d[near] * 4).astype(int) + 64
    esf = np.bincount(bins, luminance[near], 128) / np.maximum(np.bincount(bins, None, 128), 1)
    lsf = np.diff(esf) * np.hamming(127)
    mtf = np.abs(np.fft.rfft(lsf))
    mtf /= mtf[0]
    freq = np.fft.rfftfreq(127, d=0.25)
    k = int(np.argmax(mtf < 0.5))
    return float(np.interp(0.5, [mtf[k], mtf[k - 1]], [freq[k], freq[k - 1]]))


# the Must-show figures


def test_false_colour_on_thin_neutral_lines_is_at_most_half_of_ahds(tmp_path):
    truth, lines = grid_scene()
    out = _decode_both(truth, tmp_path)
    chroma = {name: mean_chroma(rgb, lines) for name, rgb in out.items()}
    print(f"grid lines: mean C*ab {chroma}")
    assert chroma["menon"] <= 0.5 * chroma["ahd"]


def test_false_colour_on_a_zone_plate_is_at_most_half_of_ahds(tmp_path):
    truth, disc = zone_plate_scene()
    out = _decode_both(truth, tmp_path)
    chroma = {name: mean_chroma(rgb, disc) for name, rgb in out.items()}
    print(f"zone plate: mean C*ab {chroma}")
    assert chroma["menon"] <= 0.5 * chroma["ahd"]


def test_resolution_on_a_slanted_edge_is_within_5_percent_of_ahds(tmp_path):
    truth, distance = slanted_edge_scene()
    out = _decode_both(truth, tmp_path)
    mtf = {name: mtf50(rgb, distance) for name, rgb in out.items()} | {
        "truth": mtf50(truth, distance)
    }
    print(f"slanted edge: MTF50 {mtf}")
    # lsquared's AHD (unit white balance) overshoots: its MTF50 lies above the truth's. The
    # resolution is compared with the truth and with LibRaw's AHD run white-balanced.
    assert abs(mtf["menon"] / mtf["truth"] - 1) <= 0.05
    assert abs(mtf["menon"] / mtf["ahd_wb"] - 1) <= 0.05


SCENES = {
    "edge": lambda: slanted_edge_scene()[0],
    "grid": lambda: grid_scene()[0],
    "zone plate": lambda: zone_plate_scene()[0],
    "colorchecker": colorchecker_scene,
    "saturated + texture": saturated_texture_scene,
}


@pytest.mark.parametrize("scene", sorted(SCENES))
def test_at_least_as_close_to_the_truth_as_lsquareds_ahd(scene, tmp_path):
    truth = SCENES[scene]()
    out = _decode_both(truth, tmp_path)
    figures = {name: closeness(rgb, truth) for name, rgb in out.items()}
    print(f"{scene}: (dE00 median, dE00 p95, CPSNR dB) {figures}")
    (menon_median, menon_p95, menon_cpsnr) = figures["menon"]
    (ahd_median, ahd_p95, ahd_cpsnr) = figures["ahd"]
    # 0.01 (Delta E, dB): the 16-bit quantisation of flat patches (a median of ~0.001)
    assert menon_median <= ahd_median + 0.01
    assert menon_p95 <= ahd_p95 + 0.01
    assert menon_cpsnr >= ahd_cpsnr - 0.01


def test_false_colour_on_the_demo_charts_grid_is_at_most_half_of_ahds(tmp_path):
    """``lsq demo``'s chart (``lsquared.simulate``: a simulated camera's spectral
    sensitivities, noise) developed to linear sRGB: mean C*ab at the centres of its vertical
    grid lines."""
    from lsquared import engine, simulate
    from lsquared.pipeline.recipe import Recipe

    truth = simulate.simulate(tmp_path / "demo.dng", width=900, height=600)
    y0, y1, x0, x1 = simulate._layout(900, 600)["grid"]
    columns = np.array([round(x) for x in truth.grid_lines_x if x0 + 4 < x < x1 - 4])
    rows = np.arange(round(y0) + 8, round(y1) - 8)
    distance = np.abs(rows[:, None] - np.array(truth.grid_lines_y)[None, :]).min(axis=1)
    rows = rows[distance > 4]  # away from the crossings
    chroma = {}
    for algorithm in ("AHD", "MENON"):
        recipe = (
            Recipe()
            .replace("lens", source="none")
            .replace("output", space="linear-srgb")
            .replace("demosaic", algorithm=algorithm)
        )
        image = engine.load_source(truth.path, recipe)
        pixels = engine.compile(recipe, image).apply(image).pixels
        lab = _lab(pixels[rows[:, None], columns[None, :]].reshape(-1, 3).astype(np.float64))
        chroma[algorithm] = float(np.hypot(lab[:, 1], lab[:, 2]).mean())
    print(f"demo chart grid lines: mean C*ab {chroma}")
    assert chroma["MENON"] <= 0.5 * chroma["AHD"]
