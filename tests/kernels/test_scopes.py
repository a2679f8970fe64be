"""Scopes against independent references: colour bars built from the BT.709 / BT.2020
equations here (not from lsquared), numpy's histogram, ARRI's published false-colour
limits, and ffmpeg's own ``waveform`` and ``vectorscope`` filters.

Mapping to ffmpeg (8-bit, full range, ``mirror=1``): ffmpeg's waveform row is 255 - Y'
code, as our waveform image (``[::-1]`` of the counts); its vectorscope (``x=1:y=2``) puts
a pixel at column = Cb code (128 neutral), row = 255 - Cr code, and ours (size 256) at
column = 127.5 + 255 Cb, row = 127.5 - 255 Cr: the same place within one pixel.
"""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest

from lsquared.kernels import scopes

#: ITU-R BT.709-6 and BT.2020-2 luma coefficients (Kr, Kb), typed from the standards
KR_KB = {"rec709": (0.2126, 0.0722), "rec2020": (0.2627, 0.0593)}
#: SMPTE / EBU bar order: white, yellow, cyan, green, magenta, red, blue, black
BARS = [(1, 1, 1), (1, 1, 0), (0, 1, 1), (0, 1, 0), (1, 0, 1), (1, 0, 0), (0, 0, 1), (0, 0, 0)]
BAR_WIDTH = 40


def bar_frame(level: float, height: int = 60) -> np.ndarray:
    codes = np.array(BARS, np.float64) * level * 255.0
    row = np.repeat(np.round(codes).astype(np.uint8), BAR_WIDTH, axis=0)
    return np.repeat(row[None], height, axis=0)


def luma_cb_cr(rgb01: np.ndarray, matrix: str):
    kr, kb = KR_KB[matrix]
    r, g, b = rgb01[..., 0], rgb01[..., 1], rgb01[..., 2]
    y = kr * r + (1 - kr - kb) * g + kb * b
    return y, (b - y) / (2 * (1 - kb)), (r - y) / (2 * (1 - kr))


@pytest.mark.parametrize("matrix", ["rec709", "rec2020"])
@pytest.mark.parametrize("level", [0.75, 1.0])
def test_vectorscope_blobs_sit_on_the_bar_targets(level, matrix):
    size = 512
    radius = (size - 1) / 2
    counts = scopes.vectorscope_counts(bar_frame(level), size, matrix).astype(np.float64)
    rows, cols = np.mgrid[0:size, 0:size]
    ideal = np.array(BARS, np.float64) * level
    _, cb, cr = luma_cb_cr(ideal, matrix)
    for k in range(1, 7):  # the six colours (white and black sit at the centre)
        x, y = (cb[k] + 0.5) * (size - 1), (0.5 - cr[k]) * (size - 1)
        near = (np.hypot(cols - x, rows - y) < 0.05 * radius) * counts
        assert near.sum() == BAR_WIDTH * 60  # the whole bar, nothing else
        cx, cy = (near * cols).sum() / near.sum(), (near * rows).sum() / near.sum()
        assert np.hypot(cx - x, cy - y) <= 0.01 * radius, BARS[k]
    assert counts[int(radius + 0.5), int(radius + 0.5)] == 2 * BAR_WIDTH * 60  # white, black
    for t, c_b, c_r in zip(scopes.targets(matrix, level), cb[[5, 1, 3, 2, 6, 4]],
                           cr[[5, 1, 3, 2, 6, 4]], strict=True):  # fmt: skip
        assert abs(t["cb"] - c_b) < 1e-12 and abs(t["cr"] - c_r) < 1e-12


