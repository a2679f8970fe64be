"""The CLI as users run it: --help with an example everywhere, develop, demo."""

from __future__ import annotations

import numpy as np
import pytest

from lsquared.io import stills
from tests.conftest import run_lsq

COMMANDS = [
    [], ["develop"], ["demo"], ["grade"], ["look"], ["look", "list"], ["look", "show"],
    ["lut"], ["lut", "info"], ["lut", "convert"], ["lut", "bake"], ["lut", "apply"],
    ["lens"], ["lens", "list"], ["lens", "find"], ["lens", "show"], ["lens", "identify"],
    ["lens", "import-db"],
]  # fmt: skip


@pytest.mark.parametrize("cmd", COMMANDS, ids=lambda c: " ".join(c) or "lsq")
def test_help_has_an_example(cmd):
    result = run_lsq(*cmd, "--help")
    assert result.returncode == 0
    assert "Example: lsq" in result.stdout


def test_develop_many_into_folder_with_explain(tmp_path, sim_dng):
    import shutil

    a, b = tmp_path / "a.dng", tmp_path / "b.dng"
    shutil.copy(sim_dng.path, a)
    shutil.copy(sim_dng.path, b)
    out = tmp_path / "out"
    out.mkdir()
    result = run_lsq("develop", a, b, "-o", out, "--format", "jpg", "--wb", "5600", "--explain")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["a.jpg", "b.jpg"]
    assert "5600 K" in result.stdout and "tone curve" in result.stdout


def test_ev_flag_brightens(tmp_path, sim_dng):
    r0 = run_lsq("develop", sim_dng.path, "-o", tmp_path / "0.exr", "--space", "linear-srgb")
    r1 = run_lsq(
        "develop", sim_dng.path, "-o", tmp_path / "1.exr", "--space", "linear-srgb", "--ev", "1"
    )
    assert r0.returncode == r1.returncode == 0, r0.stderr + r1.stderr
    a, b = stills.read_image(tmp_path / "0.exr"), stills.read_image(tmp_path / "1.exr")
    assert np.median(b / np.maximum(a, 1e-6)) == pytest.approx(2.0, rel=1e-3)


@pytest.mark.slow
def test_demo_reports_accuracy(tmp_path):
    result = run_lsq("demo", "-o", tmp_path / "d")
    assert result.returncode == 0, result.stderr
    line = next(s for s in result.stdout.splitlines() if s.startswith("accuracy:"))
    mean = float(line.split("mean dE2000 ")[1].split(",")[0])
    assert mean <= 1.0
    assert (tmp_path / "d" / "developed.tif").stat().st_size > 0


def test_jpeg_quality_option_changes_size(tmp_path, sim_dng):
    low = run_lsq("develop", sim_dng.path, "-o", tmp_path / "l.jpg", "--quality", "40")
    high = run_lsq("develop", sim_dng.path, "-o", tmp_path / "h.jpg", "--quality", "98")
    assert low.returncode == high.returncode == 0, low.stderr + high.stderr
    assert (tmp_path / "l.jpg").stat().st_size < (tmp_path / "h.jpg").stat().st_size
    bad = run_lsq("develop", sim_dng.path, "-o", tmp_path / "b.jpg", "--quality", "0")
    assert bad.returncode == 2 and "quality" in bad.stderr
