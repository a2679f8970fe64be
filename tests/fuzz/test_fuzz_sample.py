"""A fast sample of the fuzz campaign in the default test run: the seeds are valid, and a
few mutated cases of every parser end in a result or one clean error."""

from __future__ import annotations

import pytest

from tests.fuzz import seeds
from tests.fuzz.campaign import run
from tests.fuzz.targets import TARGETS, run_case


def _seed(target) -> bytes:
    return {
        "cube": lambda: seeds.cube_text().encode(),
        "vlt": lambda: seeds.vlt_text().encode(),
        "recipe": lambda: seeds.RECIPE.encode(),
        "lensfun-xml": lambda: seeds.LENSFUN_XML.encode(),
        "dng-opcodes": seeds.opcode_bytes,
        "rw2-distortion": lambda: seeds.rw2_blob(seeds.RW2_VALUES),
        "exif-rationals": lambda: b"7546/10000 -1435/10000 3",
        "raw-metadata": seeds.dng_bytes,
        "raw-decode": seeds.dng_bytes,
        "mp4": lambda: seeds.clip_bytes(".mp4"),
        "mov": lambda: seeds.clip_bytes(".mov"),
    }[target.name]()


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.name)
def test_seed_parses(target, tmp_path):
    """Mutations start from inputs the parser accepts, so they reach its deeper checks."""
    pytest.importorskip("lensfunpy")
    outcome = run_case(target, _seed(target), tmp_path)
    assert outcome.status == "ok", outcome.detail


def test_opcode_seed_matches_the_writer():
    from lsquared.io import opcodes

    ops = opcodes.decode(seeds.opcode_bytes())
    assert opcodes.encode(ops) == seeds.opcode_bytes()
    assert ops[0].params["planes"][0][:2] == (1.0, 0.01)


@pytest.mark.parametrize("target", TARGETS, ids=lambda t: t.name)
def test_fuzz_sample(target):
    pytest.importorskip("lensfunpy")
    summary = run(target.name, 12, seed=1)
    assert summary.cases >= 1
    assert not summary.failures, summary.failures


def test_found_rw2_scale_word_divides_by_zero():
    """Found by the campaign: a DistortionInfo with valid checksums and scale word -32768
    raised ZeroDivisionError."""
    from lsquared.errors import InputError
    from lsquared.io import rw2

    values = list(seeds.RW2_VALUES)
    values[5] = -32768
    with pytest.raises(InputError, match="scale word"):
        rw2.parse(seeds.rw2_blob(values), "x.rw2")


def test_found_video_tags_and_unknown_codec(tmp_path):
    """Found by the campaign: a container tag that is not UTF-8 raised UnicodeDecodeError
    from PyAV, and a video stream whose codec FFmpeg does not know AttributeError."""
    from tests.fuzz.targets import BY_NAME

    data = bytearray(seeds.clip_bytes(".mp4"))
    stsd = next(o for o, _ in seeds.boxes(bytes(data)) if data[o + 4 : o + 8] == b"stsd")
    assert data[stsd + 20 : stsd + 24] == b"avc1"  # the video track's sample entry comes first
    data[stsd + 20 : stsd + 24] = b"zzzz"
    outcome = run_case(BY_NAME["mp4"], bytes(data), tmp_path)
    assert outcome.status in ("ok", "error"), outcome.detail
    data = bytearray(seeds.clip_bytes(".mp4"))
    encoder = data.index(b"Lavf")  # the muxer's encoder tag, in udta/meta/ilst
    data[encoder + 1] = 0xB7  # not UTF-8
    outcome = run_case(BY_NAME["mp4"], bytes(data), tmp_path)
    assert outcome.status == "ok", outcome.detail
