"""ICC v4 display profiles for our output spaces (ICC.1:2022, "matrix/TRC" RGB profiles).

No library in our stack writes an ICC profile for arbitrary primaries and curves (littleCMS
through Pillow builds only sRGB), so the few tags a matrix/TRC profile needs are written
here: ``desc``/``cprt`` (mluc), ``wtpt`` (D50, as v4 requires), ``chad`` (Bradford from the
space's white to D50), ``rXYZ``/``gXYZ``/``bXYZ`` (colorants adapted to D50) and
``rTRC``/``gTRC``/``bTRC`` (``para`` curves, ICC.1:2022 section 10.18). littleCMS reads them.
"""

from __future__ import annotations

import functools
import struct

from lsquared.color.spaces import cat_matrix, matrix, white_xy

D50_XYZ = (0.9642, 1.0, 0.8249)  # ICC PCS illuminant, ICC.1:2022 section 7.2.16
D50_XY = (0.3457, 0.3585)
#: transfer name -> ICC parametric curve (function type, parameters)
PARA_CURVES = {
    "srgb": (3, (2.4, 1 / 1.055, 0.055 / 1.055, 1 / 12.92, 0.04045)),
    "bt1886": (0, (2.4,)),
    "linear": (0, (1.0,)),
}
NAMES = {"rec709": "BT.709", "p3": "Display P3", "rec2020": "BT.2020", "ap1": "ACEScg AP1"}


def _s15f16(v: float) -> bytes:
    return struct.pack(">i", round(v * 65536))


def _xyz_tag(xyz) -> bytes:
    return b"XYZ \0\0\0\0" + b"".join(_s15f16(v) for v in xyz)


def _mluc(text: str) -> bytes:
    s = text.encode("utf-16-be")
    return b"mluc\0\0\0\0" + struct.pack(">II2s2sII", 1, 12, b"en", b"US", len(s), 28) + s


def _para(function: int, params) -> bytes:
    return b"para\0\0\0\0" + struct.pack(">HH", function, 0) + b"".join(map(_s15f16, params))


def _pad(b: bytes) -> bytes:
    return b + b"\0" * (-len(b) % 4)


@functools.cache
def profile(primaries: str, transfer: str) -> bytes:
    """An ICC v4 display profile for linear-or-encoded RGB with these primaries.

    Raises ValueError for a transfer no parametric curve describes (e.g. V-Log).
    """
    if transfer not in PARA_CURVES:
        raise ValueError(f"no ICC curve for transfer {transfer!r}; valid: {list(PARA_CURVES)}")
    to_d50 = cat_matrix(white_xy(primaries), D50_XY, "Bradford")
    rgb_to_pcs = cat_matrix((0.3127, 0.3290), D50_XY, "Bradford") @ matrix(primaries, "xyz")
    name = f"lsquared {NAMES.get(primaries, primaries)} {transfer}"
    curve = _para(*PARA_CURVES[transfer])
    tags = [
        (b"desc", _mluc(name)),
        (b"cprt", _mluc("No copyright, use freely")),
        (b"wtpt", _xyz_tag(D50_XYZ)),
        (b"chad", b"sf32\0\0\0\0" + b"".join(_s15f16(v) for v in to_d50.ravel())),
        (b"rXYZ", _xyz_tag(rgb_to_pcs[:, 0])),
        (b"gXYZ", _xyz_tag(rgb_to_pcs[:, 1])),
        (b"bXYZ", _xyz_tag(rgb_to_pcs[:, 2])),
        (b"rTRC", curve),
        (b"gTRC", curve),
        (b"bTRC", curve),
    ]
    offset = 128 + 4 + 12 * len(tags)
    table, data = [], b""
    shared: dict[bytes, int] = {}
    for sig, body in tags:
        if body not in shared:
            shared[body] = offset + len(data)
            data += _pad(body)
        table.append(struct.pack(">4sII", sig, shared[body], len(body)))
    size = offset + len(data)
    header = struct.pack(
        ">I4sI4s4s4s12s4s4sI4s4sQI12s4s16s28s",
        size, b"lcms", 0x04300000, b"mntr", b"RGB ", b"XYZ ",
        struct.pack(">6H", 2026, 1, 1, 0, 0, 0), b"acsp", b"\0\0\0\0", 0, b"\0\0\0\0",
        b"\0\0\0\0", 0, 0, b"".join(_s15f16(v) for v in D50_XYZ), b"lsq ", bytes(16), bytes(28),
    )  # fmt: skip
    return header + struct.pack(">I", len(tags)) + b"".join(table) + data
