"""User looks (issue 14 item 3): made from a LUT or a recipe by ``lsq look import``, then
used as a built-in look is."""

from __future__ import annotations

import numpy as np
import pytest

from lsquared.looks.files import read_lut
from tests.conftest import run_lsq

tifffile = pytest.importorskip("tifffile")


def _ok(*args):
    result = run_lsq(*args)
    assert result.returncode == 0, result.stderr
    return result


def test_lut_look_develops_like_the_lut_it_was_made_from(tmp_path, monkeypatch, sim_dng):
    monkeypatch.setenv("LSQ_LOOKS", str(tmp_path / "looks"))
    lut = tmp_path / "grade.cube"
    _ok("lut", "bake", "--look", "warm-classic", "--size", "17", "-o", lut)
    _ok("look", "import", lut, "--input", "vlog", "--name", "my-grade")
    assert "my-grade" in _ok("look", "list").stdout
    _ok("develop", sim_dng.path, "-o", tmp_path / "look.tif", "--look", "my-grade")
    _ok("develop", sim_dng.path, "-o", tmp_path / "lut.tif", "--lut", lut, "--lut-input", "vlog")
    assert np.array_equal(
        tifffile.imread(tmp_path / "look.tif"), tifffile.imread(tmp_path / "lut.tif")
    )
    _ok("lut", "bake", "--look", "my-grade", "-o", tmp_path / "camera.vlt")
    assert read_lut(tmp_path / "camera.vlt").size == 17
    clash = run_lsq("look", "import", lut, "--name", "neutral")
    assert clash.returncode == 2 and "built-in look" in clash.stderr


def test_recipe_look_bakes_like_the_recipe(tmp_path, monkeypatch):
    monkeypatch.setenv("LSQ_LOOKS", str(tmp_path / "looks"))
    recipe = tmp_path / "r.toml"
    recipe.write_text("schema = 1\n[grade]\nslope = [1.1, 1.0, 0.95]\nsaturation = 0.9\n"
                      "[display]\ncontrast = 1.1\n")  # fmt: skip
    _ok("look", "import", "--recipe", recipe, "--name", "mine")
    _ok("lut", "bake", "--look", "mine", "-o", tmp_path / "a.cube")
    _ok("lut", "bake", "--recipe", recipe, "-o", tmp_path / "b.cube")
    assert np.array_equal(read_lut(tmp_path / "a.cube").table, read_lut(tmp_path / "b.cube").table)
