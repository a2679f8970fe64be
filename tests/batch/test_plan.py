"""Batch planning: what is found on a card dump and how outputs are named."""

from __future__ import annotations

import pytest

from lsquared.batch.plan import BatchSettings, find_inputs, plan_jobs
from lsquared.errors import InputError, OutputError, RecipeError
from lsquared.pipeline import recipe as rc
from lsquared.pipeline.recipe import Recipe

SETTINGS = BatchSettings(
    Recipe(), Recipe().replace("output", space="rec709").replace("video", codec="prores")
)


def _card(tmp_path):
    files = [
        "DCIM/100_PANA/P1000001.RW2", "DCIM/100_PANA/P1000002.rw2", "DCIM/100_PANA/P1000002.JPG",
        "DCIM/101_PANA/P1010001.DNG", "PRIVATE/M4ROOT/CLIP/C0001.MP4", "DCIM/.Trash/P0.RW2",
        "DCIM/100_PANA/._P1000001.RW2", "DCIM/100_PANA/.lsq-tmp-x.dng", "notes.txt",
    ]  # fmt: skip
    for name in files:
        (tmp_path / "card" / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "card" / name).write_bytes(b"x")
    return tmp_path / "card"


def test_finds_raws_and_clips_recursively_sorted_skipping_hidden_and_others(tmp_path):
    card = _card(tmp_path)
    found = [p.relative_to(card).as_posix() for p, _ in find_inputs([card], tmp_path / "out")]
    assert found == [
        "DCIM/100_PANA/P1000001.RW2", "DCIM/100_PANA/P1000002.rw2",
        "DCIM/101_PANA/P1010001.DNG", "PRIVATE/M4ROOT/CLIP/C0001.MP4",
    ]  # fmt: skip


def test_output_folder_inside_a_source_is_not_searched(tmp_path):
    card = _card(tmp_path)
    (card / "out").mkdir()
    (card / "out" / "P9.DNG").write_bytes(b"x")
    assert all("out" not in p.parts for p, _ in find_inputs([card], card / "out"))


def test_names_from_template_with_suffix_per_kind(tmp_path):
    card = _card(tmp_path)
    jobs = plan_jobs([card], tmp_path / "out", SETTINGS, "{dir}/{stem}_{n}")
    assert [(j.kind, j.output) for j in jobs] == [
        ("photo", "DCIM/100_PANA/P1000001_0001.tif"), ("photo", "DCIM/100_PANA/P1000002_0002.tif"),
        ("photo", "DCIM/101_PANA/P1010001_0003.tif"), ("video", "PRIVATE/M4ROOT/CLIP/C0001_0004.mov"),
    ]  # fmt: skip


def test_an_explicit_file_of_another_type_is_planned_to_fail_later(tmp_path):
    card = _card(tmp_path)
    jobs = plan_jobs([card / "notes.txt"], tmp_path / "out", SETTINGS)
    assert [(j.kind, j.output) for j in jobs] == [("unknown", "notes")]


def test_clashing_names_and_bad_templates_are_usage_errors(tmp_path):
    card = _card(tmp_path)
    (card / "DCIM/101_PANA/P1000001.DNG").write_bytes(b"x")
    with pytest.raises(OutputError, match="would write it"):
        plan_jobs([card], tmp_path / "out", SETTINGS)
    for template in ("{stem}{lens}", "fixed", "../{stem}", "{stem"):
        with pytest.raises(RecipeError):
            plan_jobs([card], tmp_path / "out", SETTINGS, template)
    with pytest.raises(InputError, match="no such file"):
        plan_jobs([tmp_path / "missing"], tmp_path / "out", SETTINGS)


def test_the_saved_clip_recipe_reloads_to_the_same_recipe_with_or_without_a_crf():
    """TOML has no null: an unset ``crf`` is saved as an absent key and reads back unset."""
    for crf in (None, 18):
        video = Recipe().replace("input", encoding="vlog")
        video = video.replace("video", codec="h264", crf=crf, preset="slow", fast=True)
        saved = BatchSettings(Recipe(), video).describe("video")
        assert ("crf = " in saved) == (crf is not None)
        assert rc.loads(saved) == video
