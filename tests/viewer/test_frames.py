"""Frames on demand: for clips ffmpeg itself writes (B-frames, edit lists, several
containers), frame n found by seeking equals the n-th frame of a straight decode."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest

from lsquared.io import video
from lsquared.viewer import frames

av = pytest.importorskip("av")
pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed")


@pytest.mark.parametrize("name, codec", [
    ("b.mp4", ["-c:v", "libx264", "-bf", "3", "-g", "8"]),
    ("b.mov", ["-c:v", "libx264", "-bf", "2", "-g", "5"]),
    ("h.mkv", ["-c:v", "libx265", "-x265-params", "log-level=error:keyint=6:bframes=3"]),
])  # fmt: skip
def test_seeked_frame_equals_the_straight_decode(tmp_path, name, codec):
    path = tmp_path / name
    subprocess.run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=96x64:rate=24:duration=1",
         *codec, "-pix_fmt", "yuv420p", str(path)],
        check=True,
    )  # fmt: skip
    straight = [rgb for rgb, _ in video.read_frames(path)]
    clip = frames.open_clip(path)
    assert clip.frames == len(straight) == 24
    for n in (17, 3, 0, 23, 8, 9):  # backwards and forwards, across keyframes
        np.testing.assert_array_equal(frames.read_frame(path, clip, n), straight[n], err_msg=str(n))
