"""Every codec ``lsq grade`` offers into every container suffix a user may type: a graded
clip FFmpeg decodes, or one ``lsq:`` line, exit 2 and nothing written, decided before the
source is read (the source here does not even exist)."""

from __future__ import annotations

import pytest

from lsquared.io import video
from tests.conftest import make_clip, run_lsq_here

av = pytest.importorskip("av")

SUFFIXES = (".mov", ".mp4", ".mkv", ".MOV", ".avi", ".webm", ".mxf", ".ts", ".m4v", "")
#: codec choice -> the decoder name FFmpeg gives its stream
DECODED_AS = {"h264": "h264", "h265": "hevc", "prores": "prores", "ffv1": "ffv1",
              "lossless": "h264"}  # fmt: skip
MATRIX = [(codec, suffix) for codec in video.CODECS for suffix in SUFFIXES]


def test_the_matrix_covers_every_codec_the_cli_offers():
    assert set(DECODED_AS) == set(video.CODECS)


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    path = tmp_path_factory.mktemp("src") / "src.mov"
    return make_clip(path, frames=3, w=64, h=36, codec="libx264", pix_fmt="yuv420p", bits=8)


def _grade(*args):
    return run_lsq_here("grade", *args)


@pytest.mark.parametrize(("codec", "suffix"), MATRIX)
def test_codec_and_container_are_checked_up_front(clip, tmp_path, codec, suffix):
    out = tmp_path / f"graded{suffix}"
    allowed = suffix.lower() in video.CODEC_CONTAINERS[codec]
    if not allowed:
        result = _grade(tmp_path / "missing.mov", "-o", out, "--codec", codec)
        assert result.returncode == 2, result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith(f"lsq: {out}: ")
        assert "file not found" not in lines[0]  # refused before the source was looked at
        assert list(tmp_path.iterdir()) == []
        return
    result = _grade(clip, "-o", out, "--codec", codec, "--input", "vlog", "--preset", "ultrafast")
    assert result.returncode == 0, result.stderr
    with av.open(str(out)) as c:
        assert c.streams.video[0].codec_context.name == DECODED_AS[codec]
        assert sum(1 for _ in c.decode(video=0)) == 3
