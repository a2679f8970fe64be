"""``looks.ocio``: a Lut applied in place through OpenColorIO, in bands on worker threads."""

from __future__ import annotations

import numpy as np
import pytest

from lsquared.looks.lut import Lut

ocio = pytest.importorskip("lsquared.looks.ocio")
RNG = np.random.default_rng(15)
LUT = Lut(table=RNG.uniform(-0.2, 1.2, (9, 9, 9, 3)))


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.float32])
def test_bands_on_threads_give_the_one_thread_result(dtype):
    """Splitting the pixels into bands on several threads changes nothing, to the bit."""
    image = RNG.random((37, 53, 3)) * (np.iinfo(dtype).max if dtype != np.float32 else 1)
    image = image.astype(dtype)
    one = ocio.apply_in_place(LUT, image.copy(), workers=1)
    many = ocio.apply_in_place(LUT, image.copy(), workers=3)
    assert np.array_equal(one, many)
    assert not np.array_equal(one, image)  # the LUT did something


def test_pixels_that_cannot_change_in_place_are_refused():
    """A strided view (e.g. RGB of an RGBA image) would be copied by reshape and the result
    lost: refused instead."""
    rgba = RNG.random((8, 8, 4)).astype(np.float32)
    with pytest.raises(ValueError, match="in place"):
        ocio.apply_in_place(LUT, rgba[..., :3])
    with pytest.raises(TypeError, match="float64"):
        ocio.apply_in_place(LUT, RNG.random((8, 8, 3)))


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_integers_round_as_opencolorios_own_integer_processor(dtype):
    """Codes go through float RGBA pieces (scaled, then clamped and offset so that the cast
    back rounds half up): the same codes as OpenColorIO's processor at that bit depth."""
    import PyOpenColorIO as OCIO

    depth = {np.uint8: OCIO.BIT_DEPTH_UINT8, np.uint16: OCIO.BIT_DEPTH_UINT16}[dtype]
    image = RNG.integers(0, np.iinfo(dtype).max + 1, (70, 50, 3), dtype=dtype)
    expected = image.copy()
    processor = OCIO.Config.CreateRaw().getProcessor(ocio.transform(LUT))
    processor.getOptimizedCPUProcessor(depth, depth, OCIO.OPTIMIZATION_NONE).applyRGB(expected)
    assert np.array_equal(ocio.apply_in_place(LUT, image.copy()), expected)
