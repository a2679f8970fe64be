"""DNG opcode lists (Adobe DNG specification 1.7.1, chapter 7): parse, check, apply, write.

An opcode list is big-endian: a uint32 count, then per opcode a uint32 ID, a 4-byte DNG
version, uint32 flags (bit 0 optional, bit 1 preview-skippable), a uint32 parameter byte
count and the parameters. Every opcode of the specification up to ID 14 is parsed and
checked here (a wrong length, an area outside the image, a non-finite or negative gain is an
``InputError`` naming the list, never an exception from deep inside numpy).

Where each list runs (DNG 1.7.1, 7.1; the DNG SDK's ``dng_negative`` does the same):
list 1 on the stored raw values, list 2 on the linearised CFA (or linear) data, list 3 on the
demosaiced camera RGB, in file order. Values are in [0, 1]: linearised for lists 2 and 3,
code / (largest code) for list 1 (as the SDK scales a stage-1 image for its float opcodes).
Deltas (DeltaPerRow/Column) are in the stage image's code values, and so is a list-1
MapPolynomial, as the SDK reads them. List 3's geometric opcodes (WarpRectilinear(2),
FixVignetteRadial) are applied by the lens stage of the compiled Processor (``--lens
embedded``/``auto``), the rest by :func:`apply_list` while decoding.

Conventions read from the specification and checked against the SDK (``dng_reference``):
an area is (top, left, bottom, right) in the stage image with the first row/column and a
row/column pitch; a GainMap is sampled at pixel centres, ((row + 0.5) / H - origin) /
spacing, bilinearly, clamped at its edges, and its plane is min(plane, map planes - 1);
results are clipped to [0, 1] (the SDK's ``Min_real32(v * gain, 1)`` and friends).
"""

from __future__ import annotations

import math
import struct
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from lsquared.errors import InputError, LsqWarning, UnsupportedError

WARP_RECTILINEAR, WARP_FISHEYE, FIX_VIGNETTE_RADIAL = 1, 2, 3
FIX_BAD_PIXELS_CONSTANT, FIX_BAD_PIXELS_LIST, TRIM_BOUNDS = 4, 5, 6
MAP_TABLE, MAP_POLYNOMIAL, GAIN_MAP = 7, 8, 9
DELTA_PER_ROW, DELTA_PER_COLUMN, SCALE_PER_ROW, SCALE_PER_COLUMN = 10, 11, 12, 13
WARP_RECTILINEAR2 = 14
NAMES = {
    1: "WarpRectilinear", 2: "WarpFisheye", 3: "FixVignetteRadial", 4: "FixBadPixelsConstant",
    5: "FixBadPixelsList", 6: "TrimBounds", 7: "MapTable", 8: "MapPolynomial", 9: "GainMap",
    10: "DeltaPerRow", 11: "DeltaPerColumn", 12: "ScalePerRow", 13: "ScalePerColumn",
    14: "WarpRectilinear2",
}  # fmt: skip
#: opcodes the lens stage of the Processor applies (list 3 only)
LENS_IDS = (WARP_RECTILINEAR, WARP_RECTILINEAR2, FIX_VIGNETTE_RADIAL)
OPTIONAL = 1
#: the most values a table in an opcode may hold (a 100 MP image has 10^4 rows/columns)
MAX_VALUES = 10_000_000
#: WarpRectilinear2 radial terms per plane (DNG 1.6, 7.2: kr0 ... kr14)
WARP2_TERMS = 15


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
    def __init__(self, data: bytes, where: str, what: str = "opcode list") -> None:
        self.data, self.pos, self.where, self.what = data, 0, where, what

    def take(self, fmt: str):
        size = struct.calcsize(fmt)
        if self.pos + size > len(self.data):
            raise InputError(self.where, f"{self.what} truncated at byte {self.pos}")
        values = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += size
        return values

    def count(self, what: str) -> int:
        (n,) = self.take(">I")
        if n > MAX_VALUES:
            raise InputError(self.where, f"{self.what}: {what} of {n} is implausible")
        return n

    def finite(self, fmt: str, what: str) -> tuple:
        values = self.take(fmt)
        if not all(math.isfinite(v) for v in values):
            raise InputError(self.where, f"{self.what}: {what} is not finite")
        return values

    def done(self) -> None:
        if self.pos != len(self.data):
            raise InputError(
                self.where,
                f"{self.what}: {len(self.data)} parameter bytes, {self.pos} expected",
            )


