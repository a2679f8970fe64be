"""The fused numba kernel against the numpy reference, op by op and fused."""

from __future__ import annotations

import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lsquared.kernels.cpu import CpuRenderer
from lsquared.kernels.reference import ReferenceRenderer
from lsquared.pipeline.ops import (
    CURVE_KINDS,
    CdlOp,
    ClampOp,
    CurveOp,
    GamutCompressOp,
    HighlightLimitOp,
    HighlightOp,
    Lut1DOp,
    Lut3DOp,
    MatrixOp,
    Program,
    ShadowToeOp,
)

RNG = np.random.default_rng(7)
PIXELS = (RNG.random((37, 53, 3)) * 2.4 - 0.2).astype(np.float32)


def _run_both(ops, pixels=PIXELS, fast_curves=False):
    """The numba interpreter (curves exact unless ``fast_curves``) and the numpy reference."""
    program = Program((), tuple(ops))
    cpu = CpuRenderer(fast_curves=fast_curves)
    return cpu.run(program, pixels), ReferenceRenderer().run(program, pixels)


@pytest.mark.parametrize("kind", CURVE_KINDS)
def test_each_curve(kind):
    fast, ref = _run_both([CurveOp(kind, 1.2)])
    np.testing.assert_allclose(fast, ref, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("interp", ["tetrahedral", "trilinear"])
def test_lut3d_including_out_of_domain(interp):
    table = RNG.random((9, 9, 9, 3)).astype(np.float32)
    fast, ref = _run_both([Lut3DOp(table, (-0.1, 0.0, 0.0), (1.0, 1.5, 1.2), interp)])
    np.testing.assert_allclose(fast, ref, atol=1e-6)


def test_lut3d_identity_table_is_identity_inside_domain():
    n = 17
    g = np.linspace(0, 1, n)
    table = np.stack(np.meshgrid(g, g, g, indexing="ij"), axis=-1).astype(np.float32)
    inside = np.clip(PIXELS, 0, 1)
    fast, _ = _run_both([Lut3DOp(table)], inside)
    np.testing.assert_allclose(fast, inside, atol=1e-6)


def test_highlights_and_clamp_and_lut1d():
    table = np.sqrt(np.linspace(0, 1, 33))[:, None].repeat(3, 1).astype(np.float32)
    ops = [
        HighlightOp("reconstruct", (1.0, 1.3, 1.6)),
        HighlightOp("clip", (1.0, 1.3, 1.6)),
        ClampOp(0.0, 1.0),
        Lut1DOp(table),
    ]
    fast, ref = _run_both(ops)
    np.testing.assert_allclose(fast, ref, atol=1e-6)


def test_gamut_compression_and_cdl():
    """Wide, negative and zero colours: the distance compression (tanh via exp in the
    kernel), its identity below the threshold, and the CDL with and without a power."""
    wide = np.concatenate(
        [PIXELS.reshape(-1, 3) * 3 - 1, np.zeros((1, 3)), [[1.0, 0.5, 0.8], [2.0, -0.5, 0.1]]]
    ).astype(np.float32)[:, None, :]
    for ops in (
        [GamutCompressOp(0.75, 0.9)],
        [GamutCompressOp(0.8, 1.0, smoothing=0.2)],
        [CdlOp((1.1, 0.9, 1.0), (0.01, -0.02, 0.0), (1.0, 1.0, 1.0), 1.2)],
        [CdlOp((1.1, 0.9, 1.0), (0.01, -0.02, 0.0), (1.2, 0.9, 1.0), 0.8)],
    ):
        fast, ref = _run_both(ops, wide)
        np.testing.assert_allclose(fast, ref, rtol=1e-6, atol=1e-6)
    inside = np.array([[[1.0, 0.5, 0.8]]], np.float32)  # d <= 0.5: untouched
    np.testing.assert_array_equal(_run_both([GamutCompressOp(0.75, 0.9)], inside)[0], inside)


def test_shadow_toe_and_highlight_limit():
    """The two rendering ops built for lattices, on wide, negative and zero colours; and
    what they promise: grey 0.18 kept by the toe, nothing reaching 1 through the limit."""
    wide = np.concatenate([PIXELS.reshape(-1, 3) * 3 - 1, np.zeros((1, 3))]).astype(np.float32)
    for ops in ([ShadowToeOp(0.02, (0.27, 0.67, 0.06))], [HighlightLimitOp(0.9, 1.0)]):
        fast, ref = _run_both(ops, wide[:, None, :])
        np.testing.assert_allclose(fast, ref, rtol=1e-6, atol=1e-7)
    grey = np.full((1, 1, 3), 0.18, np.float32)
    np.testing.assert_allclose(_run_both([ShadowToeOp(0.02)], grey)[0], grey, rtol=1e-6)
    limited = _run_both([HighlightLimitOp(0.9, 1.0)], np.abs(wide[:, None, :]) * 4)[0]
    assert limited.max() < 1.0


@settings(max_examples=25, deadline=None)
@given(st.lists(st.sampled_from(["m", "tone", "srgb_encode", "vlog_decode", "clamp"]), max_size=6))
def test_random_fused_programs(names):
    ops = []
    for n in names:
        if n == "m":
            ops.append(MatrixOp.of(np.eye(3) + RNG.normal(0, 0.1, (3, 3))))
        elif n == "clamp":
            ops.append(ClampOp(0.0, 1.0))
        else:
            ops.append(CurveOp(n, 1.15))
    exact, ref = _run_both(ops)
    np.testing.assert_allclose(exact, ref, rtol=2e-6, atol=2e-6)


@pytest.mark.parametrize(
    "chain",
    [
        ["tone", "srgb_encode"],  # develop to sRGB
        ["vlog_decode", "tone", "bt1886_encode"],  # V-Log grade to Rec.709
        ["llog_decode", "acescct_encode"],  # L-Log into a grading space
        ["pq_encode", "pq_decode", "hlg_encode"],
    ],
)
def test_curve_tables_on_real_chains(chain):
    """With tables on, real pipelines stay within 1e-5 relative (or a third of a 16-bit
    step, 5e-6, where a matrix cancels values down to near zero) of the exact result."""
    rng = np.random.default_rng(zlib.crc32(" ".join(chain).encode()))
    pixels = (rng.random((64, 64, 3)) * 1.2 - 0.05).astype(np.float32)
    ops = []
    for name in chain:
        ops += [MatrixOp.of(np.eye(3) + rng.normal(0, 0.05, (3, 3))), CurveOp(name, 1.15)]
    fast, ref = _run_both(ops, pixels, fast_curves=True)
    np.testing.assert_allclose(fast, ref, rtol=1e-5, atol=5e-6)


def test_renderer_does_not_mutate_input():
    before = PIXELS.copy()
    _run_both([MatrixOp.of(np.eye(3) * 2)])
    np.testing.assert_array_equal(PIXELS, before)


@pytest.mark.parametrize("kind", CURVE_KINDS)
def test_curve_tables_match_exact_formula_or_are_refused(kind):
    """Tables are used only where interpolation stays within 5e-7 relative of the formula."""
    from lsquared.kernels.cpu import curve_table

    x = np.concatenate([np.geomspace(1e-7, 1e5, 200_001), np.linspace(-0.3, 1.3, 200_001)])
    x = x.astype(np.float32).reshape(-1, 1, 1).repeat(3, 2)
    program = Program((), (CurveOp(kind, 1.15),))
    fast = CpuRenderer().run(program, x)
    exact = CpuRenderer(fast_curves=False).run(program, x)
    ok = np.isfinite(exact)
    np.testing.assert_allclose(fast[ok], exact[ok], rtol=1e-6, atol=1e-8)
    if kind in ("srgb_encode", "llog_encode", "tone", "vlog_decode"):  # kink, step, smooth
        found = curve_table(CurveOp(kind, 1.15))
        assert found is not None
        flags = np.isnan(found[1][1::2])  # a NaN step: the bucket takes the formula
        assert flags.sum() <= (0.01 * flags.size if kind == "tone" else 2)


@pytest.mark.parametrize("bits", [8, 16])
def test_fused_quantisation_matches_reference(bits):
    ops = [MatrixOp.of(np.eye(3) * 0.9), CurveOp("srgb_encode")]
    program = Program((), tuple(ops))
    fast = CpuRenderer().run(program, PIXELS, bits)
    ref = ReferenceRenderer().run(program, PIXELS, bits)
    assert fast.dtype == ref.dtype
    assert np.abs(fast.astype(int) - ref.astype(int)).max() <= 1
    assert np.mean(fast == ref) > 0.999
