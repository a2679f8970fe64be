"""Generated ICC profiles, read and used by littleCMS (Pillow's ImageCms)."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageCms

from lsquared.color import icc, spaces, transfer


def _lcms_transform(src: bytes, dst, rgb8: np.ndarray) -> np.ndarray:
    src_p = ImageCms.ImageCmsProfile(io.BytesIO(src))
    dst_p = dst if not isinstance(dst, bytes) else ImageCms.ImageCmsProfile(io.BytesIO(dst))
    t = ImageCms.buildTransform(src_p, dst_p, "RGB", "RGB", renderingIntent=1)  # rel. colorimetric
    return np.asarray(ImageCms.applyTransform(Image.fromarray(rgb8, "RGB"), t))


RNG = np.random.default_rng(3)
RGB8 = RNG.integers(0, 256, (64, 64, 3), dtype=np.uint8)


def test_srgb_profile_equals_littlecms_builtin_srgb():
    out = _lcms_transform(icc.profile("rec709", "srgb"), ImageCms.createProfile("sRGB"), RGB8)
    assert np.abs(out.astype(int) - RGB8).max() <= 1


@pytest.mark.parametrize("src", ["p3", "rec2020"])
def test_wide_gamut_to_srgb_matches_our_matrix(src):
    transfer_name = "srgb" if src == "p3" else "bt1886"
    _enc, dec = transfer.TRANSFER_FUNCTIONS[transfer_name]
    lin = dec(RGB8 / 255.0)
    expected = transfer.srgb_encode(np.clip(lin @ spaces.matrix(src, "rec709").T, 0, 1)) * 255
    out = _lcms_transform(icc.profile(src, transfer_name), icc.profile("rec709", "srgb"), RGB8)
    inside = (lin @ spaces.matrix(src, "rec709").T).min(-1) > 0.001
    assert np.abs(out[inside] - expected[inside]).max() <= 2.0


def test_profiles_carry_their_description():
    p = ImageCms.ImageCmsProfile(io.BytesIO(icc.profile("p3", "srgb")))
    assert "Display P3" in ImageCms.getProfileDescription(p)
