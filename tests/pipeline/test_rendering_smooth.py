"""The built-in looks' rendering is smooth (C1) where a camera records: no kink a lattice
cell could hide, on grey ramps and saturation sweeps of V-Log input (issue 14 item 1)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from lsquared import engine
from lsquared.color import transfer
from lsquared.looks import catalog
from lsquared.pipeline.ops import ClampOp
from lsquared.pipeline.recipe import Recipe

STEP = 1 / 4096


def _second_difference(processor, vlog: np.ndarray) -> np.ndarray:
    out = processor.apply_array(vlog.astype(np.float32)[:, None, :])[:, 0].astype(np.float64)
    return np.abs(out[2:] - 2 * out[1:-1] + out[:-2]).max(1)


@pytest.mark.parametrize("look", catalog.names())
def test_no_kinks_on_ramps_and_sweeps(look):
    """A kink (a clip, max/min) shows as a second difference ~ slope jump x step, which
    does not shrink with the step; smooth curves give ~ curvature x step^2. At a 1/4096
    step the largest second difference stays below 2e-4 (a kink of slope change 0.8 would
    give 2e-4), from V-Log black (0.125) to 0.95, and along saturation sweeps of three hues."""
    recipe = engine.with_look_name(Recipe().replace("output", space="rec709"), look)
    processor = engine.compile(
        recipe, engine.Metadata(), engine.input_encoding("vlog"), renderer="reference"
    )
    code = np.arange(0.125, 0.95, STEP)
    ramp = np.repeat(code[:, None], 3, 1)
    assert _second_difference(processor, ramp).max() < 2e-4
    program = processor.program  # the control: the same rendering with a clip at 0.5
    clipped = replace(processor, program=replace(program, point=(*program.point, ClampOp(0, 0.5))))
    assert _second_difference(clipped, ramp).max() > 2e-4
    amount = np.arange(0.0, 1.0, STEP * 4)
    for hue in ((0.47, 0.33, 0.25), (0.7, 0.2, 0.2), (0.15, 0.45, 0.5)):
        for level in (0.045, 0.18, 0.72):
            linear = level * (1 + amount[:, None] * (np.asarray(hue) / np.mean(hue) - 1))
            sweep = transfer.vlog_encode(linear)
            assert _second_difference(processor, sweep).max() < 2e-4 * 16, (hue, level)
