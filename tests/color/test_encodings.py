"""The colour-encoding registry agrees with every list of names the recipe, the compiler,
the engine and the video writer keep today (until they read it themselves)."""

from __future__ import annotations

from lsquared import engine
from lsquared.color import encodings
from lsquared.io import raw, video
from lsquared.pipeline import compiler
from lsquared.pipeline import recipe as rc


def test_names_agree_with_the_recipe():
    assert encodings.names("input") == rc.INPUT_ENCODINGS
    assert set(encodings.names("output")) == set(rc.OUTPUT_SPACES)
    assert set(encodings.names("display")) == set(rc.DISPLAY_SPACES)
    assert set(encodings.names("working")) == set(rc.WORKING_SPACES)
    assert set(encodings.names("lut_input")) == set(rc.LUT_INPUTS)


def test_encodings_agree_with_the_compiler():
    for name, source in compiler.INPUT_ENCODINGS.items():
        assert encodings.BY_NAME[name].source == source, name
    assert encodings.BY_NAME["raw"].source == raw.CAMERA_RAW
    for name, (output, display) in compiler.OUTPUT_ENCODINGS.items():
        entry = encodings.BY_NAME[name]
        assert (entry.output, entry.display) == (output, display), name
    for name, encoding in compiler.LUT_INPUT_ENCODINGS.items():
        assert encodings.lut_input_encoding(name) == encoding, name
    for name, encoding in compiler.WORKING_ENCODINGS.items():
        assert encodings.BY_NAME[name].output == encoding, name


def test_video_tags_agree_with_the_engine_and_the_writer():
    assert {n: encodings.BY_NAME[n].video for n in encodings.names("video")} == engine.VIDEO_TAGS
    for primaries, transfer, matrix in engine.VIDEO_TAGS.values():
        assert primaries in video.TAG_NAMES["ColorPrimaries"]
        assert transfer in video.TAG_NAMES["ColorTrc"]
        assert matrix in video.TAG_NAMES["Colorspace"]
