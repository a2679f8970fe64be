"""The DNG HueSatMap op: reference values from colour-science's HSV, a round trip, NaN/Inf,
bad construction, and the fused CPU kernel against the numpy reference."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from lsquared.kernels.cpu import CpuRenderer
from lsquared.kernels.reference import ReferenceRenderer
from lsquared.pipeline.ops import HueSatMapOp, MatrixOp, Program

RNG = np.random.default_rng(11)


def colour():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import colour as colour_science
    return colour_science


def constant_map(shift: float, sat: float, val: float, dims=(6, 4, 1)) -> np.ndarray:
    hue, sats, vals = dims
    table = np.empty((vals, hue, sats, 3))
    table[...] = (shift, sat, val)
    return table


def run(op, pixels, renderer=None):
    renderer = renderer or ReferenceRenderer()
    return renderer.run(Program((), (op,)), np.asarray(pixels, np.float32)).astype(np.float64)


def in_gamut_pixels(n: int = 500) -> np.ndarray:
    return RNG.uniform(0.02, 1.0, (1, n, 3))


def test_constant_map_is_colour_science_hsv_arithmetic():
    """A map whose entries are all (shift, s scale, v scale) is h + shift, s * scale, v *
    scale in hexcone HSV: colour-science's RGB_to_HSV/HSV_to_RGB give the expected value."""
    c = colour()
    rgb = in_gamut_pixels()
    op = HueSatMapOp(constant_map(25.0, 0.8, 1.1))
    hsv = c.RGB_to_HSV(rgb)
    hsv[..., 0] = (hsv[..., 0] + 25.0 / 360.0) % 1.0
    hsv[..., 1] *= 0.8
    hsv[..., 2] *= 1.1
    np.testing.assert_allclose(run(op, rgb), c.HSV_to_RGB(hsv), atol=2e-6)


def test_hue_shift_is_interpolated_between_hue_nodes_and_wraps():
    """Nodes every 60 degrees with shifts 0, 10, ..., 50: a pure hue of 330 degrees (between
    the last node and the first, wrapping) gets the mean of 50 and 0."""
    c = colour()
    table = np.zeros((1, 6, 2, 3))
    table[..., 1:] = 1.0
    table[0, :, :, 0] = np.arange(6)[:, None] * 10.0
    hsv = np.array([[[330 / 360, 1.0, 0.7], [90 / 360, 1.0, 0.5]]])
    out = run(HueSatMapOp(table), c.HSV_to_RGB(hsv))
    expected = hsv.copy()
    expected[0, 0, 0] = (330 + 25) / 360
    expected[0, 1, 0] = (90 + 15) / 360
    np.testing.assert_allclose(out, c.HSV_to_RGB(expected), atol=2e-6)


def test_value_axis_uses_the_srgb_encoding_when_asked():
    """Two value divisions scaling V by 1.0 at V = 0 and 0.5 at V = 1: a grey at linear
    0.2140 (sRGB 0.5) gets 0.75 on the encoded axis, 0.8930 on the linear one."""
    table = np.ones((2, 1, 2, 3))
    table[..., 0] = 0.0
    table[1, ..., 2] = 0.5
    grey = np.full((1, 1, 3), 0.21404114)
    encoded = run(HueSatMapOp(table, srgb_value=True), grey)[0, 0, 0]
    srgb_decode = colour().models.eotf_sRGB
    expected = srgb_decode(0.5 * 0.75)
    assert encoded == pytest.approx(expected, rel=1e-5)
    linear = run(HueSatMapOp(table), grey)[0, 0, 0]
    assert linear == pytest.approx(0.21404114 * (1 - 0.5 * 0.21404114), rel=1e-5)


def test_opposite_constant_maps_round_trip():
    rgb = in_gamut_pixels()
    there = run(HueSatMapOp(constant_map(40.0, 0.9, 1.2)), rgb)
    back = run(HueSatMapOp(constant_map(-40.0, 1 / 0.9, 1 / 1.2)), there)
    np.testing.assert_allclose(back, rgb, atol=1e-5)


def test_identity_map_keeps_greys_blacks_and_colours_outside_the_space():
    pixels = np.array([[[0.3, 0.3, 0.3], [0.0, 0.0, 0.0], [1.4, -0.2, 0.5], [-0.1, -0.2, -0.3]]])
    for renderer in (ReferenceRenderer(), CpuRenderer()):
        out = run(HueSatMapOp(constant_map(0.0, 1.0, 1.0)), pixels, renderer)
        np.testing.assert_allclose(out, pixels, atol=1e-6)


@pytest.mark.parametrize("renderer", [ReferenceRenderer(), CpuRenderer()], ids=["reference", "cpu"])
def test_nan_and_inf_pass_through(renderer):
    pixels = np.array([[[np.nan, 0.2, 0.3], [np.inf, 0.1, 0.1], [0.2, 0.4, 0.6]]])
    out = run(HueSatMapOp(constant_map(30.0, 0.5, 2.0)), pixels, renderer)
    assert np.isnan(out[0, 0, 0]) and out[0, 1, 0] == np.inf
    assert np.all(np.isfinite(out[0, 2]))


@pytest.mark.parametrize(
    "table",
    [
        np.ones((1, 6, 4)),  # no entry axis
        np.ones((1, 6, 1, 3)),  # one saturation division
        np.ones((1, 0, 4, 3)),  # no hue division
        np.full((1, 6, 4, 3), np.nan),
        np.stack([np.zeros((1, 6, 4)), -np.ones((1, 6, 4)), np.ones((1, 6, 4))], axis=-1),
    ],
    ids=["rank", "one-sat", "no-hue", "nan", "negative-scale"],
)
def test_bad_tables_are_refused(table):
    with pytest.raises(ValueError):
        HueSatMapOp(table)


@pytest.mark.parametrize("dims", [(90, 30, 1), (36, 8, 16), (1, 2, 1)], ids=str)
@pytest.mark.parametrize("srgb", [False, True])
def test_cpu_kernel_matches_the_reference(dims, srgb):
    hue, sat, val = dims
    table = np.stack(
        [
            RNG.uniform(-20, 20, (val, hue, sat)),
            RNG.uniform(0.6, 1.4, (val, hue, sat)),
            RNG.uniform(0.7, 1.3, (val, hue, sat)),
        ],
        axis=-1,
    )
    pixels = (RNG.random((29, 41, 3)) * 1.6 - 0.1).astype(np.float32)
    program = Program((), (MatrixOp.of(np.eye(3) * 0.9), HueSatMapOp(table, srgb)))
    cpu = CpuRenderer().run(program, pixels)
    ref = ReferenceRenderer().run(program, pixels)
    np.testing.assert_allclose(cpu, ref, atol=2e-5, rtol=2e-5)
