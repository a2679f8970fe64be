"""The one registry of colour encodings: each name means the standard people know by it
(checked against colour-science's colourspaces and curves, not lsquared's), its roles are
consistent, and every list that reads it accepts exactly its names."""

from __future__ import annotations

import re

import colour
import numpy as np
import pytest

from lsquared.color import encodings
from lsquared.errors import RecipeError
from lsquared.image import Encoding
from lsquared.io import raw, video
from lsquared.kernels import get_renderer
from lsquared.pipeline.compiler import encoding_conversion
from lsquared.pipeline.ops import Program
from lsquared.pipeline.recipe import from_dict

#: what each name means, in colour-science's words: (colourspace, encoding of linear light)
MEANING = {
    "vlog": ("V-Gamut", lambda x: colour.log_encoding(x, "V-Log")),
    "llog": ("ITU-R BT.2020", lambda x: colour.log_encoding(x, "L-Log")),
    "rec709": ("ITU-R BT.709", colour.models.oetf_BT709),
    "srgb": ("ITU-R BT.709", colour.models.eotf_inverse_sRGB),
    "linear-srgb": ("ITU-R BT.709", lambda x: x),
    "linear-rec2020": ("ITU-R BT.2020", lambda x: x),
    "acescg": ("ACEScg", lambda x: x),
    "acescct": ("ACEScg", lambda x: colour.log_encoding(x, "ACEScct")),
}
#: display outputs: (colourspace, the inverse of the display's EOTF)
DISPLAY_MEANING = {
    "rec709": ("ITU-R BT.709", colour.models.eotf_inverse_BT1886),
    "rec2020": ("ITU-R BT.2020", colour.models.eotf_inverse_BT1886),
    "srgb": ("ITU-R BT.709", colour.models.eotf_inverse_sRGB),
    "p3": ("P3-D65", colour.models.eotf_inverse_sRGB),
}
#: scene-linear Rec.2020 colours inside every gamut named, from shadow to above diffuse white
COLOURS = np.array([[0.18, 0.18, 0.18], [0.05, 0.06, 0.25], [0.6, 0.3, 0.1], [1.5, 1.2, 0.9]])


def _ours(encoding: Encoding) -> np.ndarray:
    ops = encoding_conversion(Encoding("rec2020", "linear"), encoding)
    pixels = COLOURS[:, None, :].astype(np.float32)
    return get_renderer("reference").run(Program((), tuple(ops)), pixels)[:, 0]


def _theirs(space: str, encode) -> np.ndarray:
    linear = colour.RGB_to_RGB(
        COLOURS,
        colour.RGB_COLOURSPACES["ITU-R BT.2020"],
        colour.RGB_COLOURSPACES[space],
        "Bradford",
    )
    return encode(linear)


@pytest.mark.parametrize("name", sorted(MEANING))
def test_a_source_or_lut_name_means_its_standard(name):
    entry = encodings.BY_NAME[name]
    encoding = entry.source or encodings.lut_input_encoding(name)
    np.testing.assert_allclose(_ours(encoding), _theirs(*MEANING[name]), atol=2e-4)


@pytest.mark.parametrize("name", encodings.names("display"))
def test_a_display_output_means_its_standard(name):
    encoding, display = encodings.output_encoding(name)
    assert display
    clipped = np.clip(_ours(encoding), 0.0, None)
    space, encode = DISPLAY_MEANING[name]
    np.testing.assert_allclose(
        clipped, encode(np.clip(_theirs(space, lambda x: x), 0, None)), atol=2e-4
    )


def test_roles_are_consistent():
    for name in encodings.names("working"):
        assert encodings.output_encoding(name) == (encodings.source_encoding(name), False)
        assert encodings.source_encoding(name).transfer == "linear"
    for name in encodings.names("output"):
        encoding, display = encodings.output_encoding(name)
        assert display == (encoding.transfer != "linear"), name
    assert set(encodings.names("video")) == set(encodings.names("display"))
    assert set(encodings.names("camera")) <= set(encodings.names("lut_input"))
    assert encodings.names("input")[0] == "auto"  # the recipe's default
    assert encodings.source_encoding("raw") == raw.CAMERA_RAW  # io's own name for it


def test_unknown_names_and_roles_name_the_choices():
    with pytest.raises(ValueError, match="choose one of raw, vlog"):
        encodings.source_encoding("auto")
    with pytest.raises(ValueError, match="srgb"):
        encodings.output_encoding("acescct")  # a LUT's input, not an output
    with pytest.raises(ValueError, match="rec709"):
        encodings.video_tags("linear-srgb")
    with pytest.raises(ValueError, match="choose one of vlog"):
        encodings.lut_input_encoding("rec2020")
    with pytest.raises(ValueError, match="unknown role"):
        encodings.names("colour")


def test_video_tags_are_names_the_writer_maps_to_ffmpeg():
    """``io.video`` (below ``color``) keeps FFmpeg's enum names keyed by the H.273 names
    the engine passes it from here."""
    for name in encodings.names("video"):
        primaries, transfer, matrix = encodings.video_tags(name)
        assert primaries in video.TAG_NAMES["ColorPrimaries"]
        assert transfer in video.TAG_NAMES["ColorTrc"]
        assert matrix in video.TAG_NAMES["Colorspace"]


@pytest.mark.parametrize(
    ("section", "key", "role"),
    [
        ("input", "encoding", "input"),
        ("output", "space", "output"),
        ("working", "space", "working"),
        ("look", "lut_input", "lut_input"),
        ("look", "lut_output", "display"),
    ],
)
def test_the_recipe_accepts_exactly_the_registrys_names(section, key, role):
    for name in encodings.names(role):
        from_dict({section: {key: name}})
    outside = next(e.name for e in encodings.REGISTRY if e.name not in encodings.names(role))
    with pytest.raises(RecipeError, match=re.escape(", ".join(encodings.names(role)))):
        from_dict({section: {key: outside}})
