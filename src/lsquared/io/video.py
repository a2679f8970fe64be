"""Video in and out through PyAV (FFmpeg): frames as float32 RGB, streamed.

YUV <-> RGB is done here, not by swscale, with the matrix and range the stream is tagged
with (ITU-R BT.709-6 / BT.2020-2 non-constant luminance: Kr, Kb; limited range per
ITU-R BT.2100 Table 9 scaled to the bit depth, or full range), so nothing is left to a
library default. 4:2:0 / 4:2:2 chroma is upsampled by sample replication on decode and
averaged on encode. Audio streams are copied packet for packet; frame timestamps and the
time base are kept. Output is written to a temporary file and renamed at the end.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lsquared.errors import InputError, UnsupportedError
from lsquared.io.atomic import atomic_output

#: matrix name -> (Kr, Kb)
MATRICES = {"bt709": (0.2126, 0.0722), "bt2020nc": (0.2627, 0.0593), "bt2020ncl": (0.2627, 0.0593)}
#: codec choice -> (encoder, pixel format, bits)
CODECS = {
    "h264": ("libx264", "yuv420p", 8),
    "h265": ("libx265", "yuv420p10le", 10),
    "prores": ("prores_ks", "yuv422p10le", 10),
    "ffv1": ("ffv1", "yuv444p16le", 16),  # lossless, Matroska only
    "lossless": ("libx264", "yuv444p10le", 10),  # x264 at qp 0, 4:4:4, fits .mov and .mp4
}
DECODABLE = ("h264", "hevc", "prores", "ffv1", "mpeg4", "vp9", "av1", "dnxhd")


def _av():
    import av

    return av


@dataclass(frozen=True)
class VideoInfo:
    path: str
    codec: str
    width: int
    height: int
    pix_fmt: str
    bits: int
    time_base: object
    rate: object
    frames: int
    matrix: str
    full_range: bool
    primaries: str
    transfer: str
    has_audio: bool


def _bits(pix_fmt: str) -> int:
    for b in (16, 12, 10):
        if f"p{b}" in pix_fmt:
            return b
    return 8


def _open(path: Path):
    av = _av()
    if not path.is_file():
        raise InputError(path, "file not found")
    try:
        return av.open(str(path))
    except (av.error.InvalidDataError, av.error.FFmpegError, OSError) as e:
        raise InputError(path, f"not a video file FFmpeg can read ({e})") from None


def probe(path: str | Path) -> VideoInfo:
    path = Path(path)
    with _open(path) as container:
        return _info(path, container)


def _info(path: Path, container) -> VideoInfo:
    if not container.streams.video:
        raise InputError(path, "no video stream")
    v = container.streams.video[0]
    codec = v.codec_context.name
    if codec not in DECODABLE:
        raise UnsupportedError(
            path, f"video codec {codec} is not supported ({', '.join(DECODABLE)})"
        )
    cc = v.codec_context
    return VideoInfo(
        path=str(path), codec=codec, width=cc.width, height=cc.height,
        pix_fmt=cc.pix_fmt or "", bits=_bits(cc.pix_fmt or ""), time_base=v.time_base,
        rate=v.average_rate or v.guessed_rate, frames=v.frames,
        matrix=_tag_name(getattr(cc, "colorspace", None), "bt709"),
        full_range=_tag_name(getattr(cc, "color_range", None), "tv") in ("pc", "jpeg", "2"),
        primaries=_tag_name(getattr(cc, "color_primaries", None), "bt709"),
        transfer=_tag_name(getattr(cc, "color_trc", None), "bt709"),
        has_audio=bool(container.streams.audio),
    )  # fmt: skip


def _tag_name(value, default: str) -> str:
    if value is None:
        return default
    name = getattr(value, "name", None) or str(value)
    name = name.lower().replace("itu", "bt")
    return {"1": "bt709", "9": "bt2020nc", "unspecified": default, "2": default}.get(name, name)


def yuv_to_rgb(y: np.ndarray, cb: np.ndarray, cr: np.ndarray, bits: int, matrix: str,
               full_range: bool) -> np.ndarray:  # fmt: skip
    """Integer Y'CbCr planes (chroma already at full resolution) -> R'G'B' float32 in [0, 1]."""
    kr, kb = MATRICES.get(matrix, MATRICES["bt709"])
    kg = 1 - kr - kb
    top = float(2**bits - 1)
    scale = 2 ** (bits - 8)
    if full_range:
        yn = y / top
        cbn = (cb - 2 ** (bits - 1)) / top
        crn = (cr - 2 ** (bits - 1)) / top
    else:
        yn = (y - 16 * scale) / (219 * scale)
        cbn = (cb - 128 * scale) / (224 * scale)
        crn = (cr - 128 * scale) / (224 * scale)
    r = yn + 2 * (1 - kr) * crn
    b = yn + 2 * (1 - kb) * cbn
    g = (yn - kr * r - kb * b) / kg
    return np.stack([r, g, b], axis=-1).astype(np.float32)


def rgb_to_yuv(rgb: np.ndarray, bits: int, matrix: str) -> tuple[np.ndarray, ...]:
    """R'G'B' in [0, 1] -> limited-range integer Y'CbCr planes (full resolution)."""
    kr, kb = MATRICES.get(matrix, MATRICES["bt709"])
    kg = 1 - kr - kb
    scale = 2 ** (bits - 8)
    rgb = np.clip(rgb.astype(np.float64), 0.0, 1.0)
    r, g, b = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    yn = kr * r + kg * g + kb * b
    cbn = (b - yn) / (2 * (1 - kb))
    crn = (r - yn) / (2 * (1 - kr))
    y = np.floor(yn * 219 * scale + 16 * scale + 0.5)
    cb = np.floor(cbn * 224 * scale + 128 * scale + 0.5)
    cr = np.floor(crn * 224 * scale + 128 * scale + 0.5)
    return y, cb, cr


def _upsample(plane: np.ndarray, h: int, w: int) -> np.ndarray:
    fy, fx = h // plane.shape[0], w // plane.shape[1]
    return np.repeat(np.repeat(plane, fy, axis=0), fx, axis=1)[:h, :w]


def _subsample(plane: np.ndarray, fy: int, fx: int) -> np.ndarray:
    h, w = plane.shape
    return plane.reshape(h // fy, fy, w // fx, fx).mean(axis=(1, 3))


def frame_planes(frame, bits: int) -> list[np.ndarray]:
    """Y', Cb, Cr code values of a decoded frame, chroma upsampled to full resolution."""
    arrays = []
    for i, plane in enumerate(list(frame.planes)[:3]):
        p = np.frombuffer(plane, dtype=np.uint16 if bits > 8 else np.uint8)
        stride = plane.line_size // (2 if bits > 8 else 1)
        a = p[: plane.height * stride].reshape(plane.height, stride)[:, : plane.width]
        a = a.astype(np.float64)
        arrays.append(a if i == 0 else _upsample(a, frame.height, frame.width))
    return arrays


