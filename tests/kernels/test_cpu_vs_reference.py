"""The fused numba kernel against the numpy reference, op by op and fused."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lsquared.kernels.cpu import CpuRenderer
from lsquared.kernels.reference import ReferenceRenderer
from lsquared.pipeline.ops import (
    CURVE_KINDS,
    ClampOp,
    CurveOp,
    HighlightOp,
    Lut1DOp,
    Lut3DOp,
    MatrixOp,
    Program,
)

RNG = np.random.default_rng(7)
PIXELS = (RNG.random((37, 53, 3)) * 2.4 - 0.2).astype(np.float32)


def _run_both(ops, pixels=PIXELS):
    program = Program((), tuple(ops))
    return CpuRenderer().run(program, pixels), ReferenceRenderer().run(program, pixels)


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
    fast, ref = _run_both(ops)
    np.testing.assert_allclose(fast, ref, rtol=2e-6, atol=2e-6)


def test_renderer_does_not_mutate_input():
    before = PIXELS.copy()
    _run_both([MatrixOp.of(np.eye(3) * 2)])
    np.testing.assert_array_equal(PIXELS, before)
