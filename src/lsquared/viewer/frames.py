"""Frames of a clip on demand, asked of the engine (``engine.clip_frame_times``,
``engine.clip_frame``; ``io.video.ClipReader`` seeks).

A clip is probed once: its packets' presentation times, sorted, are the frames' times in
display order (demuxing only, nothing decoded). Frame ``n`` is then found by seeking to
the keyframe at or before its time and decoding forward to the frame with that time.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lsquared import engine
from lsquared.errors import InputError
from lsquared.io import video


@dataclass(frozen=True)
class Clip:
    info: video.VideoInfo
    pts: tuple[int, ...]  # each frame's presentation time, display order

    @property
    def frames(self) -> int:
        return len(self.pts)

    def describe(self) -> dict:
        rate = float(self.info.rate) if self.info.rate else 0.0
        return {"frames": self.frames, "fps": rate, "width": self.info.width,
                "height": self.info.height}  # fmt: skip


def open_clip(path: Path) -> Clip:
    info, pts = engine.clip_frame_times(path)
    if not pts:
        raise InputError(path, "the clip has no video frames")
    return Clip(info, pts)


def read_frame(path: Path, clip: Clip, index: int) -> np.ndarray:
    """Frame ``index`` (0-based, display order) as float32 R'G'B' with the stream's matrix
    and range (``engine.clip_frame``, as grading reads it)."""
    if not 0 <= index < clip.frames:
        raise InputError(path, f"frame {index} is outside 0..{clip.frames - 1}")
    rgb = engine.clip_frame(path, clip.pts[index])
    if rgb is None:
        raise InputError(path, f"frame {index} could not be decoded at its time {clip.pts[index]}")
    return rgb
