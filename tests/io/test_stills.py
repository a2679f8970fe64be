"""Writers: every format reads back, carries its ICC profile and the RAW's EXIF, and is
written atomically."""

from __future__ import annotations

import io

import numpy as np
import pytest

from lsquared import engine
from lsquared.io import meta, stills
from lsquared.pipeline.recipe import Recipe
from lsquared.simulate import IDEAL_LENS

RNG = np.random.default_rng(5)
PIX = RNG.random((40, 60, 3)).astype(np.float32)


@pytest.mark.parametrize(
    ("fmt", "tol"),
    [
        ("tif8", 1 / 255),
        ("tif16", 1 / 65535),
        ("tif32", 0),
        ("png8", 1 / 255),
        ("png16", 1 / 65535),
        ("exr", 0),
        ("exr-half", 1e-3),
        ("jpg", 0.08),
    ],
)
def test_round_trip_and_no_temp_left(tmp_path, fmt, tol):
    out = tmp_path / f"x{stills.SUFFIX[fmt]}"
    stills.write_image(out, PIX, fmt, icc=None)
    back = stills.read_image(out)
    assert back.shape == PIX.shape
    err = np.abs(back - PIX)
    assert (np.median(err) if fmt == "jpg" else err.max()) <= tol / 2 + 1e-7
    assert [p.name for p in tmp_path.iterdir()] == [out.name]


@pytest.mark.parametrize("fmt", ["tif16", "png16", "png8", "jpg"])
def test_icc_and_exif_are_embedded(tmp_path, sim_dng, fmt):
    recipe = Recipe().replace("output", format=fmt, space="p3")
    out = tmp_path / f"dev{stills.SUFFIX[fmt]}"
    engine.develop_file(sim_dng.path, out, recipe)
    from PIL import Image, ImageCms

    with Image.open(out) as im:
        icc_bytes = im.info.get("icc_profile")
        if icc_bytes is None and fmt.startswith("tif"):
            icc_bytes = im.tag_v2.get(34675)
    prof = ImageCms.ImageCmsProfile(io.BytesIO(icc_bytes))
    assert "Display P3" in ImageCms.getProfileDescription(prof)
    exif = meta.read_exif(out)
    assert exif["Exif.Image.Make"] == "Panasonic"
    assert exif["Exif.Photo.LensModel"] == IDEAL_LENS
    assert exif["Exif.Image.Orientation"] == "1"


def test_exr_carries_chromaticities(tmp_path, sim_dng):
    import OpenEXR

    out = tmp_path / "d.exr"
    engine.develop_file(sim_dng.path, out, Recipe().replace("output", format="exr", space="acescg"))
    with OpenEXR.File(str(out)) as f:
        chroma = np.array(f.header()["chromaticities"], dtype=float)
    np.testing.assert_allclose(chroma[:2], [0.713, 0.293], atol=1e-3)  # AP1 red, S-2014-004


def test_quantize_rounds_half_up_and_clips():
    x = np.array([[[-0.1, 0.5 / 255, 2.0]]], dtype=np.float32)
    assert stills.quantize(x, 8).tolist() == [[[0, 1, 255]]]
