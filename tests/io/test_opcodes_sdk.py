"""Opcode lists against the Adobe DNG SDK: DNGs written here (tifffile tags, opcodes packed
with struct from the specification; see tests/dngfiles.py) carrying every pixel opcode are
read by the SDK without a warning, and lsquared's stage-2 image (lists 1 and 2) and decoded
camera RGB (list 3) match the SDK's ``dng_reference -2`` / ``-3``."""

from __future__ import annotations

import struct
from dataclasses import replace

import numpy as np
import pytest

from lsquared.io import dngraw
from tests import dngfiles as d

H, W = 96, 128
BLACK, WHITE = 512, 16383
LISTED_POINTS = ((50, 60), (70, 90), (12, 100))
LISTED_RECT = (40, 40, 42, 44)


def _smooth_cfa(seed: int = 3) -> np.ndarray:
    """A smooth scene over the CFA (no edges, so demosaic algorithms agree) with some
    texture per site, in the 14-bit range above black."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:H, 0:W] / max(H, W)
    base = 0.25 + 0.15 * np.sin(3 * xx + 1) * np.cos(2 * yy)
    site = np.array([[1.0, 0.8], [0.8, 0.55]])[np.arange(H)[:, None] % 2, np.arange(W) % 2]
    values = BLACK + (WHITE - BLACK) * base * site + rng.normal(0, 2, (H, W))
    return np.clip(np.rint(values), 0, 65535).astype(np.uint16)


def _per_site_gain_maps() -> list[bytes]:
    """Four GainMaps, one per CFA site (pitch 2), each a different smooth 5 x 6 map."""
    records = []
    for i, (row, col) in enumerate(((0, 0), (0, 1), (1, 0), (1, 1))):
        yy, xx = np.mgrid[0:5, 0:6] / 5.0
        gains = 1.0 + 0.3 * ((xx - 0.5) ** 2 + (yy - 0.5) ** 2) * (1 + 0.25 * i)
        box = d.area(row, col, H, W, 0, 1, 2, 2)
        records.append(d.opcode(9, d.gain_map(box, gains)))
    return records


def _list2() -> bytes:
    rows, cols = H // 2, W // 4
    # 32768 entries: the codes in its area stay inside the table (past its end, the SDK
    # 1.7.1 repeats the entry after the last, not the last as the specification says)
    table = np.clip(np.linspace(0, 0.5, 32768) ** 0.9 * 65535, 0, 65535).astype(">u2")
    return d.opcode_list(
        *_per_site_gain_maps(),
        d.opcode(8, d.area(0, 0, H, W) + struct.pack(">I3d", 2, 0.01, 0.95, 0.05)),
        d.opcode(
            10,
            d.area(0, 0, H, W, 0, 1, 2, 1)
            + struct.pack(f">I{rows}f", rows, *np.linspace(-600, 600, rows)),
        ),
        d.opcode(
            13,
            d.area(0, 0, H, W, 0, 1, 1, 4)
            + struct.pack(f">I{cols}f", cols, *np.linspace(0.9, 1.1, cols)),
        ),
        d.opcode(
            11,
            d.area(8, 8, H - 8, W - 8)
            + struct.pack(f">I{W - 16}f", W - 16, *np.full(W - 16, 130.0)),
        ),
        d.opcode(12, d.area(0, 0, H, W) + struct.pack(f">I{H}f", H, *np.linspace(1.05, 0.95, H))),
        d.opcode(
            7, d.area(4, 4, 40, 60, 0, 1, 1, 1) + struct.pack(">I", len(table)) + table.tobytes()
        ),
    )


@pytest.fixture(scope="module")
def opcode_dng(tmp_path_factory):
    data = _smooth_cfa()
    data[10, 20] = data[31, 41] = 0  # FixBadPixelsConstant's marker value
    # Bayer phase 1 (RGGB), three points, one rectangle
    bad_list = struct.pack(">3I6I4I", 1, 3, 1, *np.ravel(LISTED_POINTS), *LISTED_RECT)
    list1 = d.opcode_list(d.opcode(4, struct.pack(">2I", 0, 1)), d.opcode(5, bad_list))
    path = tmp_path_factory.mktemp("opcodes") / "opcodes.dng"
    return d.write_dng(path, data, BLACK, WHITE, {1: list1, 2: _list2()})


def test_sdk_reads_the_opcode_dng_without_a_warning(opcode_dng):
    assert d.sdk_read(opcode_dng) == ""


def test_lists_1_and_2_match_the_sdk_stage_2(opcode_dng, tmp_path):
    sdk = d.sdk_stage(opcode_dng, 2, tmp_path / "s2.tif")
    _, ours = dngraw.read_stage2(opcode_dng)
    assert ours.shape == sdk.shape
    diff = np.abs(ours.astype(np.float64) - sdk) * 65535
    listed = np.zeros(diff.shape, dtype=bool)
    for row, col in LISTED_POINTS:
        listed[row, col] = True
    top, left, bottom, right = LISTED_RECT
    listed[top:bottom, left:right] = True
    # the SDK's stage 2 is 16-bit and it rounds to 16 bits after each of the 12 opcodes;
    # FixBadPixelsConstant's pixels are interpolated from the same neighbours as the SDK's
    assert diff[~listed].max() <= 3.5
    assert diff.mean() <= 0.5
    # FixBadPixelsList's: the SDK picks among directions by its own gradient sums, lsquared
    # by the closest pair; both interpolate the same colour, so within 2 % on this scene
    assert np.all(diff[listed] <= 0.02 * sdk[listed] * 65535)
    info = dngraw.read_info(opcode_dng)
    plain = dngraw.linearise(replace(info, opcode_lists=((), (), ())), dngraw.read_stored(info))
    assert np.abs(plain - ours).max() > 0.05  # the opcodes did something
