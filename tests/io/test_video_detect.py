"""io.video.capture_curve: the curve Panasonic's clip XML names (the QuickTime metadata key
``com.panasonic.Semi-Pro.metadata.xml`` that ffprobe lists as a format tag; a P2-style
``ClipMain`` with UserArea/AcquisitionMetadata/CameraUnitMetadata/Gamma/CaptureGamma, as
read by ExifTool's Keys:PanasonicSemi-ProMetadataXml and by Resolve metadata tools)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

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