def frame_to_rgb(frame, info: VideoInfo) -> np.ndarray:
    """A decoded video frame -> float32 R'G'B' with the stream's matrix and range."""
    return yuv_to_rgb(*frame_planes(frame, info.bits), info.bits, info.matrix, info.full_range)


def _in_window(item, time_base, start_s: float, duration_s: float | None) -> bool:
    """Whether a frame's or packet's presentation time lies in [start, start + duration)."""
    t = float(item.pts * time_base) if item.pts is not None else 0.0
    end = float("inf") if duration_s is None else start_s + duration_s
    return start_s - 1e-9 <= t < end - 1e-9


def read_frames(path: str | Path, start_s: float = 0.0, duration_s: float | None = None
                ) -> Iterator[tuple[np.ndarray, int]]:  # fmt: skip
    """(R'G'B' float32 frame, pts) for each frame in [start, start + duration)."""
    av = _av()
    path = Path(path)
    with _open(path) as container:
        info = _info(path, container)
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        try:
            for frame in container.decode(stream):
                if _in_window(frame, stream.time_base, start_s, duration_s):
                    yield frame_to_rgb(frame, info), frame.pts
        except av.error.FFmpegError as e:
            raise InputError(path, f"corrupt or truncated video: {e}") from None


@dataclass(frozen=True)
class EncodeTags:
    primaries: str = "bt709"
    transfer: str = "bt709"
    matrix: str = "bt709"


