"""Opcode lists through ``lsq develop``: per-CFA-site GainMaps flatten shading as the DNG
SDK does (LibRaw demosaics the stage-2 image lsquared wrote back into its buffer), an
unknown non-optional opcode is a one-line error naming it with no output, an optional one a
warning and an image."""

from __future__ import annotations

import numpy as np
import pytest
import tifffile

from tests import dngfiles as d
from tests.conftest import run_lsq

H, W = 120, 160
BLACK, WHITE = 256, 16383


def _shading(yy, xx, site: int) -> np.ndarray:
    """Radial fall-off, a little different on each CFA site (as a sensor's shading is)."""
    r2 = ((xx - W / 2) ** 2 + (yy - H / 2) ** 2) / ((W / 2) ** 2 + (H / 2) ** 2)
    return 1 / (1 + (0.5 + 0.05 * site) * r2)


@pytest.fixture(scope="module")
def shaded_dng(tmp_path_factory):
    """A flat grey field recorded through per-site shading, with the four GainMaps (pitch
    2, 9 x 11 points, gains 1 / shading at the map points) in OpcodeList2."""
    yy, xx = np.mgrid[0:H, 0:W] + 0.5
    level = np.array([[0.5, 0.6], [0.6, 0.45]])
    cfa = np.zeros((H, W))
    records = []
    for site, (row, col) in enumerate(((0, 0), (0, 1), (1, 0), (1, 1))):
        cfa[row::2, col::2] = level[row, col] * _shading(yy, xx, site)[row::2, col::2]
        gy, gx = np.mgrid[0:9, 0:11]
        gains = 1 / _shading(gy / 8 * H, gx / 10 * W, site)
        records.append(d.opcode(9, d.gain_map(d.area(row, col, H, W, 0, 1, 2, 2), gains)))
    data = np.rint(BLACK + cfa * (WHITE - BLACK)).astype(np.uint16)
    path = tmp_path_factory.mktemp("shading") / "shaded.dng"
    return d.write_dng(path, data, BLACK, WHITE, {2: d.opcode_list(*records)})


def test_the_sdk_reads_the_shaded_dng_without_a_warning(shaded_dng):
    assert d.sdk_read(shaded_dng) == ""


def test_per_site_gain_maps_flatten_the_field(shaded_dng, tmp_path):
    out = tmp_path / "flat.tif"
    result = run_lsq("develop", shaded_dng, "-o", out, "--format", "tif32",
                     "--space", "linear-rec2020", "--lens", "none", "--explain")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "OpcodeList2 on the linearised CFA data: GainMap, GainMap" in result.stdout
    image = tifffile.imread(out)[8:-8, 8:-8]
    centre = image[H // 2 - 14 : H // 2 - 2, W // 2 - 14 : W // 2 - 2].mean(axis=(0, 1))
    for corner in (image[:12, :12], image[:12, -12:], image[-12:, :12], image[-12:, -12:]):
        np.testing.assert_allclose(corner.mean(axis=(0, 1)), centre, rtol=0.02)


def _with_opcode_99(tmp_path, optional: bool):
    data = np.full((H, W), 3000, dtype=np.uint16)
    blob = d.opcode_list(d.opcode(99, b"\x00" * 12, optional=optional))
    return d.write_dng(tmp_path / f"op99_{optional}.dng", data, BLACK, WHITE, {3: blob})


def test_a_non_optional_unknown_opcode_is_a_one_line_error_and_no_output(tmp_path):
    path = _with_opcode_99(tmp_path, optional=False)
    out = tmp_path / "never.jpg"
    result = run_lsq("develop", path, "-o", out)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lsq: ") and "opcode 99" in lines[0]
    assert "Traceback" not in result.stderr
    assert not out.exists()


def test_an_optional_unknown_opcode_is_a_warning_and_an_image(tmp_path):
    path = _with_opcode_99(tmp_path, optional=True)
    out = tmp_path / "image.jpg"
    result = run_lsq("develop", path, "-o", out)
    assert result.returncode == 0, result.stderr
    assert "opcode 99 skipped" in result.stderr
    assert out.stat().st_size > 0


@pytest.mark.parametrize("jpeg_xl", [False, True], ids=["libraw", "jpeg-xl"])
def test_list_3_pixel_opcodes_and_orientation_match_the_sdk_stage_3(jpeg_xl, tmp_path):
    """OpcodeList3's pixel opcodes (ScalePerColumn, DeltaPerRow on one plane, MapPolynomial)
    act on the demosaiced camera RGB in the stored frame, before the image is turned
    upright (Orientation 6): LibRaw's path and the JPEG XL path (lsquared's own decode and
    demosaic) both match the SDK's stage 3 on a smooth scene."""
    import struct

    from lsquared.io import raw
    from lsquared.kernels.demosaic import malvar2004

    yy, xx = np.mgrid[0:H, 0:W] / W
    site = np.array([[0.5, 0.7], [0.7, 0.4]])[np.arange(H)[:, None] % 2, np.arange(W) % 2]
    data = np.rint(BLACK + (WHITE - BLACK) * site * (0.5 + 0.3 * xx * (1 - yy))).astype(np.uint16)
    cols = W // 2
    list3 = d.opcode_list(
        d.opcode(13, d.area(0, 0, H, W, 0, 3, 1, 2)
                 + struct.pack(f">I{cols}f", cols, *np.linspace(0.8, 1.2, cols))),
        d.opcode(10, d.area(0, 0, H, W, 2, 1, 1, 1)
                 + struct.pack(f">I{H}f", H, *np.linspace(-2000, 2000, H))),
        d.opcode(8, d.area(10, 20, H - 10, W - 20, 1, 1, 1, 1)
                 + struct.pack(">I3d", 2, 0.02, 0.8, 0.1)),
    )  # fmt: skip
    path = d.write_dng(tmp_path / "l3.dng", data, BLACK, WHITE, {3: list3}, orientation=6,
                       jpeg_xl=jpeg_xl)  # fmt: skip
    assert d.sdk_read(path) == ""
    sdk = d.sdk_stage(path, 3, tmp_path / "s3.tif")  # the stored frame
    ours = raw.read_raw(path, "AHD", malvar2004).pixels
    assert ours.shape == (W, H, 3)  # turned upright: a quarter turn clockwise
    stored = np.rot90(ours, 1)  # back to the stored frame
    inner = (slice(4, -4), slice(4, -4))
    np.testing.assert_allclose(stored[inner], sdk[inner], rtol=0.01, atol=2e-3)


def test_the_cli_develops_a_jpeg_xl_raw(tmp_path):
    """A DNG 1.7 JPEG XL raw (which LibRaw cannot read) through ``lsq develop``."""
    data = np.full((H, W), BLACK + 4000, dtype=np.uint16)
    path = d.write_dng(tmp_path / "jxl.dng", data, BLACK, WHITE, jpeg_xl=True)
    out = tmp_path / "out.tif"
    result = run_lsq("develop", path, "-o", out, "--format", "tif16")
    assert result.returncode == 0, result.stderr
    assert tifffile.imread(out).shape == (H, W, 3)
