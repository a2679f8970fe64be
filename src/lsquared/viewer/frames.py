"""Frames of a clip on demand: frame-accurate seeking through PyAV.

A clip is probed once: its packets' presentation times, sorted, are the frames' times in
display order (demuxing only, nothing decoded). Frame ``n`` is then found by seeking to
the keyframe at or before its time and decoding forward to the frame with that time.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

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
    import av

    info = video.probe(path)
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        pts = sorted(p.pts for p in container.demux(stream) if p.pts is not None and p.size)
    if not pts:
        raise InputError(path, "the clip has no video frames")
    return Clip(info, tuple(pts))


def read_frame(path: Path, clip: Clip, index: int) -> np.ndarray:
    """Frame ``index`` (0-based, display order) as float32 R'G'B' with the stream's matrix
    and range (``io.video.frame_to_rgb``, as grading reads it)."""
    import av

    if not 0 <= index < clip.frames:
        raise InputError(path, f"frame {index} is outside 0..{clip.frames - 1}")
    target = clip.pts[index]
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        container.seek(target, stream=stream, backward=True, any_frame=False)
        try:
            for frame in container.decode(stream):
                if frame.pts == target:
                    return video.frame_to_rgb(frame, clip.info)
                if frame.pts is not None and frame.pts > target:
                    break
        except av.error.FFmpegError as e:
            raise InputError(path, f"corrupt or truncated video: {e}") from None
    raise InputError(path, f"frame {index} could not be decoded at its time {target}")
