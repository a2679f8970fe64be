"""Reading the DNG 1.6 colour tags (written here by number with tifffile, read back through
Exiv2): three illuminants, IlluminantData, ForwardMatrix, the CameraCalibration signature
rule, AsShotWhiteXY, BaselineExposureOffset, HueSatMap and LookTable, and bad tables."""

from __future__ import annotations

import struct

import numpy as np
import pytest

from lsquared.errors import InputError
from lsquared.io import meta

SHORT, LONG, SRATIONAL, RATIONAL, ASCII, UNDEFINED, FLOAT = 3, 4, 10, 5, 2, 7, 11


def srational9(m) -> tuple[int, ...]:
    return tuple(v for x in np.ravel(m) for v in (round(x * 10000), 10000))


def write(path, tags, byteorder="<"):
    import tifffile

    tifffile.imwrite(path, np.zeros((4, 4), np.uint16), byteorder=byteorder, extratags=tags)
    return meta.dng_calibration(meta.read_exif(path))


def illuminant_xy_bytes(x: float, y: float, order: str) -> bytes:
    return struct.pack(order + "H4I", 0, round(x * 1e6), 1_000_000, round(y * 1e6), 1_000_000)


CM = [np.eye(3) * k for k in (1.0, 0.9, 0.8)]


@pytest.mark.parametrize("order", ["<", ">"], ids=["little-endian", "big-endian"])
def test_three_illuminants_with_illuminant_data(tmp_path, order):
    data = illuminant_xy_bytes(0.39, 0.38, order)
    tags = [
        (50721, SRATIONAL, 9, srational9(CM[0]), True),
        (50722, SRATIONAL, 9, srational9(CM[1]), True),
        (52531, SRATIONAL, 9, srational9(CM[2]), True),  # ColorMatrix3
        (50778, SHORT, 1, (17,), True),
        (50779, SHORT, 1, (21,), True),
        (52529, SHORT, 1, (255,), True),  # CalibrationIlluminant3: other
        (52535, UNDEFINED, len(data), data, True),  # IlluminantData3
        (50964, SRATIONAL, 9, srational9(np.eye(3) * 0.5), True),  # ForwardMatrix1
        (50729, RATIONAL, 2, (3457, 10000, 3585, 10000), True),  # AsShotWhiteXY
        (51109, SRATIONAL, 1, (-1, 4), True),  # BaselineExposureOffset
    ]
    cal = write(tmp_path / "t.tif", tags, order)
    assert cal.illuminants == (17, 21, 255)
    assert cal.illuminant_data[2] == pytest.approx((0, 0.39, 0.38))
    assert cal.forward_matrices[0] == pytest.approx(tuple((np.eye(3) * 0.5).ravel()))
    assert cal.forward_matrices[1:] == ((), ())
    assert cal.as_shot_white_xy == pytest.approx((0.3457, 0.3585))
    assert cal.baseline_exposure_offset_ev == -0.25
    assert {"ColorMatrix3", "IlluminantData3", "AsShotWhiteXY"} <= set(cal.tags)


@pytest.mark.parametrize(
    ("camera_signature", "profile_signature", "applies"),
    [(None, None, True), ("unit 7", "unit 7", True), ("unit 7", "model", False)],
)
def test_camera_calibration_applies_only_with_matching_signatures(
    tmp_path, camera_signature, profile_signature, applies
):
    cc = np.array([[1.02, 0.03, 0.0], [0.01, 0.98, 0.02], [0.0, 0.02, 1.03]])
    tags = [
        (50721, SRATIONAL, 9, srational9(CM[0]), True),
        (50723, SRATIONAL, 9, srational9(cc), True),
    ]
    if camera_signature:
        tags.append((50931, ASCII, 0, camera_signature, True))
    if profile_signature:
        tags.append((50932, ASCII, 0, profile_signature, True))
    cal = write(tmp_path / "t.tif", tags)
    assert (cal.camera_calibrations == (tuple(cc.ravel()),)) is applies
    assert any("ignored" in t for t in cal.tags) is not applies


def test_hue_sat_map_and_look_table_are_read_in_file_order(tmp_path):
    data = np.arange(2 * 3 * 2 * 3, dtype=np.float32) / 10
    tags = [
        (50721, SRATIONAL, 9, srational9(CM[0]), True),
        (50937, LONG, 3, (3, 2, 2), True),  # hue, sat, val
        (50938, FLOAT, data.size, tuple(data), True),
        (51107, LONG, 1, (1,), True),
        (50981, LONG, 2, (3, 2), True),  # a LookTable with two dims: one value division
        (50982, FLOAT, 18, tuple(data[:18]), True),
    ]
    cal = write(tmp_path / "t.tif", tags)
    (hsm,) = cal.hue_sat_maps
    assert hsm.dims == (3, 2, 2) and hsm.srgb_value
    np.testing.assert_allclose(hsm.data, data, rtol=1e-6)
    assert cal.look_table.dims == (3, 2, 1) and not cal.look_table.srgb_value


@pytest.mark.parametrize(
    ("dims", "count"), [((3, 2, 2), 35), ((3, 1, 1), 9), ((0, 2, 1), 0)], ids=str
)
def test_a_hue_sat_map_that_does_not_fill_its_dims_is_an_input_error(tmp_path, dims, count):
    tags = [
        (50721, SRATIONAL, 9, srational9(CM[0]), True),
        (50937, LONG, 3, dims, True),
        (50938, FLOAT, max(count, 1), (0.5,) * max(count, 1), True),
    ]
    with pytest.raises(InputError, match="ProfileHueSatMap"):
        write(tmp_path / "t.tif", tags)
