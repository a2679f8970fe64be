"""What a clip says about itself: ``--input auto`` reads the curve from the camera's clip XML
(and says when it had to assume Rec.709); the graded clip keeps the source's creation time
and descriptive tags; ``--stills`` names each still by its time and frame in the clip. The
source tags are written by the system's ``ffmpeg`` command (a remux, ``-c copy``), and read
back by ``ffprobe``."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import numpy as np
import pytest

from lsquared.io import stills, video
from tests.conftest import make_clip
from tests.conftest import run_lsq_here as run_lsq
from tests.io.test_video_detect import clip_xml

av = pytest.importorskip("av")
pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed")

CREATED = "2025-05-01T10:20:30.000000Z"


def _remux(src, out, *metadata: str):
    """``src`` copied into ``out`` with container/stream tags (``-metadata`` arguments)."""
    subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(src), "-map", "0", "-c", "copy",
         "-movflags", "use_metadata_tags", *metadata, str(out)],
        check=True,
    )  # fmt: skip
    return out


def _ffprobe(path) -> dict:
    shown = subprocess.run(
        ["ffprobe", "-v", "error", "-show_format", "-show_streams", "-of", "json", str(path)],
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    return json.loads(shown.stdout)


def _frames(path) -> np.ndarray:
    with av.open(str(path)) as c:
        return np.stack([np.stack(video.frame_planes(f, 10), -1) for f in c.decode(video=0)])


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    """A clip with no word about its curve (the colour tags name only the matrix)."""
    folder = tmp_path_factory.mktemp("clips")
    return make_clip(folder / "plain.mov", frames=4, w=96, h=54)


def test_panasonic_vlog_clip_is_graded_as_vlog_under_auto(plain, tmp_path):
    """The clip XML's CaptureGamma V-Log decides: no warning, ``--explain`` names the
    source, and the frames equal those of ``--input vlog``."""
    tagged = _remux(plain, tmp_path / "P1000001.MOV",
                    "-metadata", f"{video.PANASONIC_CLIP_XML}={clip_xml('V-Log', 'V-Gamut')}")  # fmt: skip
    auto = run_lsq("grade", tagged, "-o", tmp_path / "auto.mov", "--codec", "lossless",
                   "--look", "teal-orange", "--explain")  # fmt: skip
    assert auto.returncode == 0, auto.stderr
    assert "warning" not in auto.stderr
    assert "input: vlog (auto: Panasonic clip XML: CaptureGamma V-Log, CaptureGamut V-Gamut)" in (
        auto.stdout
    )
    declared = run_lsq("grade", tagged, "-o", tmp_path / "vlog.mov", "--codec", "lossless",
                       "--look", "teal-orange", "--input", "vlog")  # fmt: skip
    assert declared.returncode == 0, declared.stderr
    assert np.array_equal(_frames(tmp_path / "auto.mov"), _frames(tmp_path / "vlog.mov"))
    kept = _ffprobe(tmp_path / "auto.mov")["format"].get("tags", {})
    assert video.PANASONIC_CLIP_XML not in kept  # it says V-Log; the graded clip is not


@pytest.mark.parametrize(
    ("gamma", "warned"), [(None, "nothing in the clip names its curve"), ("HLG", "HLG")]
)
def test_auto_says_when_rec709_was_assumed(plain, tmp_path, gamma, warned):
    """One ``lsq: warning:`` line on the terminal and the same words in ``--explain``."""
    src = plain
    if gamma:
        src = _remux(plain, tmp_path / "hlg.mov",
                     "-metadata", f"{video.PANASONIC_CLIP_XML}={clip_xml(gamma)}")  # fmt: skip
    result = run_lsq("grade", src, "-o", tmp_path / "g.mp4", "--codec", "h264", "--explain")
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("lsq: warning:")]
    assert len(lines) == 1 and "Rec.709 assumed" in lines[0] and warned in lines[0]
    assert "input: rec709 (auto: " in result.stdout and "Rec.709 assumed" in result.stdout
    quiet = run_lsq("grade", src, "-o", tmp_path / "q.mp4", "--codec", "h264", "--input", "rec709")
    assert quiet.returncode == 0 and "warning" not in quiet.stderr


@pytest.mark.parametrize("suffix", [".mov", ".mp4", ".mkv"])
def test_creation_time_and_descriptive_tags_are_kept(plain, tmp_path, suffix):
    src = _remux(plain, tmp_path / "tagged.mov",
                 "-metadata", f"creation_time={CREATED}", "-metadata", "title=Take 3")  # fmt: skip
    out = tmp_path / f"graded{suffix}"
    result = run_lsq("grade", src, "-o", out, "--input", "vlog", "--codec", "h264")
    assert result.returncode == 0, result.stderr
    shown = _ffprobe(out)
    tags = {k.lower(): v for k, v in shown["format"].get("tags", {}).items()}
    assert tags.get("creation_time") == CREATED
    assert tags.get("title") == "Take 3"


def test_stills_are_named_by_their_time_and_frame_in_the_clip(plain, tmp_path):
    """``--stills 2`` on 4 frames: the first and last frame, ``<out>_t<s>_f<frame>.png``;
    each still is that frame of the graded (lossless) clip (within 2 codes at 10 bit, the
    Y'CbCr round trip) and no other."""
    out = tmp_path / "g.mov"
    result = run_lsq("grade", plain, "-o", out, "--input", "vlog", "--codec", "lossless",
                     "--stills", "2")  # fmt: skip
    assert result.returncode == 0, result.stderr
    names = sorted(p.name for p in tmp_path.glob("g_*.png"))
    assert names == ["g_t00000.000_f000000.png", "g_t00000.125_f000003.png"]
    with av.open(str(out)) as c:
        frames = [video.frame_to_rgb(f, video.probe(out)) for f in c.decode(video=0)]
    for name in names:
        frame = int(re.search(r"_f(\d+)\.png$", name).group(1))
        still = stills.read_image(tmp_path / name)
        errors = [np.abs(still - np.clip(f, 0, 1)).max() for f in frames]
        assert errors[frame] <= 2 / 1023 and int(np.argmin(errors)) == frame


def test_stills_of_a_trimmed_grade_fall_inside_the_trim(plain, tmp_path):
    """``--start 1/24 --duration 2/24`` keeps 2 of the 4 frames: both are stills."""
    out = tmp_path / "t.mov"
    result = run_lsq("grade", plain, "-o", out, "--input", "vlog", "--codec", "h264",
                     "--start", 1 / 24, "--duration", 2 / 24, "--stills", "2")  # fmt: skip
    assert result.returncode == 0, result.stderr
    names = sorted(p.name for p in tmp_path.glob("t_*.png"))
    assert names == ["t_t00000.000_f000000.png", "t_t00000.042_f000001.png"]
