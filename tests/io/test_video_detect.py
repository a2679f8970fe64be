"""io.video's capture curve: what Panasonic's clip XML names (the QuickTime metadata key
``com.panasonic.Semi-Pro.metadata.xml`` that ffprobe lists as a format tag; a P2-style
``ClipMain`` with UserArea/AcquisitionMetadata/CameraUnitMetadata/Gamma/CaptureGamma, as
read by ExifTool's Keys:PanasonicSemi-ProMetadataXml and by Resolve metadata tools), else the
PhotoStyle of the maker note in the PANA user-data box (ExifTool's Panasonic::PANA table)."""

from __future__ import annotations

import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lsquared.io import video
from lsquared.io.video import PANASONIC_CLIP_XML, capture_curve


def clip_xml(gamma: str, gamut: str = "", namespace: str = "urn:schemas-Semi-Pro:v1.0") -> str:
    gamut_element = f"<Gamut><CaptureGamut>{gamut}</CaptureGamut></Gamut>" if gamut else ""
    xmlns = f' xmlns="{namespace}"' if namespace else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><ClipMain{xmlns}>'
        "<ClipContent><ClipMetadata><Device><Manufacturer>Panasonic</Manufacturer>"
        "<ModelName>DC-S5M2</ModelName></Device></ClipMetadata></ClipContent>"
        "<UserArea><AcquisitionMetadata><CameraUnitMetadata>"
        f"<Gamma><CaptureGamma>{gamma}</CaptureGamma></Gamma>{gamut_element}"
        "</CameraUnitMetadata></AcquisitionMetadata></UserArea></ClipMain>"
    )


@pytest.mark.parametrize(
    ("gamma", "gamut", "encoding"),
    [
        ("V-Log", "V-Gamut", "vlog"),
        ("V-LogL", "V-Gamut", "vlog"),  # GH4/GH5 V-Log L: the V-Log curve, smaller range
        ("VLOG", "", "vlog"),
        ("L-Log", "", "llog"),
        ("CINELIKE_D", "BT.709", "rec709"),
        ("NATURAL", "", "rec709"),
        ("HLG", "BT.2020", None),
    ],
)
def test_capture_gamma_names_the_input(gamma, gamut, encoding):
    for namespace in ("urn:schemas-Semi-Pro:v1.0", ""):
        found = capture_curve({PANASONIC_CLIP_XML: clip_xml(gamma, gamut, namespace)})
        assert found is not None and found.encoding == encoding
        assert f"CaptureGamma {gamma}" in found.source


def test_no_xml_or_no_gamma_names_nothing():
    assert capture_curve({}) is None
    assert capture_curve({"creation_time": "2025-01-01T00:00:00Z"}) is None
    assert capture_curve({PANASONIC_CLIP_XML: clip_xml("")}) is None


def test_malformed_xml_is_said_not_raised():
    found = capture_curve({PANASONIC_CLIP_XML: "<ClipMain><UserArea>"})
    assert found is not None and found.encoding is None and "malformed" in found.source


@given(st.text(max_size=200))
def test_any_tag_text_gives_a_curve_or_none(text):
    """The tag comes from the file: whatever it holds, no exception."""
    found = capture_curve({PANASONIC_CLIP_XML: text})
    assert found is None or found.encoding in (None, "vlog", "llog", "rec709")


def _tiff_with_photo_style(code: int) -> bytes:
    """Little-endian TIFF by hand (TIFF 6.0, EXIF 2.3): IFD0 with Make Panasonic and the Exif
    IFD pointer; the Exif IFD's MakerNote is ``Panasonic\\0\\0\\0`` + an IFD holding tag
    0x0089 (PhotoStyle, SHORT) = ``code``, as ExifTool's Panasonic.pm describes it."""

    def ifd(entries) -> bytes:
        body = struct.pack("<H", len(entries))
        for tag, kind, count, value in entries:
            body += struct.pack("<HHI", tag, kind, count) + value
        return body + struct.pack("<I", 0)

    make = b"Panasonic\0"
    make_at = 8 + 2 + 2 * 12 + 4
    exif_at = make_at + len(make)
    note_at = exif_at + 2 + 12 + 4
    ifd0 = ifd([(0x010F, 2, len(make), struct.pack("<I", make_at)),
                (0x8769, 4, 1, struct.pack("<I", exif_at))])  # fmt: skip
    note = b"Panasonic\0\0\0" + ifd([(0x0089, 3, 1, struct.pack("<HH", code, 0))])
    exif = ifd([(0x927C, 7, len(note), struct.pack("<I", note_at))])
    return b"II*\0" + struct.pack("<I", 8) + ifd0 + make + exif + note


def _with_pana_box(path, code: int | None):
    """A tiny MOV (PyAV writes moov last) with moov/udta/PANA appended to its moov: the
    model at 0x04 and, at 0x4080, the APP1 Exif block holding the maker note."""
    av = pytest.importorskip("av")
    import numpy as np

    with av.open(str(path), "w", format="mov") as c:
        v = c.add_stream("libx264", rate=24)
        v.width, v.height, v.pix_fmt = 64, 36, "yuv420p"
        frame = av.VideoFrame.from_ndarray(np.zeros((36, 64, 3), np.uint8), "rgb24")
        frame.pts = 0
        c.mux(v.encode(frame))
        c.mux(v.encode(None))
    data = bytearray(path.read_bytes())
    moov = data.rfind(b"moov") - 4
    assert int.from_bytes(data[moov : moov + 4], "big") == len(data) - moov  # moov is last
    pana = bytearray(0x4080)
    pana[4:12] = b"DC-S5M2\0"
    if code is not None:
        app1 = b"Exif\0\0" + _tiff_with_photo_style(code)
        pana += b"\xff\xd8\xff\xe1" + struct.pack(">H", len(app1) + 2) + app1
    pana_box = struct.pack(">I", 8 + len(pana)) + b"PANA" + pana
    udta = struct.pack(">I", 8 + len(pana_box)) + b"udta" + pana_box
    data += udta
    data[moov : moov + 4] = struct.pack(">I", len(data) - moov)
    path.write_bytes(bytes(data))
    return path


@pytest.mark.parametrize(
    ("code", "encoding"), [(17, "vlog"), (9, "rec709"), (12, "rec709"), (99, None)]
)
def test_panasonic_maker_note_photo_style_names_the_curve(tmp_path, code, encoding):
    path = _with_pana_box(tmp_path / "P1000001.MOV", code)
    found = video.probe(path).capture
    assert found is not None and found.encoding == encoding
    assert f"PhotoStyle {code}" in found.source


def test_a_pana_box_without_exif_or_no_box_names_nothing(tmp_path):
    assert video.probe(_with_pana_box(tmp_path / "empty.mov", None)).capture is None
    assert video.maker_box_exif(tmp_path / "missing.mov") is None
    garbage = tmp_path / "garbage.mov"
    garbage.write_bytes(b"\x00\x00\x00\x01moov" + b"\xff" * 64)
    assert video.maker_box_exif(garbage) is None


@given(st.binary(max_size=300))
def test_any_bytes_give_exif_or_none(tmp_path_factory, data):
    """Box sizes come from the file: any bytes end the walk, none raise."""
    path = tmp_path_factory.mktemp("boxes") / "x.mov"
    path.write_bytes(data)
    found = video.maker_box_exif(path)
    assert found is None or found.startswith(b"\xff\xd8")
