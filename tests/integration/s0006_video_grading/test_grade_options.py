"""`lsq grade` takes its clip settings from the recipe's [video] section unless an option
says otherwise, names the option in errors, and reads --lens-profile like develop."""

from __future__ import annotations

import shutil

import pytest

from tests.conftest import make_clip
from tests.conftest import run_lsq_here as run_lsq

av = pytest.importorskip("av")
pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed")


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    return make_clip(tmp_path_factory.mktemp("clips") / "c.mov", frames=3, w=64, h=36)


def _codec_of(path) -> str:
    with av.open(str(path)) as c:
        return c.streams.video[0].codec_context.name


def test_the_recipes_video_section_sets_the_codec(clip, tmp_path):
    recipe = tmp_path / "r.toml"
    recipe.write_text('[input]\nencoding = "vlog"\n[video]\ncodec = "h264"\ncrf = 30\n')
    done = run_lsq("grade", clip, "-o", tmp_path / "a.mp4", "--recipe", recipe)
    assert done.returncode == 0, done.stderr
    assert _codec_of(tmp_path / "a.mp4") == "h264"
    done = run_lsq("grade", clip, "-o", tmp_path / "b.mkv", "--recipe", recipe, "--codec", "FFV1")
    assert done.returncode == 0, done.stderr
    assert _codec_of(tmp_path / "b.mkv") == "ffv1"  # the option wins, whatever its case


def test_clip_option_errors_name_the_option(clip, tmp_path):
    for args, option in ((["--codec", "vp9"], "--codec"), (["--input", "hlg"], "--input")):
        done = run_lsq("grade", clip, "-o", tmp_path / "x.mov", *args)
        assert done.returncode == 2
        assert done.stderr.strip().startswith(f"lsq: {option}:"), done.stderr
        assert len(done.stderr.strip().splitlines()) == 1
        assert not (tmp_path / "x.mov").exists()


def test_input_is_case_insensitive(clip, tmp_path):
    done = run_lsq("grade", clip, "-o", tmp_path / "v.mov", "--input", "VLog", "--explain")
    assert done.returncode == 0, done.stderr
    assert "input: vlog" in done.stdout


def test_lens_profile_option(clip, tmp_path):
    missing = tmp_path / "no.xml"
    done = run_lsq(
        "grade", clip, "-o", tmp_path / "l.mov", "--input", "vlog", "--lens-profile", missing
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [f"lsq: {missing}: lens profile file not found"]
    assert not (tmp_path / "l.mov").exists()


def test_default_grades_through_the_fitted_bake_and_exact_runs_the_recipe(clip, tmp_path):
    """Issue 14 item 6: with nothing said, ``lsq grade`` runs the recipe baked into a 65^3
    LUT (the fidelity of that bake is tests/integration/s0004's); ``--exact`` and a recipe's
    ``[video] fast = false`` run it per pixel; the option wins over the recipe."""
    exact_recipe = tmp_path / "exact.toml"
    exact_recipe.write_text('[input]\nencoding = "vlog"\n[video]\nfast = false\n')
    runs = {
        "default": ("--input", "vlog"),
        "--exact": ("--input", "vlog", "--exact"),
        "recipe fast = false": ("--recipe", exact_recipe),
        "recipe fast = false, --fast": ("--recipe", exact_recipe, "--fast"),
    }
    baked = {}
    for name, args in runs.items():
        done = run_lsq("grade", clip, "-o", tmp_path / "g.mkv", "--codec", "ffv1", "--look",
                       "teal-orange", "--explain", *args)  # fmt: skip
        assert done.returncode == 0, (name, done.stderr)
        baked[name] = "baked into a 65^3 LUT" in done.stdout
    assert baked == {"default": True, "--exact": False, "recipe fast = false": False,
                     "recipe fast = false, --fast": True}  # fmt: skip
