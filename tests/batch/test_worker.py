"""A Processor is compiled once per distinct (recipe, camera, lens, settings) and reused."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from lsquared import engine
from lsquared.errors import LsqWarning
from lsquared.io import raw
from lsquared.pipeline.recipe import Recipe
from lsquared.simulate import simulate
from tests.batch.shots import reshoot


def _metadata(path):
    with raw.open_raw(path) as f:
        return f.metadata


@pytest.mark.filterwarnings("ignore::lsquared.errors.LsqWarning")
def test_one_compile_per_camera_and_settings_reused_with_each_files_warnings(tmp_path):
    shots = [simulate(tmp_path / f"a{i}.dng", width=120, height=80, seed=i) for i in range(3)]
    other = simulate(tmp_path / "b.dng", width=120, height=80, model="LUMIX S1R (simulated)")
    del shots, other
    cache = engine.ProcessorCache()
    recipe = Recipe()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", LsqWarning)
        first = cache.compile(recipe, _metadata(tmp_path / "a0.dng"), raw.CAMERA_RAW)
        again = [
            cache.compile(recipe, _metadata(tmp_path / f"a{i}.dng"), raw.CAMERA_RAW) for i in (1, 2)
        ]
    assert cache.compiled == 1 and all(p is first for p in again)
    # the simulator's fictional lens is unknown: each file is told so under its own name
    named = [str(w.message).split(":")[0] for w in caught]
    assert named == [str(tmp_path / f"a{i}.dng") for i in range(3)]
    cache.compile(recipe, _metadata(tmp_path / "b.dng"), raw.CAMERA_RAW)
    cache.compile(
        recipe.replace("exposure", ev=1.0), _metadata(tmp_path / "a0.dng"), raw.CAMERA_RAW
    )
    assert cache.compiled == 3


@pytest.mark.filterwarnings("ignore::lsquared.errors.LsqWarning")
def test_shots_differing_only_in_time_and_exposure_share_one_compile(tmp_path):
    """DateTimeOriginal and ExposureTime differ on every real shot and are only copied to
    the output; the second shot must not compile again."""
    first = simulate(tmp_path / "a.dng", width=120, height=80).path
    second = reshoot(first, tmp_path / "b.dng", "2026:03:04 05:06:07", "1/500")
    shots = [_metadata(first), _metadata(second)]
    assert shots[0].exif != shots[1].exif
    cache = engine.ProcessorCache()
    processors = [cache.compile(Recipe(), shot, raw.CAMERA_RAW) for shot in shots]
    assert cache.compiled == 1 and processors[0] is processors[1]


@pytest.mark.filterwarnings("ignore::lsquared.errors.LsqWarning")
def test_reused_processor_renders_what_a_fresh_compile_renders(tmp_path):
    simulate(tmp_path / "a0.dng", width=120, height=80, seed=0)
    simulate(tmp_path / "a1.dng", width=120, height=80, seed=1)
    cache = engine.ProcessorCache()
    cache.compile(Recipe(), _metadata(tmp_path / "a0.dng"), raw.CAMERA_RAW)
    image = raw.read_raw(tmp_path / "a1.dng")
    reused = cache.compile(Recipe(), image.metadata, raw.CAMERA_RAW).apply_array(image.pixels)
    fresh = engine.compile(Recipe(), image).apply_array(image.pixels)
    assert cache.compiled == 1
    np.testing.assert_array_equal(reused, fresh)


def test_fast_clips_are_baked_once_per_key_and_change_the_settings_digest(tmp_path):
    """``--fast`` is part of what decides whether an output is still valid, and a batch
    bakes the look once per worker and key, not once per clip."""
    from lsquared.batch import BatchSettings
    from tests.conftest import make_clip

    recipe = engine.with_look_name(Recipe().replace("output", space="rec709"), "teal-orange")
    recipe = recipe.replace("input", encoding="vlog").replace("video", codec="ffv1")
    exact = BatchSettings(Recipe(), recipe.replace("video", fast=False))
    fast = BatchSettings(Recipe(), recipe.replace("video", fast=True))
    assert exact.describe("video") != fast.describe("video")
    cache = engine.ProcessorCache()
    # the helper's default 12 frames: two-frame x265 clips written through PyAV are refused
    # by the MOV muxer ("pts/dts pair unsupported") in about one run in fifteen
    clips = [make_clip(tmp_path / f"c{i}.mov", audio=False) for i in range(2)]
    results = [
        engine.grade_file(c, tmp_path / f"o{i}.mkv", recipe, "vlog", "ffv1", cache=cache, fast=True)
        for i, c in enumerate(clips)
    ]
    assert results[0].processor is results[1].processor
    assert "65^3 LUT" in results[0].processor.describe()
