"""Panasonic RW2 lens distortion information, IFD0 tag 0x0119 ("DistortionInfo").

Provenance: the layout and checksums are as ExifTool documents them
(Image::ExifTool::PanasonicRaw, "DistortionInfo", after P. Harvey and syscall.eu): 32 bytes
read as 16 little-endian int16 values; entries 2, 4, 8, 9, 11 are parameters / 32768,
entry 5 gives the scale 1 / (1 + v / 32768), the low 4 bits of entry 7 say whether the
camera's own correction is on; entries 0, 1, 14, 15 hold four checksums, each
``c = (73 c + byte) mod 0xffef`` over a byte range, whose XOR with the stored words is 0.

The model, the scale word and the radius normalisation are community reverse-engineering,
not a Panasonic document. Three readings were compared (read, not copied):

- R. Rigo (trou/panasonic-rw2, notes.txt), fitted against Adobe DNG Converter: the corrected
  radius from the recorded one, Ru = Rd + a Rd^3 + b Rd^5 + c Rd^7, with a = s w8, b = s w4,
  c = s w11 (each word / 32768) and s = 1 / (1 + w5 / 32768).
- darktable (merged in 2026 as its "embedded metadata" method for RW2, reported validated
  on S5 II files): the same words and the same form, inverted to find Rd for each corrected
  pixel; the radius as in its other embedded corrections (Sony, Fuji, Olympus: r = 1 at the
  half diagonal around (W / 2, H / 2), as RawTherapee's port of darktable 4.6's code has it).
- RawTherapee (rtengine/lensmetadata.cc): the same words, but the recorded radius from the
  corrected one, Rd = s Ru (1 + a Ru^2 + b Ru^4 + c Ru^6): the opposite sign to first
  order, and s as a zoom rather than a factor of the terms; the same normalisation (its
  CenterRadius class, adapted from darktable 4.6). Its authors ship it disabled ("not
  stable, works well with only some lenses").

lsquared takes darktable's reading: it is the one in use and validated on real files, it
agrees with Rigo's fit against Adobe's converter, and on the sample LX3 file it gives the
barrel correction its 24 mm-equivalent lens needs (the corrected corner comes from 9 % of
the half diagonal further in; RawTherapee's sign would add 12 % of barrel distortion
instead, and would need recorded pixels beyond the frame). The normalisation is the one all
three agree on. ``optics.profile.from_rw2`` applies it, solving for Rd by Newton's method,
only when the camera recorded its correction as on. Limits: no RW2 with pixel data was
available to check it against the camera's own JPEG; where the scale word is not 1, s as a
factor of the terms (Rigo) and s as a zoom (RawTherapee) differ, and lsquared follows Rigo;
TCA (tag 0x011b) is not decoded; entries 2 and 9 are unused. ``--lens lensfun`` chooses the
database profile instead.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from lsquared.errors import InputError

TAG = "Exif.PanasonicRaw.0x0119"


@dataclass(frozen=True)
class Rw2Distortion:
    param02: float
    param04: float
    param08: float
    param09: float
    param11: float
    scale: float
    correction_on: bool

    @property
    def abc(self) -> tuple[float, float, float]:
        """a, b, c of Ru = Rd + a Rd^3 + b Rd^5 + c Rd^7 (Rigo's mapping, see the module)."""
        return self.scale * self.param08, self.scale * self.param04, self.scale * self.param11


def _checksum(data: bytes, start: int, count: int, step: int) -> int:
    csum = 0
    for i in range(count):
        csum = (73 * csum + data[start + i * step]) % 0xFFEF
    return csum


def checksum_ok(data: bytes) -> bool:
    word = lambda offset: struct.unpack_from("<H", data, offset)[0]  # noqa: E731
    res = (
        _checksum(data, 4, 12, 1) ^ word(2)
        ^ _checksum(data, 16, 12, 1) ^ word(28)
        ^ _checksum(data, 2, 14, 2) ^ word(0)
        ^ _checksum(data, 3, 14, 2) ^ word(30)
    )  # fmt: skip
    return res == 0


def parse(data: bytes, where: str = "RW2 0x0119") -> Rw2Distortion:
    """Decode the 32-byte DistortionInfo; InputError if it is the wrong size or its
    checksums do not match."""
    if len(data) != 32:
        raise InputError(where, f"DistortionInfo is {len(data)} bytes, expected 32")
    if not checksum_ok(data):
        raise InputError(where, "DistortionInfo checksum does not match")
    v = struct.unpack("<16h", data)
    if v[5] == -32768:  # the scale 1 / (1 + v / 32768) would divide by zero
        raise InputError(where, "DistortionInfo scale word is -32768 (an infinite scale)")
    return Rw2Distortion(
        param02=v[2] / 32768, param04=v[4] / 32768, param08=v[8] / 32768,
        param09=v[9] / 32768, param11=v[11] / 32768, scale=1 / (1 + v[5] / 32768),
        correction_on=(v[7] & 0x0F) == 1,
    )  # fmt: skip


def from_exif(exif: dict, where: str) -> Rw2Distortion | None:
    value = exif.get(TAG)
    if value is None:
        return None
    try:
        data = bytes(int(b) for b in str(value).split())
    except ValueError:
        raise InputError(where, "RW2 DistortionInfo is not a byte list") from None
    return parse(data, where)
