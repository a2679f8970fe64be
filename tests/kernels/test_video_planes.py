"""The plane-to-plane LUT grade (``kernels.video``) against the R'G'B' path it fuses:
io.yuv's decode (checked against colour-science), the CPU renderer's LUT (checked against
OpenColorIO and ffmpeg), io.yuv's encode. The planes must come out identical."""

from __future__ import annotations

import numpy as np
import pytest

from lsquared.io import yuv
from lsquared.kernels.cpu import CpuRenderer
from lsquared.kernels.video import lut_on_planes
from lsquared.pipeline.ops import Lut3DOp, MatrixOp, Program

RNG = np.random.default_rng(11)
LUT = Lut3DOp(RNG.uniform(-0.1, 1.1, (17, 17, 17, 3)))


def _planes(h: int, w: int, sub: tuple[int, int], bits: int) -> list[np.ndarray]:
    """Random planes in the type a decoded frame has (8 bit: uint8, else uint16)."""
    chroma = (-(-h // sub[0]), -(-w // sub[1]))
    dtype = np.uint8 if bits == 8 else np.uint16
    return [RNG.integers(0, 2**bits, shape).astype(dtype) for shape in ((h, w), chroma, chroma)]


@pytest.mark.parametrize("size", [(36, 64), (35, 61), (8, 700)])
@pytest.mark.parametrize(
    ("sub_in", "sub_out"),
    [((2, 2), (2, 2)), ((1, 2), (2, 2)), ((2, 2), (1, 2)), ((1, 1), (1, 1))],
)
@pytest.mark.parametrize(
    ("bits_in", "full", "matrix_in", "bits_out", "matrix_out"),
    [(10, False, "bt709", 10, "bt709"), (8, True, "bt2020nc", 10, "bt709"), (10, False, "bt2020nc", 8, "bt2020nc")],
)  # fmt: skip
def test_planes_equal_the_rgb_path(size, sub_in, sub_out, bits_in, full, matrix_in, bits_out,
                                   matrix_out):  # fmt: skip
    h, w = size
    source = _planes(h, w, sub_in, bits_in)
    fused = [np.zeros_like(p) for p in _planes(h, w, sub_out, bits_out)]
    program = Program((), (LUT,))
    lut_on_planes(program)(
        source, yuv.decode_parameters(bits_in, matrix_in, full), fused,
        yuv.encode_parameters(bits_out, matrix_out),
    )  # fmt: skip
    rgb = yuv.yuv_to_rgb(*source, bits_in, matrix_in, full)
    expected = [np.zeros_like(p) for p in fused]
    yuv.rgb_to_yuv_into(CpuRenderer().run(program, rgb), *expected, bits_out, matrix_out)
    for got, want in zip(fused, expected, strict=True):
        np.testing.assert_array_equal(got, want)
    assert fused[0].max() > 0 and len(np.unique(fused[1])) > 10  # really written


def test_only_a_lone_tetrahedral_lut_goes_plane_to_plane():
    trilinear = Lut3DOp(LUT.table, interpolation="trilinear")
    assert lut_on_planes(Program((), (MatrixOp(tuple(np.eye(3).ravel())), LUT))) is None
    assert lut_on_planes(Program((), (trilinear,))) is None
    assert lut_on_planes(Program((), (LUT,))) is not None
