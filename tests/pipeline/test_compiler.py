"""The compiler: folding keeps results, the Processor never mutates its input."""

from __future__ import annotations

import numpy as np
import pytest

from lsquared import engine
from lsquared.image import Encoding, Image
from lsquared.kernels.reference import ReferenceRenderer
from lsquared.pipeline.compiler import encoding_conversion, fold
from lsquared.pipeline.ops import CurveOp, MatrixOp, Program
from lsquared.pipeline.recipe import OUTPUT_SPACES, Recipe

RNG = np.random.default_rng(11)


def test_fold_multiplies_matrices_cancels_inverse_curves_and_keeps_results():
    ops = [
        MatrixOp.of(np.diag([2.0, 1.0, 0.5])),
        MatrixOp.of(np.diag([0.5, 1.0, 2.0])),
        CurveOp("srgb_encode"),
        CurveOp("srgb_decode"),
        MatrixOp.of(RNG.normal(0, 0.2, (3, 3)) + np.eye(3)),
        CurveOp("tone", 1.2),
    ]
    folded = fold(ops)
    assert len(folded) == 2
    x = RNG.random((8, 8, 3)).astype(np.float32)
    ref = ReferenceRenderer()
    np.testing.assert_allclose(
        ref.run(Program((), tuple(folded)), x), ref.run(Program((), tuple(ops)), x), atol=1e-6
    )


def test_llog_pair_is_not_cancelled_because_its_inverse_is_not_exact():
    assert len(fold([CurveOp("llog_encode"), CurveOp("llog_decode")])) == 2


@pytest.mark.parametrize("space", OUTPUT_SPACES)
def test_every_output_space_compiles_and_fused_equals_reference(space, sim_dng):
    recipe = Recipe().replace("output", space=space)
    image = engine.load_source(sim_dng.path, recipe)
    before = image.pixels.copy()
    proc = engine.compile(recipe, image)
    fast = proc.apply(image)
    slow = proc.with_renderer(ReferenceRenderer()).apply(image)
    np.testing.assert_array_equal(image.pixels, before)  # input untouched
    np.testing.assert_allclose(fast.pixels, slow.pixels, atol=2e-6)
    assert fast.encoding == proc.output_encoding
    assert "white balance" in proc.describe() and space in proc.describe()


def test_display_rendering_keeps_mid_grey_on_a_grey_card():
    grey = np.full((4, 4, 3), 0.18, dtype=np.float32)
    image = Image(grey, Encoding("rec709", "linear"))
    proc = engine.compile(Recipe().replace("output", space="srgb"), image)
    out = proc.apply(image).pixels
    from lsquared.color.transfer import srgb_encode

    np.testing.assert_allclose(out, srgb_encode(0.18), atol=1e-6)


def test_conversion_between_spaces_matches_colour_science():
    from lsquared.color._colour import colour

    c = colour()
    ops = encoding_conversion(Encoding("rec2020", "linear"), Encoding("p3", "linear"))
    rgb = RNG.random((5, 3))
    ours = ReferenceRenderer().run(Program((), tuple(ops)), rgb[None].astype(np.float32))[0]
    ref = c.RGB_to_RGB(
        rgb, "ITU-R BT.2020", "Display P3", chromatic_adaptation_transform="Bradford"
    )
    np.testing.assert_allclose(ours, ref, atol=1e-6)
