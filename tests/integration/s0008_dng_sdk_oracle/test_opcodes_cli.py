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


def test_per_site_gain_maps_flatten_the_field(shaded_dng, tmp_path):
    assert d.sdk_read(shaded_dng) == ""
    out = tmp_path / "flat.tif"
    result = run_lsq("develop", shaded_dng, "-o", out, "--format", "tif32",
                     "--space", "linear-rec2020", "--lens", "none")  # fmt: skip
    assert result.returncode == 0, result.stderr
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
