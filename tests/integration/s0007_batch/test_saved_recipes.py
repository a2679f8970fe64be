"""What ``lsq batch`` saves beside its outputs is the run: ``recipe.toml`` (photos) and
``recipe-video.toml`` (clips) are recipe TOML that, given back with ``--recipe``, make
byte-identical outputs; two shots that differ only in the EXIF copied to the output
(DateTimeOriginal, ExposureTime) share one compiled Processor; no lock file stays behind.

References: the TOML parser of the standard library (not lsquared's loader), the outputs'
SHA-256 from two runs, pyexiv2 (Exiv2) writing the shot tags into a copy of a DNG.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from lsquared.simulate import simulate
from tests.batch.shots import reshoot
from tests.conftest import make_clip, run_lsq, sha256

pytestmark = pytest.mark.slow

#: every clip setting away from its default, so that a rerun that lost one differs
CLIP_ARGS = ("--input", "vlog", "--videos", "h264", "--crf", "20", "--preset", "fast", "--exact")


def _outputs(outdir: Path, suffix: str) -> dict[str, str]:
    return {p.name: sha256(p) for p in sorted(outdir.glob(f"*{suffix}"))}


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    card = tmp_path_factory.mktemp("card")
    (card / "DCIM").mkdir()
    (card / "CLIP").mkdir()
    simulate(card / "DCIM/P1000001.DNG", width=240, height=160, seed=3)
    reshoot(card / "DCIM/P1000001.DNG", card / "DCIM/P1000002.DNG", "2026:03:04 05:06:07", "1/500")
    make_clip(card / "CLIP/C0001.MOV", frames=6, w=192, h=108, codec="libx264",
              pix_fmt="yuv420p", bits=8, audio=False)  # fmt: skip
    out = tmp_path_factory.mktemp("first") / "out"
    result = run_lsq(
        "batch", card, "-o", out, "--look", "warm-classic", *CLIP_ARGS, "--workers", "1",
        "--json", timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    return card, out


def test_saved_recipes_are_valid_toml_holding_the_clip_settings_given(first_run):
    _, out = first_run
    photo = tomllib.loads((out / "recipe.toml").read_text())
    video = tomllib.loads((out / "recipe-video.toml").read_text())
    assert photo["look"]["name"] == video["look"]["name"] == "warm-classic"
    assert video["input"]["encoding"] == "vlog"
    assert video["video"] == {"codec": "h264", "crf": 20, "preset": "fast", "fast": False}


def test_each_saved_recipe_reproduces_its_outputs_byte_for_byte(first_run, tmp_path):
    card, out = first_run
    for folder, recipe, suffix in (("DCIM", "recipe.toml", ".tif"),
                                   ("CLIP", "recipe-video.toml", ".mp4")):  # fmt: skip
        again = tmp_path / folder
        result = run_lsq("batch", card / folder, "-o", again, "--recipe", out / recipe)
        assert result.returncode == 0, result.stderr
        first = _outputs(out, suffix)
        assert first and _outputs(again, suffix) == first, (recipe, result.stderr)
        assert (again / recipe).read_text() == (out / recipe).read_text()


def test_shots_differing_only_in_time_and_exposure_compile_once(first_run):
    _, out = first_run
    report = json.loads((out / "report.json").read_text())
    assert report["counts"] == {"done": 3, "skipped": 0, "failed": 0}
    assert report["run"]["processors_compiled"] == 2  # one for both photos, one for the clip


def test_no_lock_file_stays_in_the_output_folder(first_run):
    _, out = first_run
    assert sorted(p.name for p in out.iterdir() if p.name.startswith(".")) == [".lsq-journal.jsonl"]