def grade_video(
    src: Path,
    out: Path,
    process,
    codec: str = "h265",
    crf: int | None = None,
    preset: str = "medium",
    tags: EncodeTags = EncodeTags(),
    start_s: float = 0.0,
    duration_s: float | None = None,
    on_frame=None,
) -> int:
    """Decode ``src``, run ``process(rgb) -> rgb`` on every frame, encode to ``out``
    (atomically) with the colour tags, copying audio packets; returns the frame count.
    The whole clip keeps its timestamps; a trimmed one (``start_s``, ``duration_s``) starts at
    0, its audio trimmed to the same window, as ``ffmpeg -ss`` does."""
    av = _av()
    _fill_fresh_heap_memory()
    if codec not in CODECS:
        raise UnsupportedError(out, f"codec {codec!r} is not supported; choose {', '.join(CODECS)}")
    encoder, pix_fmt, bits = CODECS[codec]
    src = Path(src)
    with _open(src) as inp:
        info = _info(src, inp)
        vin = inp.streams.video[0]
        vin.thread_type = "AUTO"
        with (
            atomic_output(out, [src]) as tmp,
            av.open(str(tmp), "w", format=_format_for(out)) as outc,
        ):
            vout = outc.add_stream(encoder, rate=vin.average_rate or vin.guessed_rate)
            vout.width, vout.height, vout.pix_fmt = info.width, info.height, pix_fmt
            vout.time_base = vin.time_base
            vout.codec_context.time_base = vin.time_base
            cc = vout.codec_context
            cc.color_primaries = _enum(av, "ColorPrimaries", tags.primaries)
            cc.color_trc = _enum(av, "ColorTrc", tags.transfer)
            cc.colorspace = _enum(av, "Colorspace", tags.matrix)
            cc.color_range = _enum(av, "ColorRange", "limited")
            options = {}
            if codec in ("h264", "h265") and crf is not None:
                options["crf"] = str(crf)
            if codec in ("h264", "h265", "lossless"):
                options["preset"] = preset
            if codec == "lossless":
                options["qp"] = "0"
            if codec == "h265":
                options["x265-params"] = "log-level=error"  # x265 logs to stderr otherwise
            if codec == "prores":
                options["profile"] = "3"  # 422 HQ
            vout.options = options
            audio_map = {a.index: outc.add_stream_from_template(a) for a in inp.streams.audio}
            count = 0
            try:
                trimmed = start_s > 0 or duration_s is not None
                for packet in inp.demux(vin, *inp.streams.audio):
                    if packet.stream.type == "audio":
                        if packet.dts is None or (
                            trimmed
                            and not _in_window(packet, packet.stream.time_base, start_s, duration_s)
                        ):
                            continue
                        if trimmed:  # rebase the kept audio to start at 0, as the video
                            shift = round(start_s / packet.stream.time_base)
                            packet.pts -= shift
                            packet.dts -= shift
                        packet.stream = audio_map[packet.stream.index]
                        outc.mux(packet)
                        continue
                    for frame in packet.decode():
                        if not _in_window(frame, vin.time_base, start_s, duration_s):
                            continue
                        pts = frame.pts - round(start_s / vin.time_base) if trimmed else frame.pts
                        rgb = process(frame_to_rgb(frame, info))
                        outc.mux(vout.encode(_rgb_frame(av, rgb, pix_fmt, bits, tags.matrix, pts)))
                        count += 1
                        if on_frame:
                            on_frame(count, rgb)
                outc.mux(vout.encode(None))
            except av.error.FFmpegError as e:
                raise InputError(src, f"corrupt or truncated video: {e}") from None
    return count


#: glibc mallopt parameter: fill each fresh heap allocation with a fixed byte
M_PERTURB = -6


@functools.cache
def _fill_fresh_heap_memory() -> None:
    """Make encodes reproducible: libx264's lookahead reads heap memory it has not written
    when the frame height is not a multiple of 16 (measured: one 192x108 clip encoded to
    different bytes run after run in one process; 256x144 did not; ``mbtree=0`` also cures
    it). glibc's ``M_PERTURB`` fills every fresh allocation with a fixed byte, so the same
    input gives the same bytes, which resumed batches rely on. Costs a memset per heap
    allocation; no effect where glibc is absent."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").mallopt(M_PERTURB, 0x5A)


def _format_for(out: Path) -> str | None:
    return {".mov": "mov", ".mp4": "mp4", ".mkv": "matroska"}.get(out.suffix.lower())


#: our names -> FFmpeg's enum member names, per tag
TAG_NAMES = {
    "ColorPrimaries": {"bt709": "BT709", "bt2020": "BT2020", "p3": "SMPTE432"},
    "ColorTrc": {
        "bt709": "BT709",
        "bt2020": "BT2020_10",
        "srgb": "IEC61966_2_1",
        "pq": "SMPTE2084",
        "hlg": "ARIB_STD_B67",
        "linear": "LINEAR",
    },
    "Colorspace": {"bt709": "ITU709", "bt2020nc": "BT2020"},
    "ColorRange": {"limited": "MPEG", "full": "JPEG"},
}


def _enum(av, name: str, value: str):
    return getattr(getattr(av.video.reformatter, name), TAG_NAMES[name][value])


def _rgb_frame(av, rgb: np.ndarray, pix_fmt: str, bits: int, matrix: str, pts):
    """A PyAV frame in ``pix_fmt`` from R'G'B' float, our matrix, limited range."""
    y, cb, cr = rgb_to_yuv(rgb, bits, matrix)
    if pix_fmt.startswith("yuv420"):
        cb, cr = _subsample(cb, 2, 2), _subsample(cr, 2, 2)
    elif pix_fmt.startswith("yuv422"):
        cb, cr = _subsample(cb, 1, 2), _subsample(cr, 1, 2)
    dtype = np.uint16 if bits > 8 else np.uint8
    frame = av.VideoFrame(rgb.shape[1], rgb.shape[0], pix_fmt)
    for plane, data in zip(
        frame.planes,
        (y, np.floor(cb + 0.5) if cb.dtype.kind == "f" else cb, np.floor(cr + 0.5)),
        strict=True,
    ):
        arr = np.clip(np.floor(data + 0.0), 0, 2**bits - 1).astype(dtype)
        stride = plane.line_size // arr.itemsize
        buf = np.zeros((plane.height, stride), dtype=dtype)
        buf[:, : plane.width] = arr
        plane.update(buf.tobytes())
    frame.pts = pts
    return frame
