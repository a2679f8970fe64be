"""The Panasonic .vlt 3D LUT format (VARICAM 3DLUT Reference Manual rev 1.0), which LUMIX
cameras load as a Real Time LUT.

Exactly: the lines ``# panasonic vlt file version 1.0``, ``# source vlt file ""``,
``LUT_3D_SIZE 17`` and an empty line, then 17^3 = 4913 lines of three integers 0..4095, red
changing fastest; LF line endings and a final newline. The lattice input nodes are the
12-bit codes 0, 256, ..., 3840, 4095. Writing rounds half up and clamps to [0, 1], counting
what it clamped.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lsquared.errors import LutError
from lsquared.looks.lut import VLT_MAX, VLT_SIZE, Lut

HEADER = ("# panasonic vlt file version 1.0", '# source vlt file ""', f"LUT_3D_SIZE {VLT_SIZE}", "")


def parse(text: str, source: str = "<vlt>") -> Lut:
    lines = text.split("\n")
    for i, expected in enumerate(HEADER):
        got = lines[i] if i < len(lines) else "<end of file>"
        if got != expected:
            raise LutError(
                source, f"line {i + 1}: expected {expected!r} in the .vlt header, got {got!r}"
            )
    count = VLT_SIZE**3
    body = lines[len(HEADER) :]
    if body and body[-1] == "":
        body = body[:-1]
    if len(body) < count:
        raise LutError(
            source, f"line {len(HEADER) + len(body)}: truncated: {len(body)} rows, expected {count}"
        )
    if len(body) > count:
        raise LutError(source, f"line {len(HEADER) + count + 1}: extra data after {count} rows")
    data = np.empty((count, 3), dtype=np.int64)
    for i, row in enumerate(body):
        parts = row.split(" ")
        line_no = len(HEADER) + i + 1
        if len(parts) != 3 or not all(p.isdigit() for p in parts):
            raise LutError(source, f"line {line_no}: expected three integers 0..4095, got {row!r}")
        values = [int(p) for p in parts]
        if max(values) > VLT_MAX:
            raise LutError(source, f"line {line_no}: value {max(values)} is above 4095")
        data[i] = values
    table = (data / VLT_MAX).reshape(VLT_SIZE, VLT_SIZE, VLT_SIZE, 3).transpose(2, 1, 0, 3)
    return Lut(table=table.copy(), nodes="vlt12", source=source)


def read(path: str | Path) -> Lut:
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise LutError(path, "LUT file not found") from None
    except OSError as e:
        raise LutError(path, f"cannot read: {e.strerror}") from None
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError as e:
        raise LutError(path, f"not a .vlt text file (byte {e.start} is not ASCII)") from None
    return parse(text, str(path))


def quantize(table: np.ndarray) -> tuple[np.ndarray, int]:
    """12-bit integers, round half up, clamped; returns (codes, how many values clamped)."""
    clamped = int(np.count_nonzero((table < 0.0) | (table > 1.0)))
    codes = np.floor(np.clip(table, 0.0, 1.0) * VLT_MAX + 0.5).astype(np.int64)
    return codes, clamped


def dumps(lut: Lut) -> tuple[str, int]:
    """(.vlt text, number of values clamped). The LUT must be a 17-point table on the .vlt
    nodes (resample first with ``lut.resample(lut, 17, "vlt12")``) or a 17-point uniform
    one, whose nodes map one to one onto the .vlt's."""
    if lut.table is None or lut.size != VLT_SIZE or lut.shaper is not None:
        raise LutError(
            lut.source, f"a .vlt holds exactly one {VLT_SIZE}-point 3D table; resample first"
        )
    codes, clamped = quantize(lut.table)
    flat = codes.transpose(2, 1, 0, 3).reshape(-1, 3)  # red fastest
    body = "\n".join(f"{r} {g} {b}" for r, g, b in flat)
    return "\n".join(HEADER) + "\n" + body + "\n", clamped
