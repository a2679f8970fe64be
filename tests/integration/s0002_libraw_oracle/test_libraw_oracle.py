"""Independent oracle: every real RAW sample develops, and lsquared's linear sRGB agrees with
LibRaw's own rendering (rawpy postprocess) after one global gain."""

from __future__ import annotations

import numpy as np
import pytest

from lsquared import engine
from lsquared.color import scene, spaces
from lsquared.pipeline.recipe import Recipe
from tests.conftest import sample_raws, sha256

pytestmark = pytest.mark.samples


@pytest.mark.parametrize("path", sample_raws() or [None], ids=lambda p: p.name if p else "none")
def test_agrees_with_rawpy_postprocess(path, samples):
    if path is None:
        pytest.skip("no RAW files under LSQ_SAMPLES/raw")
    import rawpy

    before = sha256(path)
    recipe = (
        Recipe()
        .replace("output", space="linear-srgb")
        .replace("white_balance", mode="as_shot")
        .replace("lens", source="none")  # LibRaw applies no lens correction
    )
    image = engine.load_source(path, recipe)
    ours = engine.compile(recipe, image).apply(image).pixels
    with rawpy.imread(str(path)) as raw:
        ref = (
            raw.postprocess(
                use_camera_wb=True,
                no_auto_bright=True,
                gamma=(1, 1),
                output_color=rawpy.ColorSpace.sRGB,
                output_bps=16,
            ).astype(np.float32)
            / 65535.0
        )
    assert ours.shape == ref.shape  # dimensions and orientation (LibRaw applies the flip)
    usable = (ref.max(axis=-1) < 0.98) & (ref.min(axis=-1) > 1e-4)
    gain = np.sum(ours[usable] * ref[usable]) / np.sum(ours[usable] ** 2)
    to_xyz = spaces.matrix("rec709", "xyz").T
    de = scene.delta_e_2000(
        scene.xyz_to_lab_d65(ref[usable] @ to_xyz),
        scene.xyz_to_lab_d65(gain * ours[usable] @ to_xyz),
    )
    assert np.median(de) <= 1.5
    assert sha256(path) == before


def test_rotated_orientation_matches_libraw(tmp_path):
    """A DNG tagged Orientation 6 (rotate 90 CW) comes out portrait, as LibRaw renders it."""
    import rawpy

    from lsquared.io.meta import add_exif
    from lsquared.simulate import simulate

    truth = simulate(tmp_path / "r.dng", width=300, height=200)
    add_exif(truth.path, {"Exif.Image.Orientation": "6"})
    recipe = Recipe().replace("output", space="linear-srgb")
    image = engine.load_source(truth.path, recipe)
    with rawpy.imread(str(truth.path)) as raw:
        ref = raw.postprocess(no_auto_bright=True, gamma=(1, 1), output_bps=16)
    assert image.pixels.shape == ref.shape == (300, 200, 3)
