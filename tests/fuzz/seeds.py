"""Valid inputs of each parser, made once per process: the starting points for mutation.
They are written by independent means (text templates, PyAV, the camera simulator), not by
the parsers' own writers, except the .vlt, whose exact layout is the format."""

from __future__ import annotations

import functools
import os
import struct
import tempfile
from pathlib import Path

import numpy as np


@functools.cache
def folder() -> Path:
    return Path(tempfile.mkdtemp(prefix="lsq-fuzz-seeds-"))


def cube_text(size: int = 3) -> str:
    """A .cube (Adobe Cube LUT Specification 1.0): identity with a title and a domain."""
    g = np.linspace(0.0, 1.0, size)
    rows = [f"{r:.6f} {gr:.6f} {b:.6f}" for b in g for gr in g for r in g]
    head = ['TITLE "fuzz"', "# a comment", f"LUT_3D_SIZE {size}", "DOMAIN_MIN 0 0 0",
            "DOMAIN_MAX 1 1 1"]  # fmt: skip
    return "\n".join([*head, *rows]) + "\n"


@functools.cache
def vlt_text() -> str:
    """A LUMIX .vlt: its fixed header and 17^3 rows of 12-bit integers, red fastest."""
    nodes = [min(i * 256, 4095) for i in range(17)]
    rows = [f"{r} {g} {b}" for b in nodes for g in nodes for r in nodes]
    header = ["# panasonic vlt file version 1.0", '# source vlt file ""', "LUT_3D_SIZE 17", ""]
    return "\n".join([*header, *rows]) + "\n"


RECIPE = """schema = 1
[white_balance]
mode = "kelvin"
kelvin = 5600
tint = 3
[exposure]
ev = 0.3
[grade]
slope = [1.08, 1.0, 0.9]
saturation = 1.1
[lens]
source = "none"
[output]
space = "p3"
format = "tif16"
"""

LENSFUN_XML = """<lensdatabase version="2">
  <mount><name>Leica L</name></mount>
  <lens>
    <maker>Test</maker>
    <model>Test 24-70mm f/2.8</model>
    <mount>Leica L</mount>
    <cropfactor>1</cropfactor>
    <calibration>
      <distortion model="ptlens" focal="24" a="0.01" b="-0.03" c="0.02"/>
      <distortion model="poly3" focal="70" k1="-0.01"/>
      <tca model="poly3" focal="24" vr="1.0002" vb="0.9998"/>
      <vignetting model="pa" focal="24" aperture="2.8" distance="10" k1="-0.5" k2="0.1" k3="0"/>
    </calibration>
  </lens>
</lensdatabase>
"""


def rw2_blob(values: list[int]) -> bytes:
    """A 32-byte Panasonic DistortionInfo with its four checksum words filled in (the
    algorithm as ExifTool documents it, written out here independently of io.rw2)."""

    def checksum(data: bytes, start: int, count: int, step: int) -> int:
        total = 0
        for i in range(count):
            total = (73 * total + data[start + i * step]) % 0xFFEF
        return total

    data = bytearray(struct.pack("<16h", *values))
    struct.pack_into("<H", data, 2, checksum(bytes(data), 4, 12, 1))
    struct.pack_into("<H", data, 28, checksum(bytes(data), 16, 12, 1))
    struct.pack_into("<H", data, 0, checksum(bytes(data), 2, 14, 2))
    struct.pack_into("<H", data, 30, checksum(bytes(data), 3, 14, 2))
    return bytes(data)


RW2_VALUES = [0, 0, 353, 0, 674, 0, 0, 1, 4050, 190, 0, -778, 0, 0, 0, 0]


def opcode_bytes() -> bytes:
    """A DNG OpcodeList (DNG 1.6, 6.1): WarpRectilinear and FixVignetteRadial, big-endian,
    packed here by hand from the specification's layout."""

    def opcode(op_id: int, params: bytes) -> bytes:
        return struct.pack(">IIII", op_id, 0x01030000, 0, len(params)) + params

    warp = struct.pack(">I", 1) + struct.pack(">6d", 1.0, 0.01, -0.002, 0.0, 0.0, 0.0)
    warp += struct.pack(">2d", 0.5, 0.5)
    vignette = struct.pack(">5d", 0.3, 0.1, 0.0, 0.0, 0.0) + struct.pack(">2d", 0.5, 0.5)
    return struct.pack(">I", 2) + opcode(1, warp) + opcode(3, vignette)


@functools.cache
def dng_bytes() -> bytes:
    """A small simulated DNG (the camera simulator writes it without io.dngwrite's parser)."""
    from lsquared.simulate import simulate

    path = folder() / "seed.dng"
    simulate(path, width=96, height=64)
    return path.read_bytes()


@functools.cache
def rw2_header_bytes() -> bytes | None:
    """The real header-only Panasonic RW2 sample, when ``LSQ_SAMPLES`` is set."""
    samples = os.environ.get("LSQ_SAMPLES")
    path = Path(samples or "") / "header-only" / "panasonic_dmc-lx3_header_only.rw2"
    return path.read_bytes() if samples and path.is_file() else None


@functools.cache
def clip_bytes(suffix: str) -> bytes:
    """A tiny H.264 clip with an AAC track, written by PyAV (libav's muxers)."""
    import av

    path = folder() / f"seed{suffix}"
    with av.open(str(path), "w") as out:
        video = out.add_stream("libx264", rate=24)
        video.width, video.height, video.pix_fmt = 64, 36, "yuv420p"
        audio = out.add_stream("aac", rate=48000)
        audio.layout = "stereo"
        for n in range(4):
            pixels = np.full((36, 64, 3), 40 * n, np.uint8)
            frame = av.VideoFrame.from_ndarray(pixels, format="rgb24")
            frame.pts = n
            out.mux(video.encode(frame))
        out.mux(video.encode())
        tone = np.zeros((2, 1024), np.float32)
        sound = av.AudioFrame.from_ndarray(tone, format="fltp", layout="stereo")
        sound.sample_rate, sound.pts = 48000, 0
        out.mux(audio.encode(sound))
        out.mux(audio.encode())
    return path.read_bytes()


def boxes(data: bytes) -> list[tuple[int, int]]:
    """(offset, size) of every ISO BMFF box (ISO/IEC 14496-12, 4.2) found by walking the
    top level and descending into the container boxes that hold the track tables."""
    containers = {b"moov", b"trak", b"mdia", b"minf", b"stbl", b"udta", b"edts", b"dinf"}
    found: list[tuple[int, int]] = []

    def walk(start: int, end: int) -> None:
        pos = start
        while pos + 8 <= end:
            size, kind = struct.unpack_from(">I4s", data, pos)
            if size < 8 or pos + size > end:
                return
            found.append((pos, size))
            if kind in containers:
                walk(pos + 8, pos + size)
            pos += size

    walk(0, len(data))
    return found
