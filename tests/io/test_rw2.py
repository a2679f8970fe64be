"""Panasonic RW2 DistortionInfo (tag 0x0119): checksums and values as ExifTool reads them."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lsquared.errors import InputError
from lsquared.io import rw2
from tests.conftest import run_lsq, sha256


def _with_checksums(values: list[int]) -> bytes:
    data = bytearray(struct.pack("<16h", *values))
    struct.pack_into("<H", data, 2, rw2._checksum(bytes(data), 4, 12, 1))
    struct.pack_into("<H", data, 28, rw2._checksum(bytes(data), 16, 12, 1))
    struct.pack_into("<H", data, 0, rw2._checksum(bytes(data), 2, 14, 2))
    struct.pack_into("<H", data, 30, rw2._checksum(bytes(data), 3, 14, 2))
    return bytes(data)


def test_values_and_checksum_round_trip():
    data = _with_checksums([0, 0, 353, 0, 674, 0, 0, 1, 4050, 190, 0, -778, 0, 0, 0, 0])
    info = rw2.parse(data)
    assert info.param02 == 353 / 32768 and info.param11 == -778 / 32768 and info.correction_on
    assert data[0:2] != b"\0\0"  # the checksum words are real, not zeros
    with pytest.raises(InputError, match="checksum"):
        rw2.parse(data[:6] + bytes([data[6] ^ 1]) + data[7:])


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=40))
def test_random_bytes_parse_or_raise(data):
    try:
        rw2.parse(data, "x.rw2")
    except InputError as e:
        assert "x.rw2" in str(e)


@pytest.mark.samples
def test_lumix_rw2_matches_exiftool(samples):
    """MANIFEST.md's reference values, as ExifTool reads them from the real LX3 file."""
    from lsquared.io.meta import read_exif

    path = samples / "header-only" / "panasonic_dmc-lx3_header_only.rw2"
    before = sha256(path)
    info = rw2.from_exif(read_exif(path), str(path))
    assert (info.param02, info.param04, info.param08, info.param09, info.param11) == (
        0.010772705078125, 0.02056884765625, 0.12359619140625, 0.00579833984375, -0.02374267578125,
    )  # fmt: skip
    assert info.scale == 1 and info.correction_on
    assert sha256(path) == before


@pytest.mark.samples
def test_every_sample_raw_reports_lens_and_source(samples):
    raws = sorted(p for p in samples.rglob("*") if p.suffix.lower() in (".dng", ".rw2"))
    assert raws
    result = run_lsq("lens", "identify", *raws)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("source:  lens:") == len(raws)
    assert "EF 24-105mm f/4L IS USM from the lensfun database" in result.stdout
    assert "DMC-LX3" in result.stdout and "rw2 0x0119: correction on" in result.stdout


@pytest.mark.samples
def test_lx3_corner_displacement_follows_the_chosen_reading(samples):
    """The LX3's corrected image corner comes from the recorded radius Rd that solves
    Rd + a Rd^3 + b Rd^5 + c Rd^7 = 1 (r = 1 at the half diagonal around (W/2, H/2); see
    io.rw2 for the readings compared), found here by numpy's polynomial roots."""
    import numpy as np

    from lsquared.io.meta import read_exif
    from lsquared.optics import profile as optics

    path = samples / "header-only" / "panasonic_dmc-lx3_header_only.rw2"
    exif = read_exif(path)
    width = int(exif["Exif.PanasonicRaw.ImageWidth"])
    height = int(exif["Exif.PanasonicRaw.ImageHeight"])
    a, b, c = rw2.from_exif(exif, str(path)).abc
    roots = np.roots([c, 0, b, 0, a, 0, 1, -1])
    rd = min(r.real for r in roots if abs(r.imag) < 1e-12 and 0 < r.real < 1.5)
    half_diagonal = np.hypot(width, height) / 2
    expected = (1 - rd) * half_diagonal  # px the corner's source lies further in
    assert 0.08 < 1 - rd < 0.11  # a barrel correction of about 9 % at the corners
    sx, sy = optics.source_coordinates(
        optics.from_rw2((a, b, c)), width, height, 1.0, np.array([0.0]), np.array([0.0])
    )
    displacement = np.hypot(sx[:, 0], sy[:, 0])  # from the output corner (0, 0)
    np.testing.assert_allclose(displacement, expected, atol=0.01)
