"""Bad input: one line ``lsq: <path>: <problem>``, exit 2, nothing at the output path,
and the input's bytes unchanged."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import run_lsq, sha256


def _assert_clean_failure(result, out: Path, needle: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("lsq: ") and needle in lines[0], lines[0]
    assert "Traceback" not in result.stderr
    assert not out.exists()
    assert not [p for p in out.parent.glob(".lsq-tmp-*")] if out.parent.exists() else True


def test_missing_file(tmp_path):
    out = tmp_path / "o.tif"
    _assert_clean_failure(run_lsq("develop", tmp_path / "nope.dng", "-o", out), out, "not found")


def test_non_raw_file(tmp_path):
    fake = tmp_path / "notes.dng"
    fake.write_text("this is not a raw file\n" * 50)
    before, out = sha256(fake), tmp_path / "o.tif"
    _assert_clean_failure(run_lsq("develop", fake, "-o", out), out, str(fake))
    assert sha256(fake) == before


def test_raw_truncated_to_half(tmp_path, sim_dng):
    half = tmp_path / "half.dng"
    data = sim_dng.path.read_bytes()
    half.write_bytes(data[: len(data) // 2])
    before, out = sha256(half), tmp_path / "o.tif"
    _assert_clean_failure(run_lsq("develop", half, "-o", out), out, "truncated")
    assert sha256(half) == before


def test_unwritable_output_folder(tmp_path, sim_dng):
    if os.geteuid() == 0:
        pytest.skip("root writes anywhere; a file in the way is tested below")
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    target = ro / "o.tif"
    before = sha256(sim_dng.path)
    _assert_clean_failure(run_lsq("develop", sim_dng.path, "-o", target), target, "folder")
    assert sha256(sim_dng.path) == before


def test_read_only_folder_as_root_is_still_refused(tmp_path, sim_dng):
    """Root ignores permission bits, so a read-only mount is simulated by a file in the way."""
    blocker = tmp_path / "file-not-folder"
    blocker.write_text("x")
    for out in (blocker / "o.tif", blocker / "sub" / "o.tif"):
        result = run_lsq("develop", sim_dng.path, "-o", out)
        assert result.returncode == 2 and result.stderr.startswith("lsq: ")
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert blocker.read_text() == "x"


def test_broken_recipe(tmp_path, sim_dng):
    recipe = tmp_path / "r.toml"
    recipe.write_text('[white_balance]\nmode = "sunny"\n')
    out = tmp_path / "o.tif"
    result = run_lsq("develop", sim_dng.path, "-o", out, "--recipe", recipe)
    _assert_clean_failure(result, out, "mode")
    assert "as_shot" in result.stderr  # the valid choices are listed


def test_output_may_not_overwrite_input(tmp_path, sim_dng):
    src = tmp_path / "in.dng"
    shutil.copy(sim_dng.path, src)
    before = sha256(src)
    result = run_lsq("develop", src, "-o", src, "--format", "tif16")
    assert result.returncode == 2 and ".dng" in result.stderr  # not a still's extension
    assert sha256(src) == before
    still = tmp_path / "in.tif"
    assert run_lsq("develop", src, "-o", still).returncode == 0
    before = sha256(still)
    result = run_lsq("develop", still, "-o", still)
    assert result.returncode == 2 and "overwrite an input" in result.stderr
    assert sha256(still) == before


@pytest.mark.samples
def test_header_only_rw2_fails_cleanly(samples, tmp_path):
    rw2 = samples / "header-only" / "panasonic_dmc-lx3_header_only.rw2"
    before, out = sha256(rw2), tmp_path / "o.tif"
    _assert_clean_failure(run_lsq("develop", rw2, "-o", out), out, "truncated")
    assert sha256(rw2) == before


def test_debug_shows_traceback(tmp_path):
    result = run_lsq("--debug", "develop", tmp_path / "nope.dng", "-o", tmp_path / "o.tif")
    assert result.returncode != 0 and "Traceback" in result.stderr
