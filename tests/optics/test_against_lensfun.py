"""Lens maps against lensfun's own Modifier, for every L-mount lens it bundles.

lensfun 0.3.4 (as bundled with lensfunpy) is queried one point at a time: its batched SSE
path approximates sqrt with rcp(rsqrt()) (about 12 bits) and accumulates coordinates in
float32 along rows, so a whole-image call carries up to ~0.2 px of its own error on
PTLens profiles; one point per call runs its exact scalar code.
"""

from __future__ import annotations

import numpy as np
import pytest

from lsquared.optics import lensdb
from lsquared.optics import profile as optics

lensfunpy = pytest.importorskip("lensfunpy")
L_LENSES = [lens for lens in lensfunpy.Database().lenses if "Leica L" in lens.mounts]
W, H = 6000, 4000


def _settings(lens):
    return sorted(
        {float(lens.min_focal), (lens.min_focal + lens.max_focal) / 2, float(lens.max_focal)}
    )


@pytest.mark.parametrize("lens", L_LENSES, ids=lambda lens: lens.model)
def test_distortion_and_tca_match_lensfun_modifier(lens):
    xs = np.linspace(0, W - 1, 17)
    ys = np.linspace(0, H - 1, 13)
    checked = 0
    for focal in _settings(lens):
        mod = lensfunpy.Modifier(lens, lens.crop_factor, W, H)
        mod.initialize(
            focal, 4.0, 10.0, flags=lensfunpy.ModifyFlags.DISTORTION | lensfunpy.ModifyFlags.TCA
        )
        if mod.apply_subpixel_geometry_distortion(0.0, 0.0, 1, 1) is None:
            continue
        ref = np.array(
            [
                [mod.apply_subpixel_geometry_distortion(float(x), float(y), 1, 1)[0, 0] for x in xs]
                for y in ys
            ]
        )  # (13, 17, 3 channels, 2 coords)
        p = optics.from_lensfun(lens, focal, 4.0, 10.0)
        xx, yy = np.meshgrid(xs, ys)
        sx, sy = optics.source_coordinates(p, W, H, lens.crop_factor, xx, yy)
        ours = np.stack([np.moveaxis(sx, 0, -1), np.moveaxis(sy, 0, -1)], axis=-1)
        err = np.hypot(*np.moveaxis(ours - ref, -1, 0))
        assert np.sqrt(np.mean(err**2)) <= 0.05 and err.max() <= 0.1, (focal, err.max())
        checked += 1
    if lens.interpolate_distortion(lens.min_focal) is not None:
        assert checked


@pytest.mark.parametrize(
    "lens",
    [
        lens
        for lens in L_LENSES
        if lens.interpolate_vignetting(lens.min_focal, 4.0, 10.0) is not None
    ],
    ids=lambda lens: lens.model,
)
def test_vignetting_gains_match_lensfun(lens):
    w, h = 600, 400
    for focal in _settings(lens):
        for aperture in (float(lens.min_aperture or 2.0), 5.6, 11.0):
            mod = lensfunpy.Modifier(lens, lens.crop_factor, w, h)
            mod.initialize(
                focal,
                aperture,
                10.0,
                pixel_format=np.float32,
                flags=lensfunpy.ModifyFlags.VIGNETTING,
            )
            ones = np.ones((h, w, 3), np.float32)
            mod.apply_color_modification(ones)
            p = optics.from_lensfun(lens, focal, aperture, 10.0)
            yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
            gain = optics.vignetting_gain(p, w, h, lens.crop_factor, xx, yy)
            assert np.max(np.abs(gain / ones[..., 1] - 1)) <= 1e-4


def test_grid_interpolation_is_far_below_the_tolerance():
    """The remap interpolates source positions from a grid every 8 px; against the exact
    positions at every pixel of a row band the difference stays below 0.005 px."""
    lens = next(x for x in L_LENSES if "20-60" in x.model)
    p = optics.from_lensfun(lens, 20.0, 4.0, 10.0)
    gx, _ = optics.geometry_grid(p, W, H, 1.0)
    ys = np.arange(0, 64.0)
    xs = np.arange(0, W, 7.0)
    xx, yy = np.meshgrid(xs, ys)
    sx, _ = optics.source_coordinates(p, W, H, 1.0, xx, yy)
    fx, fy = xx / optics.GRID_STEP, yy / optics.GRID_STEP
    i, j = fx.astype(int), fy.astype(int)
    tx, ty = fx - i, fy - j
    g = gx[1]
    interp = (g[j, i] * (1 - tx) + g[j, i + 1] * tx) * (1 - ty) + (
        g[j + 1, i] * (1 - tx) + g[j + 1, i + 1] * tx
    ) * ty
    assert np.abs(interp - sx[1]).max() < 0.005


def test_upstream_database_import_lists_sixty_l_mount_lenses(tmp_path, monkeypatch):
    import os

    folder = os.environ.get("LSQ_LENSFUN_DB")
    if not folder:
        pytest.skip("LSQ_LENSFUN_DB is not set (upstream lensfun database)")
    monkeypatch.setenv("LSQ_DATA_DIR", str(tmp_path))
    lensdb.load_database.cache_clear()
    from tests.conftest import run_lsq

    before = len(lensdb.lenses("L"))
    result = run_lsq("lens", "import-db", folder)
    assert result.returncode == 0, result.stderr
    listed = run_lsq("lens", "list", "--mount", "L")
    assert listed.returncode == 0
    assert len(listed.stdout.strip().splitlines()) >= 60 > before
    assert "CC BY-SA" in (tmp_path / "lensfun" / "ATTRIBUTION.txt").read_text()
    lensdb.load_database.cache_clear()


def test_malformed_lensfun_xml_names_file_and_line(tmp_path):
    from tests.conftest import run_lsq

    bad = tmp_path / "db"
    bad.mkdir()
    (bad / "mil-x.xml").write_text(
        '<lensdatabase version="2">\n  <lens>\n    <maker>X</maker>\n  </lens\n'
    )
    result = run_lsq("lens", "import-db", bad)
    assert result.returncode == 2
    assert result.stderr.startswith(f"lsq: {bad / 'mil-x.xml'}: line ")
