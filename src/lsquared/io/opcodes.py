"""DNG opcode lists (Adobe DNG specification 1.6, chapter 7): parse and write.

An opcode list is big-endian: a uint32 count, then per opcode a uint32 ID, a 4-byte DNG
version, uint32 flags (bit 0 optional, bit 1 preview-skippable), a uint32 parameter byte
count and the parameters. Understood here: ``WarpRectilinear`` (ID 1),
``FixVignetteRadial`` (ID 3) and ``GainMap`` (ID 9); others are kept as unknown so a
caller can report (or, when not optional, refuse) them.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import numpy as np

from lsquared.errors import InputError

WARP_RECTILINEAR, FIX_VIGNETTE_RADIAL, GAIN_MAP = 1, 3, 9
NAMES = {
    1: "WarpRectilinear", 2: "WarpFisheye", 3: "FixVignetteRadial", 4: "FixBadPixelsConstant",
    5: "FixBadPixelsList", 6: "TrimBounds", 7: "MapTable", 8: "MapPolynomial", 9: "GainMap",
    10: "DeltaPerRow", 11: "DeltaPerColumn", 12: "ScalePerRow", 13: "ScalePerColumn",
    14: "WarpRectilinear2",
}  # fmt: skip
OPTIONAL = 1


@dataclass(frozen=True)
class Opcode:
    """One parsed opcode: ``params`` is a dict for known IDs, raw bytes otherwise."""

    id: int
    flags: int
    params: object

    @property
    def name(self) -> str:
        return NAMES.get(self.id, f"opcode {self.id}")

    @property
    def optional(self) -> bool:
        return bool(self.flags & OPTIONAL)


def warp_rectilinear(coefficients, center=(0.5, 0.5)) -> Opcode:
    """WarpRectilinear with radial terms per plane (tangential terms 0)."""
    planes = [(*tuple(float(k) for k in c), 0.0, 0.0) for c in coefficients]
    return Opcode(WARP_RECTILINEAR, 0, {"planes": planes, "center": tuple(center)})


def fix_vignette_radial(coefficients, center=(0.5, 0.5)) -> Opcode:
    return Opcode(
        FIX_VIGNETTE_RADIAL, 0, {"k": tuple(float(k) for k in coefficients), "center": center}
    )


def _encode_params(op: Opcode) -> bytes:
    p = op.params
    if op.id == WARP_RECTILINEAR:
        body = struct.pack(">I", len(p["planes"]))
        for plane in p["planes"]:
            body += struct.pack(">6d", *plane)
        return body + struct.pack(">2d", *p["center"])
    if op.id == FIX_VIGNETTE_RADIAL:
        return struct.pack(">5d2d", *p["k"], *p["center"])
    if isinstance(p, bytes):
        return p
    raise ValueError(f"cannot encode {op.name}")


def encode(ops: list[Opcode]) -> bytes:
    """Serialise an opcode list (DNG 1.6, section 7.1)."""
    out = struct.pack(">I", len(ops))
    for op in ops:
        params = _encode_params(op)
        out += struct.pack(">I4BII", op.id, 1, 3, 0, 0, op.flags, len(params)) + params
    return out


class _Reader:
    def __init__(self, data: bytes, where: str) -> None:
        self.data, self.pos, self.where = data, 0, where

    def take(self, fmt: str):
        size = struct.calcsize(fmt)
        if self.pos + size > len(self.data):
            raise InputError(self.where, f"opcode list truncated at byte {self.pos}")
        values = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += size
        return values


def _decode_params(op_id: int, params: bytes, where: str) -> object:
    r = _Reader(params, where)
    if op_id == WARP_RECTILINEAR:
        (n,) = r.take(">I")
        if not 1 <= n <= 4:
            raise InputError(where, f"WarpRectilinear has {n} planes; 1 to 4 allowed")
        planes = [r.take(">6d") for _ in range(n)]
        center = r.take(">2d")
        return {"planes": planes, "center": center}
    if op_id == FIX_VIGNETTE_RADIAL:
        values = r.take(">7d")
        return {"k": values[:5], "center": values[5:]}
    if op_id == GAIN_MAP:
        top, left, bottom, right, plane, planes, row_pitch, col_pitch = r.take(">8I")
        points_v, points_h = r.take(">2I")
        spacing_v, spacing_h, origin_v, origin_h = r.take(">4d")
        (map_planes,) = r.take(">I")
        count = points_v * points_h * map_planes
        if count > 10_000_000 or map_planes == 0:
            raise InputError(where, f"GainMap of {points_v}x{points_h}x{map_planes} is implausible")
        gains = np.array(r.take(f">{count}f"), dtype=np.float32)
        return {
            "area": (top, left, bottom, right), "plane": plane, "planes": planes,
            "pitch": (row_pitch, col_pitch), "spacing": (spacing_v, spacing_h),
            "origin": (origin_v, origin_h),
            "gains": gains.reshape(points_v, points_h, map_planes),
        }  # fmt: skip
    return params


def decode(data: bytes, where: str = "opcode list") -> list[Opcode]:
    """Parse an opcode list; raises InputError naming ``where`` and the byte offset."""
    r = _Reader(bytes(data), where)
    (count,) = r.take(">I")
    if count > 1000:
        raise InputError(where, f"opcode list claims {count} opcodes")
    ops = []
    for _ in range(count):
        op_id, _v0, _v1, _v2, _v3, flags, size = r.take(">I4BII")
        start = r.pos
        if start + size > len(r.data):
            raise InputError(where, f"opcode {NAMES.get(op_id, op_id)} truncated at byte {start}")
        ops.append(Opcode(op_id, flags, _decode_params(op_id, r.data[start : start + size], where)))
        r.pos = start + size
    return ops