def _area(r: _Reader) -> dict:
    """The area spec shared by the pixel opcodes (DNG 1.6, 7.3: Top, Left, Bottom, Right,
    Plane, Planes, RowPitch, ColPitch)."""
    top, left, bottom, right, plane, planes, row_pitch, col_pitch = r.take(">8I")
    if bottom <= top or right <= left:
        raise InputError(r.where, f"{r.what}: empty area ({top}, {left}, {bottom}, {right})")
    if planes == 0 or row_pitch == 0 or col_pitch == 0:
        raise InputError(r.where, f"{r.what}: planes, row and column pitch must be 1 or more")
    return {
        "area": (top, left, bottom, right), "plane": plane, "planes": planes,
        "pitch": (row_pitch, col_pitch),
    }  # fmt: skip


def _warp_rectilinear(r: _Reader) -> dict:
    n = r.count("plane count")
    if not 1 <= n <= 4:
        raise InputError(r.where, f"WarpRectilinear has {n} planes; 1 to 4 allowed")
    planes = [r.finite(">6d", "a coefficient") for _ in range(n)]
    return {"planes": planes, "center": _center(r)}


def _warp_rectilinear2(r: _Reader) -> dict:
    n = r.count("plane count")
    if not 1 <= n <= 4:
        raise InputError(r.where, f"WarpRectilinear2 has {n} planes; 1 to 4 allowed")
    planes = []
    for _ in range(n):
        radial = r.finite(f">{WARP2_TERMS}d", "a radial coefficient")
        tangential = r.finite(">2d", "a tangential coefficient")
        valid = r.finite(">2d", "the valid radius range")
        if not 0 <= valid[0] < valid[1]:
            raise InputError(r.where, f"WarpRectilinear2: valid radius range {valid} is empty")
        planes.append({"radial": radial, "tangential": tangential, "valid": valid})
    center = _center(r)
    (reciprocal,) = r.take(">I")
    return {"planes": planes, "center": center, "reciprocal": bool(reciprocal)}


def _center(r: _Reader) -> tuple[float, float]:
    center = r.finite(">2d", "the optical centre")
    if not all(0.0 <= c <= 1.0 for c in center):
        raise InputError(r.where, f"{r.what}: optical centre {center} outside [0, 1]")
    return center


def _warp_fisheye(r: _Reader) -> dict:
    n = r.count("plane count")
    if not 1 <= n <= 4:
        raise InputError(r.where, f"WarpFisheye has {n} planes; 1 to 4 allowed")
    return {"planes": [r.finite(">4d", "a coefficient") for _ in range(n)], "center": _center(r)}


def _fix_vignette_radial(r: _Reader) -> dict:
    k = r.finite(">5d", "a coefficient")
    return {"k": k, "center": _center(r)}


def _fix_bad_pixels_constant(r: _Reader) -> dict:
    constant, phase = r.take(">2I")
    return {"constant": constant, "phase": _phase(r, phase)}


def _phase(r: _Reader, phase: int) -> int:
    if phase > 3:
        raise InputError(r.where, f"{r.what}: Bayer phase {phase}; 0 to 3 allowed")
    return phase


def _fix_bad_pixels_list(r: _Reader) -> dict:
    (phase,) = r.take(">I")
    points, rects = r.count("bad point count"), r.count("bad rectangle count")
    pts = np.array(r.take(f">{2 * points}I"), dtype=np.int64).reshape(points, 2)
    rcs = np.array(r.take(f">{4 * rects}I"), dtype=np.int64).reshape(rects, 4)
    return {"phase": _phase(r, phase), "points": pts, "rects": rcs}


def _trim_bounds(r: _Reader) -> dict:
    top, left, bottom, right = r.take(">4I")
    if bottom <= top or right <= left:
        raise InputError(r.where, f"TrimBounds: empty rectangle ({top}, {left}, {bottom}, {right})")
    return {"bounds": (top, left, bottom, right)}


def _map_table(r: _Reader) -> dict:
    spec = _area(r)
    n = r.count("table size")
    if not 1 <= n <= 65536:
        raise InputError(r.where, f"MapTable: table of {n} entries; 1 to 65536 allowed")
    return spec | {"table": np.array(r.take(f">{n}H"), dtype=np.float64) / 65535.0}


def _map_polynomial(r: _Reader) -> dict:
    spec = _area(r)
    degree = r.count("degree")
    if degree > 8:
        raise InputError(r.where, f"MapPolynomial: degree {degree}; at most 8 allowed")
    return spec | {"coefficients": r.finite(f">{degree + 1}d", "a coefficient")}


