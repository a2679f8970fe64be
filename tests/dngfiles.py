"""DNG files written for tests independently of ``lsquared.io.dngwrite`` and
``lsquared.io.opcodes``: raw TIFF tags through tifffile, opcode lists packed here with
``struct`` from the DNG 1.7.1 specification's chapter 7 layouts; and the Adobe DNG SDK
(``$LSQ_TOOLS/dng_reference``) to read them back as the oracle."""

from __future__ import annotations

import os
import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest
import tifffile

RGGB = (0, 1, 1, 2)
OPCODE_LIST_TAGS = {1: 51008, 2: 51009, 3: 51022}
#: a plausible camera: XYZ (D65) -> camera, rows R, G, B (no claim about any real body)
COLOR_MATRIX = ((0.9, -0.3, -0.05), (-0.4, 1.25, 0.15), (-0.05, 0.15, 0.6))


def dng_reference() -> Path:
    """The SDK command, or skip the test when ``LSQ_TOOLS`` is unset or lacks it."""
    tools = os.environ.get("LSQ_TOOLS")
    tool = Path(tools) / "dng_reference" if tools else None
    if tool is None or not tool.exists():
        pytest.skip("LSQ_TOOLS with dng_reference (the Adobe DNG SDK) is not available")
    return tool


def sdk_read(path: Path) -> str:
    """Read and validate a DNG with the SDK; its warnings (standard error), failing the test
    if the SDK refuses the file."""
    run = subprocess.run([dng_reference(), path], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, f"the DNG SDK refuses {path}: {run.stderr}"
    return "\n".join(line for line in run.stderr.splitlines() if "***" in line)


def sdk_stage(path: Path, stage: int, out: Path) -> np.ndarray:
    """The SDK's stage-2 or stage-3 image of ``path`` as float64 in [0, 1]."""
    run = subprocess.run(
        [dng_reference(), f"-{stage}", out, path], capture_output=True, text=True, timeout=900
    )
    assert run.returncode == 0, run.stderr
    image = tifffile.imread(out)
    scale = 65535.0 if image.dtype == np.uint16 else 1.0
    image = image.astype(np.float64) / scale
    return image[:, :, None] if image.ndim == 2 else image


def opcode(op_id: int, params: bytes, optional: bool = False, version=(1, 4, 0, 0)) -> bytes:
    """One opcode record: ID, DNG version, flags, parameter size, parameters (big-endian)."""
    return struct.pack(">I4BII", op_id, *version, int(optional), len(params)) + params


def opcode_list(*records: bytes) -> bytes:
    return struct.pack(">I", len(records)) + b"".join(records)


def area(top, left, bottom, right, plane=0, planes=1, row_pitch=1, col_pitch=1) -> bytes:
    return struct.pack(">8I", top, left, bottom, right, plane, planes, row_pitch, col_pitch)


def gain_map(box: bytes, gains: np.ndarray, spacing=None, origin=(0.0, 0.0)) -> bytes:
    """GainMap (ID 9) parameters: the area, map size, spacing, origin, planes, gains."""
    gains = np.asarray(gains, dtype=np.float64)
    gains = gains[:, :, None] if gains.ndim == 2 else gains
    rows, cols, planes = gains.shape
    if spacing is None:
        spacing = (1.0 / max(rows - 1, 1), 1.0 / max(cols - 1, 1))
    head = struct.pack(">2I4dI", rows, cols, *spacing, *origin, planes)
    return box + head + gains.astype(">f4").tobytes()


def warp_rectilinear(planes, center=(0.5, 0.5)) -> bytes:
    """WarpRectilinear (ID 1): per plane kr0..kr3, kt0, kt1, then the centre (h, v)."""
    body = struct.pack(">I", len(planes))
    for plane in planes:
        body += struct.pack(">6d", *plane)
    return body + struct.pack(">2d", *center)


def _rational(values, signed: bool = False) -> tuple[int, int, tuple]:
    flat = []
    for v in np.ravel(values):
        flat += [round(float(v) * 10000), 10000]
    return (10 if signed else 5), len(flat) // 2, tuple(flat)


def write_dng(
    path: Path,
    data: np.ndarray,
    black: float | tuple = 0,
    white: int = 65535,
    opcode_lists: dict[int, bytes] | None = None,
    active_area: tuple | None = None,
    neutral=(0.5, 1.0, 0.7),
    version=(1, 4, 0, 0),
    black_repeat=(1, 1),
    orientation: int = 1,
    jpeg_xl: bool = False,
    byteorder: str = "<",
) -> Path:
    """A minimal valid DNG: ``data`` H x W uint16 Bayer RGGB (CFA) or H x W x 3 (LinearRaw)
    in IFD0, one D65 ColorMatrix, AsShotNeutral, the given levels, opcode lists and
    orientation; uncompressed, or lossless JPEG XL tiles (which LibRaw cannot read); little-
    (``<``) or big-endian (``>``)."""
    cfa = data.ndim == 2
    black_values = np.broadcast_to(np.asarray(black, dtype=np.float64), (
        black_repeat[0] * black_repeat[1] * (1 if cfa else 3),
    ))  # fmt: skip
    tags = [
        (254, 4, 1, 0, True),  # NewSubfileType 0 written out: the SDK requires the tag
        (50706, 1, 4, version, True),
        (50707, 1, 4, (1, 3, 0, 0), True),
        (271, 2, 0, "lsquared tests", True),
        (274, 3, 1, orientation, True),
        (272, 2, 0, "Test Sensor", True),
        (50708, 2, 0, "lsquared Test Sensor", True),
        (50713, 3, 2, black_repeat, True),
        (50714, *_rational(black_values), True),
        (50717, 4, 1 if cfa else 3, white if cfa else (white,) * 3, True),
        (50721, *_rational(COLOR_MATRIX, signed=True), True),
        (50778, 3, 1, 21, True),
        (50728, *_rational(neutral), True),
    ]
    if cfa:
        tags += [(33421, 3, 2, (2, 2), True), (33422, 1, 4, RGGB, True),
                 (50710, 1, 3, (0, 1, 2), True), (50711, 3, 1, 1, True)]  # fmt: skip
    if cfa:  # the SDK wants a margin around the default crop for demosaicing
        height, width = data.shape[:2] if active_area is None else (
            active_area[2] - active_area[0], active_area[3] - active_area[1])  # fmt: skip
        tags += [(50719, 4, 2, (8, 8), True), (50720, 4, 2, (width - 16, height - 16), True)]
    if active_area is not None:
        tags.append((50829, 4, 4, tuple(active_area), True))
    for number, blob in (opcode_lists or {}).items():
        tags.append((OPCODE_LIST_TAGS[number], 7, len(blob), blob, True))
    # DNG 1.7's JPEG XL tiles (compression 52546), lossless, written by imagecodecs' libjxl
    compression = dict(compression="jpegxl_dng", compressionargs={"lossless": True},
                       tile=(64, 64)) if jpeg_xl else {}  # fmt: skip
    tifffile.imwrite(
        path, data, photometric=32803 if cfa else 34892, planarconfig="contig",
        extratags=tags, metadata=None, byteorder=byteorder, **compression,
    )  # fmt: skip
    return path


def sample(name: str) -> Path:
    """A sample DNG from ``$LSQ_SAMPLES/dng-sdk`` (skip when unset); read, never modified."""
    root = os.environ.get("LSQ_SAMPLES")
    path = Path(root) / "dng-sdk" / name if root else None
    if path is None or not path.exists():
        pytest.skip("LSQ_SAMPLES with dng-sdk/ is not available")
    return path
