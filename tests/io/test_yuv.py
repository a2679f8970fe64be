"""io.yuv against colour-science's ITU-R BT.709 / BT.2020 Y'CbCr (an independent
implementation of the same recommendations)."""

import colour
import numpy as np
import pytest

from lsquared.io import yuv

CASES = [  # matrix, colour-science's weights, bits, full range
    ("bt709", "ITU-R BT.709", 8, False),
    ("bt709", "ITU-R BT.709", 10, False),
    ("bt2020nc", "ITU-R BT.2020", 10, False),
    ("bt709", "ITU-R BT.709", 10, True),
]


@pytest.mark.parametrize(("matrix", "weights", "bits", "full"), CASES)
def test_yuv_to_rgb_matches_colour_science(matrix, weights, bits, full):
    rng = np.random.default_rng(bits)
    codes = rng.integers(0, 2**bits, (3, 36, 64))
    rgb = yuv.yuv_to_rgb(*codes.astype(np.uint16), bits, matrix, full)
    expected = colour.YCbCr_to_RGB(
        np.moveaxis(codes, 0, -1), K=colour.WEIGHTS_YCBCR[weights], in_bits=bits,
        in_legal=not full, in_int=True,
    )  # fmt: skip
    np.testing.assert_allclose(rgb, expected, atol=2e-6)


def test_subsampled_chroma_is_repeated_over_its_block():
    rng = np.random.default_rng(1)
    y = rng.integers(64, 940, (4, 6)).astype(np.uint16)
    cb, cr = rng.integers(64, 960, (2, 2, 3)).astype(np.uint16)
    full = [np.repeat(np.repeat(c, 2, 0), 2, 1) for c in (cb, cr)]
    np.testing.assert_array_equal(
        yuv.yuv_to_rgb(y, cb, cr, 10, "bt709", False),
        yuv.yuv_to_rgb(y, *full, 10, "bt709", False),
    )


@pytest.mark.parametrize(("matrix", "weights", "bits", "full"), CASES[:3])
def test_rgb_to_yuv_matches_colour_science(matrix, weights, bits, full):
    rgb = np.random.default_rng(2).uniform(-0.1, 1.1, (36, 64, 3)).astype(np.float32)
    got = np.stack(yuv.rgb_to_yuv(rgb, bits, matrix), -1)
    expected = colour.RGB_to_YCbCr(
        np.clip(rgb.astype(np.float64), 0, 1), K=colour.WEIGHTS_YCBCR[weights], out_bits=bits,
        out_legal=True, out_int=True,
    )  # fmt: skip
    # colour-science rounds half to even, lsquared half up: ties (none expected) may differ
    assert np.abs(got.astype(np.int64) - expected).max() == 0


def test_subsampling_averages_the_rounded_block_and_round_trips_flat_colour():
    rgb = np.random.default_rng(3).uniform(0, 1, (4, 6, 3)).astype(np.float32)
    _, cb, cr = yuv.rgb_to_yuv(rgb, 10, "bt709", (2, 2))
    _, cb_full, cr_full = yuv.rgb_to_yuv(rgb, 10, "bt709")
    for sub, full in ((cb, cb_full), (cr, cr_full)):
        blocks = full.reshape(2, 2, 3, 2).astype(np.float64).mean(axis=(1, 3))
        np.testing.assert_array_equal(sub, np.floor(blocks + 0.5))
    flat = np.broadcast_to(rgb[:1, :1], rgb.shape)
    codes = yuv.rgb_to_yuv(flat, 10, "bt709", (2, 2))
    back = yuv.yuv_to_rgb(*codes, 10, "bt709", False)
    assert np.abs(back - flat).max() < 1.5 / 876  # within one 10-bit code step
