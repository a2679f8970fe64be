"""``lsq develop --demosaic``: LibRaw's algorithms by their ``libraw-`` names give the output
they gave as the default (LibRaw's AHD through the recipe), ``menon`` runs lsquared's own,
the default, and unknown names fail in one line."""

from __future__ import annotations

import numpy as np
import tifffile

from lsquared import engine
from lsquared.pipeline.recipe import Recipe
from tests.conftest import run_lsq


def _develop(sim_dng, out, *options) -> np.ndarray:
    result = run_lsq("develop", sim_dng.path, "-o", out, *options)
    assert result.returncode == 0, result.stderr
    return tifffile.imread(out)


def test_libraw_ahd_is_the_former_output_and_menon_is_the_default(tmp_path, sim_dng):
    former = Recipe().replace("demosaic", algorithm="AHD")  # the default until Menon
    engine.develop_file(sim_dng.path, tmp_path / "former.tif", former)
    ahd = tifffile.imread(tmp_path / "former.tif")
    libraw_ahd = _develop(sim_dng, tmp_path / "ahd.tif", "--demosaic", "libraw-ahd")
    menon = _develop(sim_dng, tmp_path / "menon.tif", "--demosaic", "menon")
    default = _develop(sim_dng, tmp_path / "default.tif")
    np.testing.assert_array_equal(libraw_ahd, ahd)
    np.testing.assert_array_equal(default, menon)
    difference = np.abs(menon.astype(np.int64) - ahd)[8:-8, 8:-8] / 65535
    assert 0 < np.median(difference) < 0.01  # the same picture, demosaiced otherwise


def test_unknown_demosaic_is_one_line(tmp_path, sim_dng):
    result = run_lsq(
        "develop", sim_dng.path, "-o", tmp_path / "x.tif", "--demosaic", "libraw-menon"
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "MENON" in result.stderr and "AHD" in result.stderr
    assert not (tmp_path / "x.tif").exists()