def _gain_map(r: _Reader) -> dict:
    spec = _area(r)
    points_v, points_h = r.take(">2I")
    spacing = r.finite(">2d", "the map spacing")
    origin = r.finite(">2d", "the map origin")
    map_planes = r.count("map plane count")
    count = points_v * points_h * map_planes
    if count == 0 or count > MAX_VALUES:
        raise InputError(r.where, f"GainMap of {points_v}x{points_h}x{map_planes} is implausible")
    if (points_v > 1 and spacing[0] <= 0) or (points_h > 1 and spacing[1] <= 0):
        raise InputError(r.where, f"GainMap: spacing {spacing} must be positive")
    gains = np.frombuffer(r.data, ">f4", count, r.pos).astype(np.float32) if (
        r.pos + 4 * count <= len(r.data)
    ) else None  # fmt: skip
    if gains is None:
        raise InputError(r.where, f"GainMap truncated: {count} gains do not fit")
    r.pos += 4 * count
    if not np.all(np.isfinite(gains)) or gains.min() < 0:
        raise InputError(r.where, "GainMap holds a negative or non-finite gain")
    return spec | {
        "spacing": spacing, "origin": origin, "gains": gains.reshape(points_v, points_h, map_planes)
    }  # fmt: skip


def _per_line(kind: str) -> Callable[[_Reader], dict]:
    def parse(r: _Reader) -> dict:
        spec = _area(r)
        n = r.count("count")
        top, left, bottom, right = spec["area"]
        row_pitch, col_pitch = spec["pitch"]
        lines = (
            -(-(bottom - top) // row_pitch) if "Row" in r.what else -(-(right - left) // col_pitch)
        )
        if n != lines:
            raise InputError(r.where, f"{r.what}: {n} {kind}s for {lines} lines of its area")
        return spec | {"values": np.array(r.finite(f">{n}f", f"a {kind}"), dtype=np.float64)}

    return parse


PARSERS: dict[int, Callable[[_Reader], dict]] = {
    WARP_RECTILINEAR: _warp_rectilinear, WARP_FISHEYE: _warp_fisheye,
    FIX_VIGNETTE_RADIAL: _fix_vignette_radial, FIX_BAD_PIXELS_CONSTANT: _fix_bad_pixels_constant,
    FIX_BAD_PIXELS_LIST: _fix_bad_pixels_list, TRIM_BOUNDS: _trim_bounds, MAP_TABLE: _map_table,
    MAP_POLYNOMIAL: _map_polynomial, GAIN_MAP: _gain_map,
    DELTA_PER_ROW: _per_line("delta"), DELTA_PER_COLUMN: _per_line("delta"),
    SCALE_PER_ROW: _per_line("scale"), SCALE_PER_COLUMN: _per_line("scale"),
    WARP_RECTILINEAR2: _warp_rectilinear2,
}  # fmt: skip


def _decode_params(op_id: int, params: bytes, where: str) -> object:
    parser = PARSERS.get(op_id)
    if parser is None:
        return params
    r = _Reader(params, where, NAMES[op_id])
    parsed = parser(r)
    r.done()
    return parsed


def decode(data: bytes, where: str = "opcode list") -> list[Opcode]:
    """Parse an opcode list; raises InputError naming ``where`` and the problem."""
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
    r.done()
    return ops


# --- applying a list ------------------------------------------------------------------


def skip_or_refuse(op: Opcode, where: str, why: str) -> None:
    """An opcode that cannot be applied: a warning when the file marks it optional, else the
    error the specification asks for (DNG 1.7.1, 7.1: "non-optional opcodes ... must be
    processed ... or the reader must report an error")."""
    if op.optional:
        warnings.warn(f"{where}: {op.name} skipped ({why}; optional)", LsqWarning, stacklevel=3)
        return
    raise UnsupportedError(where, f"cannot apply opcode {op.name} ({why}) and it is not optional")


def _selection(spec: dict, shape: tuple, where: str, name: str):
    """Row and column index arrays and the planes an area spec selects in an image of
    ``shape`` (H, W, P); an area reaching outside the image is an InputError."""
    height, width, planes = shape
    top, left, bottom, right = spec["area"]
    if bottom > height or right > width:
        raise InputError(
            where, f"{name}: area ({top}, {left}, {bottom}, {right}) outside the "
            f"{width}x{height} image"
        )  # fmt: skip
    first = spec["plane"]
    if first >= planes:
        raise InputError(where, f"{name}: plane {first} of a {planes}-plane image")
    row_pitch, col_pitch = spec["pitch"]
    rows = np.arange(top, bottom, row_pitch)
    cols = np.arange(left, right, col_pitch)
    return rows, cols, range(first, min(first + spec["planes"], planes))


def _gain_map_axis(pos, size: int, origin: float, spacing: float, points: int):
    """Map indices either side of each pixel centre in ``pos`` and the fraction between
    them, along one axis (DNG 1.7.1, GainMap: positions relative to the image, ``MapOrigin``
    and ``MapSpacing`` in those units; clamped to the map's edges)."""
    f = ((pos + 0.5) / size - origin) / spacing if points > 1 else np.zeros(len(pos))
    f = np.clip(f, 0.0, points - 1)
    i0 = np.minimum(np.floor(f).astype(np.int64), points - 1)
    i1 = np.minimum(i0 + 1, points - 1)
    return i0, i1, (f - i0).astype(np.float32)


def _gain_map(spec: dict, view: np.ndarray, plane: int, rows, cols, size) -> None:
    """GainMap on ``view`` (the area's rows x columns of ``plane``), in place: bilinear
    gains at the pixel centres, separable, so along the columns for every map row first
    (a small table), then between map rows per image row (:func:`lsquared.io.gains.apply_gains`)."""
    gains = spec["gains"]
    g = gains[:, :, min(plane, gains.shape[2] - 1)].astype(np.float64)
    height, width = size
    r0, r1, fr = _gain_map_axis(rows, height, spec["origin"][0], spec["spacing"][0], g.shape[0])
    c0, c1, fc = _gain_map_axis(cols, width, spec["origin"][1], spec["spacing"][1], g.shape[1])
    along = (g[:, c0] * (1 - fc) + g[:, c1] * fc).astype(np.float32)
    from lsquared.io.gains import apply_gains  # numba: loaded by the files that need it

    apply_gains(view, along, r0, r1, fr)


def _map_table_values(table: np.ndarray, v: np.ndarray) -> np.ndarray:
    """MapTable on [0, 1] values: the 16-bit code indexes the table, codes past its end take
    the last entry (DNG 1.7.1, 7.3 MapTable)."""
    code = np.clip(np.rint(v * 65535.0), 0, 65535).astype(np.int64)
    return table[np.minimum(code, len(table) - 1)]


def _polynomial(coefficients, v: np.ndarray) -> np.ndarray:
    """Horner's rule in float32, in place of a float64 polyval over tens of megapixels."""
    out = np.full_like(v, np.float32(coefficients[-1]))
    for c in reversed(coefficients[:-1]):
        out *= v
        out += np.float32(c)
    return out


def _pointwise(op: Opcode, v: np.ndarray, rows, cols, code_max: float, stage: int) -> np.ndarray:
    """MapTable, MapPolynomial, Delta/Scale per row/column on [0, 1] values. As in the DNG
    SDK, deltas are in the stage image's code values (1 / 65535 of the range for a 16-bit
    image, the value itself for a float one) and a stage-1 polynomial maps code values."""
    p = op.params
    top, left = p["area"][:2]
    if op.id == MAP_TABLE:
        return _map_table_values(p["table"], v).astype(np.float32)
    if op.id == MAP_POLYNOMIAL:
        scale = code_max if stage == 1 else 1.0
        coefficients = [c * scale ** (j - 1) for j, c in enumerate(p["coefficients"])]
        return _polynomial(coefficients, v)
    if op.id in (DELTA_PER_ROW, SCALE_PER_ROW):
        per = p["values"][(rows - top) // p["pitch"][0]][:, None]
    else:
        per = p["values"][(cols - left) // p["pitch"][1]][None, :]
    if op.id in (DELTA_PER_ROW, DELTA_PER_COLUMN):
        return v + (per / code_max).astype(np.float32)
    return v * per.astype(np.float32)


def _apply_area_op(op: Opcode, image: np.ndarray, where: str, code_max: float, stage: int) -> None:
    """One area opcode (MapTable, MapPolynomial, GainMap, Delta/Scale per row/column) in
    place on an H x W x P float image, clipped to [0, 1]."""
    height, width, _ = image.shape
    rows, cols, planes = _selection(op.params, image.shape, where, op.name)
    block = (slice(rows[0], rows[-1] + 1, op.params["pitch"][0]),
             slice(cols[0], cols[-1] + 1, op.params["pitch"][1]))  # fmt: skip
    for plane in planes:
        view = image[block[0], block[1], plane]
        if op.id == GAIN_MAP and view.dtype == np.float32:  # in place, one pass
            _gain_map(op.params, view, plane, rows, cols, (height, width))
            continue
        v = view.astype(np.float32)
        if op.id == GAIN_MAP:
            _gain_map(op.params, v, plane, rows, cols, (height, width))
        else:
            v = np.clip(_pointwise(op, v, rows, cols, code_max, stage), 0.0, 1.0)
        view[...] = v


def _same_colour_mean(image: np.ndarray, bad: np.ndarray, green: np.ndarray) -> np.ndarray:
    """Replacement for flagged CFA samples: the mean of the good same-colour neighbours
    (diagonal ones for green, the ones two away in row and column otherwise), as the DNG
    SDK's bad-pixel opcodes interpolate."""
    plane = image[:, :, 0]
    padded = np.pad(plane, 2, mode="reflect")
    padded_bad = np.pad(bad, 2, mode="reflect")
    h, w = plane.shape
    total = np.zeros((h, w))
    count = np.zeros((h, w))
    diagonal = ((-1, -1), (-1, 1), (1, -1), (1, 1))
    straight = ((-2, 0), (2, 0), (0, -2), (0, 2))
    for offsets, where_ in ((diagonal, green), (straight, ~green)):
        for dy, dx in offsets:
            good = ~padded_bad[2 + dy : 2 + dy + h, 2 + dx : 2 + dx + w] & where_
            total += np.where(good, padded[2 + dy : 2 + dy + h, 2 + dx : 2 + dx + w], 0.0)
            count += good
    return np.where(count > 0, total / np.maximum(count, 1), plane)


def _green_sites(shape: tuple, phase: int) -> np.ndarray:
    """Green CFA sites for a BayerPhase, as the DNG SDK reads it (``IsGreen``): green where
    row + col + phase + phase // 2 is even, so 0 and 3 have green at the top left, 1 and 2
    red or blue (1 is RGGB's, 2 BGGR's)."""
    yy, xx = np.indices(shape[:2])
    return (yy + xx + phase + (phase >> 1)) % 2 == 0


def _fix_bad_pixels(op: Opcode, image: np.ndarray, where: str, code_max: float) -> None:
    p = op.params
    h, w = image.shape[:2]
    if op.id == FIX_BAD_PIXELS_CONSTANT:
        bad = np.rint(image[:, :, 0] * code_max) == p["constant"]
    else:
        bad = np.zeros((h, w), dtype=bool)
        for row, col in p["points"]:
            if row >= h or col >= w:
                raise InputError(where, f"FixBadPixelsList: point ({row}, {col}) outside")
            bad[row, col] = True
        for top, left, bottom, right in p["rects"]:
            if bottom > h or right > w or bottom <= top or right <= left:
                raise InputError(where, f"FixBadPixelsList: bad rectangle ({top}, {left}, "
                                 f"{bottom}, {right}) outside or empty")  # fmt: skip
            bad[top:bottom, left:right] = True
    if bad.any():
        image[:, :, 0] = np.where(
            bad,
            _same_colour_mean(image, bad, _green_sites(image.shape, p["phase"])),
            image[:, :, 0],
        )


def _fix_vignette(op: Opcode, image: np.ndarray, where: str) -> None:
    """FixVignetteRadial as the SDK evaluates it: gain 1 + k0 r^2 + ... + k4 r^10 at pixel
    centres, r = 1 at the farthest image corner from the centre (cx W, cy H)."""
    h, w = image.shape[:2]
    cx, cy = op.params["center"][0] * w, op.params["center"][1] * h
    radius = math.hypot(max(cx, w - cx), max(cy, h - cy))
    yy, xx = np.ogrid[:h, :w]
    r2 = ((xx + 0.5 - cx) ** 2 + (yy + 0.5 - cy) ** 2) / radius**2
    gain = np.zeros_like(r2)
    for k in reversed(op.params["k"]):
        gain = (gain + k) * r2
    image *= (1.0 + gain)[:, :, None].astype(image.dtype)
    np.clip(image, 0.0, 1.0, out=image)


def _why_not(op: Opcode, list_number: int, cfa: bool) -> str | None:
    """Why lsquared cannot apply ``op`` from opcode list ``list_number``, or None."""
    bad_pixels = op.id in (FIX_BAD_PIXELS_CONSTANT, FIX_BAD_PIXELS_LIST)
    if bad_pixels and not cfa:
        return "bad-pixel opcodes apply to CFA data and this raw is not"
    if op.id not in PARSERS:
        return "unknown to lsquared"
    if op.id == WARP_FISHEYE:
        return "fisheye warps are not supported"
    if op.id in (WARP_RECTILINEAR, WARP_RECTILINEAR2) and list_number != 3:
        return f"a warp is applied only from OpcodeList3, not {list_number}"
    if bad_pixels and list_number == 3:
        return "bad-pixel opcodes apply to CFA data, not to OpcodeList3"
    return None


def usable(ops, list_number: int, where: str, cfa: bool = True) -> tuple[Opcode, ...]:
    """The opcodes of a list that lsquared applies; each one it cannot apply is a warning
    when optional, else an error naming it (:func:`skip_or_refuse`)."""
    kept = []
    for op in ops:
        why = _why_not(op, list_number, cfa)
        if why is None:
            kept.append(op)
        else:
            skip_or_refuse(op, where, why)
    return tuple(kept)


def apply_list(
    image: np.ndarray, ops, where: str, code_max: float = 65535.0, stage: int = 2
) -> np.ndarray:
    """Apply opcodes (already filtered by :func:`usable`) in file order to an H x W x P float
    image in [0, 1] (P = 1 for CFA data) at DNG stage ``stage`` (1, 2 or 3) whose integer
    code for 1.0 is ``code_max`` (1 for float data); returns the image, modified in place
    or, after a TrimBounds, a new smaller array. List 3's lens opcodes are the caller's to
    leave out."""
    for op in ops:
        if op.id in (FIX_BAD_PIXELS_CONSTANT, FIX_BAD_PIXELS_LIST):
            _fix_bad_pixels(op, image, where, code_max)
        elif op.id == TRIM_BOUNDS:
            top, left, bottom, right = op.params["bounds"]
            if bottom > image.shape[0] or right > image.shape[1]:
                raise InputError(where, f"TrimBounds ({top}, {left}, {bottom}, {right}) outside "
                                 f"the {image.shape[1]}x{image.shape[0]} image")  # fmt: skip
            image = np.ascontiguousarray(image[top:bottom, left:right])
        elif op.id == FIX_VIGNETTE_RADIAL:
            _fix_vignette(op, image, where)
        elif op.id in PARSERS and op.id not in (WARP_RECTILINEAR, WARP_RECTILINEAR2, WARP_FISHEYE):
            _apply_area_op(op, image, where, code_max, stage)
        else:
            raise ValueError(f"{op.name} cannot be applied to pixels here")
    return image


def turned(op: Opcode, quarter: int, mirror: bool, width: int, height: int) -> Opcode:
    """A list-3 lens opcode of a ``width`` x ``height`` stored image, re-expressed for the
    image turned upright (mirrored left-right first, then ``quarter`` turns counter-clockwise,
    as numpy's rot90). The optical centre moves with the pixels: a warp's as a pixel index
    (the SDK evaluates warps at indices), a vignette's as a point of [0, W] x [0, H] (it is
    evaluated at pixel centres); a warp's tangential terms (kt1, kt0) turn as a vector."""
    if op.id not in LENS_IDS or (quarter % 4 == 0 and not mirror):
        return op
    index = op.id != FIX_VIGNETTE_RADIAL
    x, y = op.params["center"][0] * width, op.params["center"][1] * height
    linear = np.eye(2)
    if mirror:
        x = (width - 1 - x) if index else (width - x)
        linear = np.diag([-1.0, 1.0]) @ linear
    for _ in range(quarter % 4):
        x, y = y, ((width - 1 - x) if index else (width - x))
        width, height = height, width
        linear = np.array([[0.0, 1.0], [-1.0, 0.0]]) @ linear
    params = dict(op.params, center=(x / width, y / height))
    if op.id == WARP_RECTILINEAR:
        params["planes"] = [
            (*plane[:4], *_turned_tangential(plane[4], plane[5], linear))
            for plane in params["planes"]
        ]
    elif op.id == WARP_RECTILINEAR2:
        params["planes"] = [
            dict(plane, tangential=_turned_tangential(*plane["tangential"], linear))
            for plane in params["planes"]
        ]
    return Opcode(op.id, op.flags, params)


def _turned_tangential(kt0: float, kt1: float, linear: np.ndarray) -> tuple[float, float]:
    """(kt0, kt1) after the image turns: (kt1, kt0) is the decentring vector in (h, v)."""
    h, v = linear @ np.array([kt1, kt0])
    return float(v), float(h)
