"""Bakes for the fast path are kept on disk per recipe, input, size and LUT file bytes
(issue 14 item 6, the engine side): a second clip with the same look starts at once."""

from __future__ import annotations

import numpy as np
import pytest

from lsquared import engine
from lsquared.looks import cube
from lsquared.looks.lut import Lut, identity_table
from lsquared.pipeline.recipe import Recipe


def _counting_bakes(monkeypatch) -> list:
    calls: list = []
    bake = engine.bake_lut

    def counted(*args, **kwargs):
        calls.append(args)
        return bake(*args, **kwargs)

    monkeypatch.setattr(engine, "bake_lut", counted)
    return calls


def test_second_bake_comes_from_disk_and_equals_the_first(tmp_path, monkeypatch):
    monkeypatch.setenv("LSQ_BAKE_CACHE", str(tmp_path / "cache"))
    calls = _counting_bakes(monkeypatch)
    recipe = engine.with_look_name(Recipe().replace("output", space="rec709"), "teal-orange")
    first = engine.cached_bake_lut(recipe, "vlog", 9)
    second = engine.cached_bake_lut(recipe, "vlog", 9)
    assert len(calls) == 1 and np.array_equal(first.table, second.table)
    assert len(list((tmp_path / "cache").glob("*.npy"))) == 1
    engine.cached_bake_lut(recipe, "llog", 9)  # another input is another bake
    assert len(calls) == 2
    (entry,) = [p for p in (tmp_path / "cache").glob("*.npy") if p.stat().st_size][:1]
    entry.write_bytes(b"not a numpy file")  # a damaged entry is baked again
    engine.cached_bake_lut(recipe, "vlog", 9)
    engine.cached_bake_lut(recipe, "llog", 9)
    assert len(calls) == 3


def test_a_changed_lut_file_is_a_new_bake(tmp_path, monkeypatch):
    monkeypatch.setenv("LSQ_BAKE_CACHE", str(tmp_path / "cache"))
    calls = _counting_bakes(monkeypatch)
    lut_path = tmp_path / "user.cube"
    lut_path.write_text(cube.dumps(Lut(table=identity_table(5) ** 1.2)))
    recipe = Recipe().replace("look", lut=str(lut_path)).replace("output", space="rec709")
    a = engine.cached_bake_lut(recipe, "vlog", 9)
    lut_path.write_text(cube.dumps(Lut(table=identity_table(5) ** 0.8)))
    b = engine.cached_bake_lut(recipe, "vlog", 9)
    assert len(calls) == 2 and not np.array_equal(a.table, b.table)


def test_off_keeps_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("LSQ_BAKE_CACHE", "off")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    recipe = engine.with_look_name(Recipe().replace("output", space="rec709"), "neutral")
    engine.cached_bake_lut(recipe, "vlog", 5)
    assert not any(tmp_path.rglob("*.npy"))


def test_a_kept_bake_grades_a_clip_without_compiling_the_recipe(tmp_path, monkeypatch):
    """Issue 14 item 6: the second clip with the same look starts at once. With its bake
    on disk the recipe is not compiled (so colour-science is not imported); the frames
    equal the first grade's and the Processor says where its LUT came from."""
    pytest.importorskip("av")
    from lsquared.io import video
    from tests.conftest import make_clip

    monkeypatch.setenv("LSQ_BAKE_CACHE", str(tmp_path / "cache"))
    clip = make_clip(tmp_path / "c.mov", frames=3, w=64, h=36, audio=False)
    recipe = engine.with_look_name(Recipe().replace("output", space="rec709"), "warm-classic")
    first = engine.grade_file(clip, tmp_path / "a.mkv", recipe, "vlog", "ffv1", fast=True)

    def no_compiling(*args, **kwargs):
        raise AssertionError("compiled although the bake was on disk")

    monkeypatch.setattr(engine, "compile", no_compiling)
    second = engine.grade_file(clip, tmp_path / "b.mkv", recipe, "vlog", "ffv1", fast=True)
    assert "from the bake cache" in second.processor.describe()
    assert second.processor.output_encoding == first.processor.output_encoding
    assert second.processor.display_referred == first.processor.display_referred
    a, b = video.read_frames(tmp_path / "a.mkv"), video.read_frames(tmp_path / "b.mkv")
    for (x, _), (y, _) in zip(a, b, strict=True):
        assert np.array_equal(x, y)