@pytest.mark.parametrize("level", [0.75, 1.0])
def test_waveform_levels_are_the_bars_luma(level):
    frame = bar_frame(level)
    counts = scopes.waveform_counts(frame, frame.shape[1], "rec709")[0]
    ideal = np.array(BARS, np.float64) * level
    y, _, _ = luma_cb_cr(ideal, "rec709")
    for k in range(len(BARS)):
        column = counts[:, k * BAR_WIDTH + BAR_WIDTH // 2]
        assert column.sum() == 60 and np.count_nonzero(column) == 1
        assert abs(int(np.argmax(column)) - y[k] * 255) <= 1, BARS[k]
    parade = scopes.waveform_counts(frame, frame.shape[1], "rec709", parade=True)
    for k in range(len(BARS)):
        for c in range(3):
            assert np.argmax(parade[c][:, k * BAR_WIDTH]) == frame[0, k * BAR_WIDTH, c]


def test_waveform_bands_columns():
    frame = bar_frame(1.0)
    counts = scopes.waveform_counts(frame, 8, "rec709")[0]  # one scope column per bar
    assert counts.shape == (256, 8) and (counts.sum(axis=0) == BAR_WIDTH * 60).all()


def test_histogram_equals_numpy():
    rng = np.random.default_rng(7)
    codes = rng.integers(0, 256, (123, 77, 3), dtype=np.uint8)
    counts = scopes.histogram_counts(codes, "rec709")
    for c in range(3):
        np.testing.assert_array_equal(counts[c], np.histogram(codes[..., c], 256, (0, 256))[0])
    y, _, _ = luma_cb_cr(codes.astype(np.float64), "rec709")
    expected = np.histogram(np.floor(y + 0.5), 256, (0, 256))[0]
    np.testing.assert_array_equal(counts[3], expected)


#: ARRI ALEXA false colour (ALEXA SXT/Mini LF user manuals): band name -> IRE [low, high)
ARRI_BANDS = {"purple": (0, 2.5), "blue": (2.5, 4), "green": (38, 42), "pink": (52, 56),
              "yellow": (97, 99), "red": (99, 101)}  # fmt: skip


def test_false_colour_follows_the_published_ire_limits():
    ramp = np.repeat(np.arange(256, dtype=np.uint8)[None, :, None], 3, axis=2)
    painted = scopes.false_colour(ramp)[0]
    ire = np.arange(256) * 100 / 255
    colours = {}
    for name, (lo, hi) in ARRI_BANDS.items():
        inside = (ire >= lo) & (ire < hi)
        assert inside.any()
        band = {tuple(p) for p in painted[inside]}
        assert len(band) == 1, name  # one colour across the band
        colours[name] = band.pop()
    assert len(set(colours.values())) == len(ARRI_BANDS)
    outside = ~np.any([(ire >= lo) & (ire < hi) for lo, hi in ARRI_BANDS.values()], axis=0)
    grey = np.arange(256)[outside]
    np.testing.assert_array_equal(painted[outside], np.stack([grey] * 3, -1))


def test_zebras_stripe_only_at_and_above_the_level():
    ramp = np.repeat(np.repeat(np.arange(256, dtype=np.uint8)[None, :, None], 3, 2), 16, 0)
    striped = scopes.zebras(ramp, 90.0)
    over = np.arange(256) * 100 / 255 >= 90
    np.testing.assert_array_equal(striped[:, ~over], ramp[:, ~over])
    assert (striped[:, over] == 0).any() and (striped[:, over] == ramp[:, over]).any()


def _ffmpeg(frame: np.ndarray, filters: str) -> np.ndarray:
    h, w = frame.shape[:2]
    out = subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{w}x{h}",
         "-i", "-", "-vf", f"scale=out_color_matrix=bt709:out_range=pc,format=yuv444p,{filters}",
         "-f", "rawvideo", "-pix_fmt", "gray", "-"],
        input=frame.tobytes(), capture_output=True, check=True,
    ).stdout  # fmt: skip
    return np.frombuffer(out, np.uint8).reshape(-1, 256 if "vectorscope" in filters else w)


needs_ffmpeg = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed")


@needs_ffmpeg
@pytest.mark.parametrize("level", [0.75, 1.0])
def test_waveform_agrees_with_ffmpeg(level):
    frame = bar_frame(level, 16)
    theirs = _ffmpeg(frame, "waveform=mode=column:components=1:display=overlay:mirror=1:"
                     "scale=digital:graticule=none:intensity=1")  # fmt: skip
    ours = scopes.waveform_counts(frame, frame.shape[1], "rec709")[0][::-1]
    assert theirs.shape == ours.shape == (256, frame.shape[1])
    for x in range(frame.shape[1]):
        assert abs(np.flatnonzero(theirs[:, x])[0] - np.flatnonzero(ours[:, x])[0]) <= 1


@needs_ffmpeg
@pytest.mark.parametrize("level", [0.75, 1.0])
def test_vectorscope_agrees_with_ffmpeg(level):
    frame = bar_frame(level, 16)
    theirs = np.argwhere(_ffmpeg(frame, "vectorscope=mode=gray:x=1:y=2:graticule=none:intensity=1"))
    ours = np.argwhere(scopes.vectorscope_counts(frame, 256, "rec709"))
    assert len(theirs) == len(ours) == 7  # six colours and the neutral centre
    for point in theirs:
        assert np.abs(ours - point).max(axis=1).min() <= 1
