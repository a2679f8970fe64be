"""Video in and out through PyAV (FFmpeg): a clip read (:class:`ClipReader`: probed once,
frames with their planes, seeking) and written (:class:`ClipWriter`: tagged frames, audio,
timestamps); the frame loop between them is the engine's.

YUV <-> RGB is done here, not by swscale, with the matrix and range the stream is tagged
with (ITU-R BT.709-6 / BT.2020-2 non-constant luminance: Kr, Kb; limited range per
ITU-R BT.2100 Table 9 scaled to the bit depth, or full range), so nothing is left to a
library default. 4:2:0 / 4:2:2 chroma is upsampled by sample replication on decode and
averaged on encode. Audio streams are copied packet for packet when the output container
takes their codec, else decoded and re-encoded by FFmpeg (never reinterpreted), with a
warning that says how (:func:`audio_plan`). Frame timestamps, the time base and the
container's and streams' descriptive tags (``creation_time`` ...) are kept. Output is
written to a temporary file and renamed at the end.
"""

from __future__ import annotations

import contextlib
import re
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from xml.etree import ElementTree

import numpy as np

from lsquared.errors import InputError, LsqWarning, OutputError, UnsupportedError
from lsquared.io import heap
from lsquared.io.atomic import atomic_output
from lsquared.io.names import CODECS

DECODABLE = ("h264", "hevc", "prores", "ffv1", "mpeg4", "vp9", "av1", "dnxhd")
#: output suffix -> FFmpeg muxer
CONTAINERS = {".mov": "mov", ".mp4": "mp4", ".mkv": "matroska"}
#: codec choice -> the output suffixes it is written into (FFmpeg's mp4 muxer refuses ProRes;
#: FFV1 has a registered mapping in Matroska only)
CODEC_CONTAINERS = {
    "h264": (".mov", ".mp4", ".mkv"),
    "h265": (".mov", ".mp4", ".mkv"),
    "prores": (".mov", ".mkv"),
    "ffv1": (".mkv",),
    "lossless": (".mov", ".mp4", ".mkv"),
}
_PCM = tuple(
    f"pcm_{kind}{endian}" for kind in ("s16", "s24", "s32", "f32", "f64") for endian in ("le", "be")
)
_COMPRESSED = ("aac", "alac", "mp3", "ac3", "eac3")
#: muxer -> audio codecs copied packet for packet. MP4 takes no PCM: its PCM boxes
#: (ISO/IEC 23003-5 ``ipcm``/``fpcm``) are new, and FFmpeg before 6.1, QuickTime and browsers
#: read them as 16-bit samples (24-bit audio became noise). Matroska has no big-endian float.
AUDIO_COPY = {
    "mov": (*_COMPRESSED, *_PCM, "pcm_u8", "pcm_s8"),
    "mp4": (*_COMPRESSED, "opus", "flac"),
    "matroska": (
        *_COMPRESSED, "opus", "flac", "vorbis", "pcm_u8",
        *(c for c in _PCM if c not in ("pcm_f32be", "pcm_f64be")),
    ),
}  # fmt: skip
#: decoded sample format -> the little-endian PCM encoder that holds it exactly
_PCM_FOR_FORMAT = {"u8": "pcm_u8", "s16": "pcm_s16le", "s32": "pcm_s32le", "flt": "pcm_f32le",
                   "dbl": "pcm_f64le"}  # fmt: skip
#: AAC-LC bit rate per channel where MP4 has no lossless codec for the samples
AAC_BITS_PER_CHANNEL = 128_000


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
    timecode: str | None = None  # SMPTE ST 12-1 HH:MM:SS:FF (";" before FF: drop-frame)
    capture: CaptureCurve | None = None  # what the camera says it recorded, when it says


@dataclass(frozen=True)
class CaptureCurve:
    """The curve a camera's own metadata names for a clip: ``encoding`` is the input name
    it maps to (None for a curve lsquared does not decode), ``source`` where it was read."""

    encoding: str | None
    source: str


#: QuickTime metadata key (moov/meta keys + ilst, which FFmpeg shows as a container tag) of
#: the clip XML Panasonic writes into MOV/MP4: a P2-style
#: ``ClipMain`` whose UserArea/AcquisitionMetadata/CameraUnitMetadata/Gamma/CaptureGamma names
#: the photo style's curve (``V-Log``, ``CINELIKE_D`` ...) and Gamut/CaptureGamut its gamut.
#: The stream's colour tags do not tell log from Rec.709 (cameras leave the transfer
#: unspecified or write BT.709 for log).
PANASONIC_CLIP_XML = "com.panasonic.Semi-Pro.metadata.xml"


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
        return av.open(str(path), metadata_errors="replace")  # tags need not be UTF-8
    except (av.error.InvalidDataError, av.error.FFmpegError, OSError) as e:
        raise InputError(path, f"not a video file FFmpeg can read ({e})") from None


def check_output(out: Path, codec: str) -> None:
    """Raise before anything is read or written when ``codec`` cannot go into the container
    ``out``'s suffix names (every combination the CLI offers is decided here)."""
    if codec not in CODECS:
        raise UnsupportedError(out, f"codec {codec!r} is not supported; choose {', '.join(CODECS)}")
    suffix = out.suffix.lower()
    if suffix not in CONTAINERS:
        raise OutputError(
            out, f"unknown video container {suffix or '(no suffix)'}; use .mov, .mp4 or .mkv"
        )
    if suffix not in CODEC_CONTAINERS[codec]:
        fitting = " or ".join(CODEC_CONTAINERS[codec])
        raise OutputError(out, f"{codec} cannot be written into {suffix}; use {fitting}")


@dataclass(frozen=True)
class AudioPlan:
    """How one audio stream goes into the output: copied (``encoder`` None) or decoded and
    re-encoded with ``encoder`` at ``sample_format``; ``note`` says why and what is lost."""

    encoder: str | None
    sample_format: str | None = None
    note: str | None = None


def pcm_bits(codec: str) -> int | None:
    """Bits per sample of an integer PCM codec name (``pcm_s24le`` -> 24), else None."""
    match = re.fullmatch(r"pcm_[su](\d+)(le|be)?(_planar)?", codec)
    return int(match.group(1)) if match else None


def audio_plan(codec: str, sample_format: str, muxer: str) -> AudioPlan:
    """Copy when ``muxer`` takes ``codec``; otherwise re-encode losslessly where the container
    has a codec for the samples (little-endian PCM of the decoded format into .mov and .mkv;
    ALAC, Apple Lossless, for integers up to 24 bits into .mp4), else AAC-LC (lossy: 32-bit
    and float samples into .mp4). Samples are decoded by FFmpeg and handed to the encoder
    through PyAV's resampler, which only changes the layout in memory (packed to planar,
    same rate and values)."""
    if codec in AUDIO_COPY[muxer]:
        return AudioPlan(None)
    packed = sample_format.rstrip("p")
    bits = pcm_bits(codec) or {"u8": 8, "s16": 16}.get(packed)
    if muxer == "mp4":
        if bits is not None and bits <= 24:
            fmt = "s16p" if bits <= 16 else "s32p"
            note = f"{codec} -> ALAC (lossless; MP4 players do not read PCM)"
            return AudioPlan("alac", fmt, note)
        return AudioPlan(
            "aac", "fltp",
            f"{codec} -> AAC-LC {AAC_BITS_PER_CHANNEL // 1000} kb/s per channel (lossy: MP4 has no "
            f"lossless codec players read for {sample_format} samples; .mov or .mkv keeps them)",
        )  # fmt: skip
    encoder = "pcm_s24le" if bits == 24 else _PCM_FOR_FORMAT.get(packed)
    if encoder is None:
        raise UnsupportedError(
            None, f"{codec} ({sample_format or 'no decoder'}) has no codec in {muxer}"
        )
    return AudioPlan(
        encoder, packed, f"{codec} -> {encoder} (same samples; {muxer} does not take {codec})"
    )


def probe(path: str | Path) -> VideoInfo:
    path = Path(path)
    with _open(path) as container:
        return _info(path, container)


def _info(path: Path, container) -> VideoInfo:
    if not container.streams.video:
        raise InputError(path, "no video stream")
    v = container.streams.video[0]
    if v.codec_context is None:
        raise UnsupportedError(path, "the video stream's codec is unknown to FFmpeg")
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
        has_audio=bool(container.streams.audio), timecode=_timecode(container),
        capture=capture_curve(container.metadata) or maker_note_curve(path),
    )  # fmt: skip


#: Panasonic maker note tag 0x0089 PhotoStyle (ExifTool's Panasonic.pm; Exiv2's
#: Exif.Panasonic.PhotoStyle): 17 is V-Log; these are the display styles ExifTool names
PHOTO_STYLE_VLOG = 17
PHOTO_STYLES_DISPLAY = {
    0: "Auto", 1: "Standard or Custom", 2: "Vivid", 3: "Natural", 4: "Monochrome",
    5: "Scenery", 6: "Portrait", 8: "Cinelike D", 9: "Cinelike V", 11: "L. Monochrome",
    12: "Like709", 15: "L. Monochrome D", 18: "Cinelike D2",
}  # fmt: skip
#: the EXIF block inside a Panasonic PANA (Leica: LEIC) user-data box: a JPEG APP1 marker
#: and ``Exif\0\0`` (ExifTool finds it at 0x10, 0x4068 or 0x4080, by model)
_PANA_EXIF = re.compile(rb"\xff\xd8\xff\xe1(..)Exif\x00\x00", re.S)
#: bytes of a moov or PANA box read at most (camera boxes are tens of kB)
_BOX_LIMIT = 64 << 20


def _boxes(f, start: int, end: int) -> Iterator[tuple[bytes, int, int]]:
    """(type, payload start, payload end) of the ISO/IEC 14496-12 boxes in [start, end):
    32-bit size and type, size 1 -> 64-bit size follows, size 0 -> to the end. Stops at a
    size that does not fit."""
    at = start
    while at + 8 <= end:
        f.seek(at)
        header = f.read(16)
        if len(header) < 8:
            return
        size, kind = int.from_bytes(header[:4], "big"), header[4:8]
        skip = 8
        if size == 1 and len(header) == 16:
            size, skip = int.from_bytes(header[8:16], "big"), 16
        elif size == 0:
            size = end - at
        if size < skip or at + size > end:
            return
        yield kind, at + skip, at + size
        at += size


def _box(f, start: int, end: int, *kinds: bytes) -> tuple[bytes, int, int] | None:
    return next(((k, a, b) for k, a, b in _boxes(f, start, end) if k in kinds), None)


def maker_box_exif(path: Path) -> bytes | None:
    """The EXIF of moov/udta/PANA (LEIC), the maker box Panasonic and Leica write into
    MOV/MP4, as a JPEG that holds only its APP1 segment; None when there is none."""
    try:
        with open(path, "rb") as f:
            end = f.seek(0, 2)
            moov = _box(f, 0, end, b"moov")
            udtas = [b for b in _boxes(f, moov[1], moov[2]) if b[0] == b"udta"] if moov else []
            makers = (_box(f, start, stop, b"PANA", b"LEIC") for _, start, stop in udtas)
            maker = next((m for m in makers if m), None)
            if not maker or maker[2] - maker[1] > _BOX_LIMIT:
                return None
            f.seek(maker[1])
            data = f.read(maker[2] - maker[1])
    except OSError:
        return None
    found = _PANA_EXIF.search(data)
    if not found:
        return None
    length = int.from_bytes(found.group(1), "big")  # APP1 length, its 2 bytes included
    return b"\xff\xd8" + data[found.start() + 2 : found.start() + 4 + length] + b"\xff\xd9"


def maker_note_curve(path: Path) -> CaptureCurve | None:
    """The curve the Panasonic maker note's PhotoStyle in the PANA box names, or None."""
    from lsquared.io import meta

    exif = maker_box_exif(path)
    if exif is None:
        return None
    try:
        style = meta.read_exif_data(exif, path).get("Exif.Panasonic.PhotoStyle")
    except InputError:
        return CaptureCurve(None, "the PANA box's EXIF is unreadable")
    if style is None or not style.strip().isdigit():
        return None
    code = int(style)
    source = f"Panasonic maker note (PANA box): PhotoStyle {code}"
    if code == PHOTO_STYLE_VLOG:
        return CaptureCurve("vlog", f"{source} (V-Log)")
    if code in PHOTO_STYLES_DISPLAY:
        name = PHOTO_STYLES_DISPLAY[code]
        return CaptureCurve("rec709", f"{source} ({name}, a display photo style)")
    return CaptureCurve(None, f"{source}, a style lsquared does not know")


def capture_curve(tags: dict) -> CaptureCurve | None:
    """The capture curve named by a container's tags (Panasonic's clip XML), or None when
    they name none. V-Log L is the V-Log curve over a smaller range (same decoding); HLG
    and other curves that are not a camera log map to no input, the caller says so."""
    text = tags.get(PANASONIC_CLIP_XML)
    if not text:
        return None
    try:
        root = ElementTree.fromstring(text)
    except ElementTree.ParseError:
        return CaptureCurve(None, f"Panasonic clip XML ({PANASONIC_CLIP_XML}) is malformed")
    gamma = (root.findtext(".//{*}CaptureGamma") or "").strip()  # any namespace or none
    gamut = (root.findtext(".//{*}CaptureGamut") or "").strip()
    if not gamma:
        return None
    source = f"Panasonic clip XML: CaptureGamma {gamma}"
    if gamut:
        source += f", CaptureGamut {gamut}"
    key = re.sub(r"[^A-Z0-9]", "", gamma.upper())
    if key.startswith("VLOG"):
        return CaptureCurve("vlog", source)
    if key == "LLOG":
        return CaptureCurve("llog", source)
    if "HLG" in key or "2100" in key or "HYBRID" in key or key == "PQ":
        return CaptureCurve(None, source)
    return CaptureCurve("rec709", f"{source} (a display photo style, not a log curve)")


def _timecode(container) -> str | None:
    """The start timecode: the video stream's tag, a timecode track's (QuickTime tmcd), or
    the container's."""
    for tags in [s.metadata for s in container.streams] + [container.metadata]:
        if tags.get("timecode"):
            return tags["timecode"]
    return None


def _display_rotation(path: Path) -> int:
    """Counter-clockwise degrees of the stream's display matrix; PyAV shows it only on
    decoded frames, so this decodes the first one."""
    av = _av()
    with _open(path) as container:
        try:
            frame = next(container.decode(container.streams.video[0]), None)
        except av.error.FFmpegError:
            return 0  # the grade itself reports the damage
    return int(frame.rotation) if frame is not None else 0


def shifted_timecode(timecode: str, rate, start_s: float) -> str | None:
    """``timecode`` moved by ``start_s`` seconds of frames at ``rate`` (non-drop-frame
    counting, SMPTE ST 12-1); None for a drop-frame timecode that would need moving (its
    skipped frame numbers are not handled) or a tag that is not HH:MM:SS:FF (it comes from
    the file: the output then carries no timecode rather than a wrong one)."""
    frames = round(start_s * float(rate))
    if frames == 0:
        return timecode
    fps = round(float(rate))
    parts = timecode.split(":")
    if len(parts) != 4 or not all(p.isascii() and p.isdigit() for p in parts) or fps < 1:
        return None  # drop-frame (";" or "."), or not a timecode
    hh, mm, ss, ff = (int(part) for part in parts)
    total = (((hh * 60 + mm) * 60 + ss) * fps + ff + frames) % (24 * 3600 * fps)
    ss_total, ff = divmod(total, fps)
    return f"{ss_total // 3600:02d}:{ss_total // 60 % 60:02d}:{ss_total % 60:02d}:{ff:02d}"


def _tag_name(value, default: str) -> str:
    if value is None:
        return default
    name = getattr(value, "name", None) or str(value)
    name = name.lower().replace("itu", "bt")
    return {"1": "bt709", "9": "bt2020nc", "unspecified": default, "2": default}.get(name, name)


def frame_planes(frame, bits: int) -> list[np.ndarray]:
    """Views of a decoded frame's Y', Cb and Cr code values (chroma at its own size)."""
    dtype = np.uint16 if bits > 8 else np.uint8
    arrays = []
    for plane in list(frame.planes)[:3]:
        p = np.frombuffer(plane, dtype=dtype)
        stride = plane.line_size // p.itemsize
        arrays.append(p[: plane.height * stride].reshape(plane.height, stride)[:, : plane.width])
    return arrays


def frame_to_rgb(frame, info: VideoInfo, out: np.ndarray | None = None) -> np.ndarray:
    """A decoded video frame -> float32 R'G'B' with the stream's matrix and range (into
    ``out`` when given: a clip reuses one buffer)."""
    from lsquared.io import yuv  # numba: loaded by the commands that decode frames

    planes = frame_planes(frame, info.bits)
    return yuv.yuv_to_rgb(*planes, info.bits, info.matrix, info.full_range, out)


def _in_window(item, time_base, start_s: float, duration_s: float | None) -> bool:
    """Whether a frame's or packet's presentation time lies in [start, start + duration)."""
    t = float(item.pts * time_base) if item.pts is not None else 0.0
    end = float("inf") if duration_s is None else start_s + duration_s
    return start_s - 1e-9 <= t < end - 1e-9


def read_frames(path: str | Path, start_s: float = 0.0, duration_s: float | None = None
                ) -> Iterator[tuple[np.ndarray, int]]:  # fmt: skip
    """(R'G'B' float32 frame, pts) for each frame in [start, start + duration)."""
    with ClipReader(path) as reader:
        for frame in reader.frames(start_s, duration_s):
            yield frame.rgb(), frame.frame.pts


@dataclass(frozen=True)
class EncodeTags:
    primaries: str = "bt709"
    transfer: str = "bt709"
    matrix: str = "bt709"


@dataclass(frozen=True)
class ClipFrame:
    """One decoded frame of a clip: ``pts`` and ``seconds`` are its time in the output clip
    (a trimmed clip starts at 0)."""

    frame: object  # the PyAV VideoFrame
    info: VideoInfo
    pts: int
    seconds: float

    def planes(self) -> list[np.ndarray]:
        """Views of its Y', Cb and Cr code values (:func:`frame_planes`)."""
        return frame_planes(self.frame, self.info.bits)

    def rgb(self, out: np.ndarray | None = None) -> np.ndarray:
        """Its R'G'B' float32 with the stream's matrix and range (:func:`frame_to_rgb`)."""
        return frame_to_rgb(self.frame, self.info, out)


@contextlib.contextmanager
def _read_errors(path: Path):
    """FFmpeg's errors while reading or writing a clip as one :class:`InputError`."""
    av = _av()
    try:
        yield
    except av.error.FFmpegError as e:
        raise InputError(path, f"corrupt or truncated video: {e}") from None


class ClipReader:
    """A clip opened and probed once (``info``): its frames in a time window, in file order
    with its audio packets, its frames' times (demux only) and frame-accurate seeking.
    Use as a context manager."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._container = _open(self.path)
        try:
            self.info = _info(self.path, self._container)
        except BaseException:
            self._container.close()
            raise
        self.stream = self._container.streams.video[0]
        self.stream.thread_type = "AUTO"
        self.audio = list(self._container.streams.audio)
        from lsquared.io import yuv  # numba: loaded by the commands that decode frames

        self.yuv_decode = yuv.decode_parameters(self.info.bits, self.info.matrix,
                                                self.info.full_range)  # fmt: skip

    def __enter__(self) -> ClipReader:
        return self

    def __exit__(self, *exc) -> None:
        self._container.close()

    def frames(self, start_s: float = 0.0, duration_s: float | None = None, on_audio=None
               ) -> Iterator[ClipFrame]:  # fmt: skip
        """The frames in [start, start + duration); ``on_audio(packet)`` receives each audio
        packet (with a decode time) where the file interleaves it."""
        time_base = self.stream.time_base
        shift = round(start_s / time_base) if start_s > 0 or duration_s is not None else 0
        with _read_errors(self.path):
            streams = (self.stream, *self.audio) if on_audio is not None else (self.stream,)
            for packet in self._container.demux(*streams):
                if packet.stream.type == "audio":
                    if packet.dts is not None:
                        on_audio(packet)
                    continue
                for frame in packet.decode():
                    if _in_window(frame, time_base, start_s, duration_s):
                        pts = frame.pts - shift
                        yield ClipFrame(frame, self.info, pts, float(pts * time_base))

    def frame_times(self) -> tuple[int, ...]:
        """Every frame's presentation time in display order: the video packets' sorted
        (demux only, nothing decoded)."""
        with _read_errors(self.path):
            packets = self._container.demux(self.stream)
            return tuple(sorted(p.pts for p in packets if p.pts is not None and p.size))

    def frame_at(self, pts: int) -> ClipFrame | None:
        """The frame shown at ``pts``: a seek to the keyframe at or before it, then decoding
        forward; None when no frame has that time."""
        self._container.seek(pts, stream=self.stream, backward=True, any_frame=False)
        with _read_errors(self.path):
            for frame in self._container.decode(self.stream):
                if frame.pts == pts:
                    return ClipFrame(frame, self.info, pts, float(pts * self.stream.time_base))
                if frame.pts is not None and frame.pts > pts:
                    break
        return None


class ClipWriter:
    """The output of a graded clip: tagged frames to fill (:meth:`blank`, :meth:`from_rgb`),
    encoded in order (:meth:`write`), the source's audio copied or converted as
    :func:`audio_plan` decides (:meth:`mux_audio`), and the source's time base, display
    rotation, start timecode (moved by ``start_s``) and descriptive tags. Made by
    :func:`open_writer`."""

    def __init__(
        self,
        reader: ClipReader,
        outc,
        codec: str,
        crf,
        preset: str,
        tags: EncodeTags,
        start_s: float,
        duration_s: float | None,
        plans: dict,
    ):
        av = _av()
        info, vin = reader.info, reader.stream
        self._av, self._outc, self._tags, self._src = av, outc, tags, reader.path
        self._window, self._plans = (start_s, duration_s), plans
        _, self.pix_fmt, self.bits = CODECS[codec]
        self.size = (info.width, info.height)
        vout = outc.add_stream(CODECS[codec][0], rate=vin.average_rate or vin.guessed_rate)
        vout.width, vout.height, vout.pix_fmt = info.width, info.height, self.pix_fmt
        vout.time_base = vin.time_base
        vout.codec_context.time_base = vin.time_base
        cc = vout.codec_context
        cc.color_primaries = _enum(av, "ColorPrimaries", tags.primaries)
        cc.color_trc = _enum(av, "ColorTrc", tags.transfer)
        cc.colorspace = _enum(av, "Colorspace", tags.matrix)
        cc.color_range = _enum(av, "ColorRange", "limited")
        vout.options = _encoder_options(codec, crf, preset)
        rotation = _display_rotation(reader.path)
        if rotation:  # the display matrix, kept (before the header is written)
            vout.set_display_rotation(rotation)
        _copy_tags(reader._container.metadata, outc.metadata)
        _copy_tags(vin.metadata, vout.metadata)
        timecode = info.timecode and shifted_timecode(info.timecode, info.rate, start_s)
        if timecode:  # the muxer writes it as a timecode track (mov, mp4) or tag (mkv)
            vout.metadata["timecode"] = timecode
        self._vout = vout
        self._audio = {a.index: _add_audio_stream(outc, a, plans[a.index]) for a in reader.audio}
        from lsquared.io import yuv  # numba: loaded by the commands that encode frames

        self.yuv_encode = yuv.encode_parameters(self.bits, tags.matrix)

    def blank(self, pts: int):
        """An empty tagged frame at ``pts`` to fill through :meth:`planes`."""
        return _tagged_frame(self._av, *self.size, self.pix_fmt, self._tags, pts)

    def planes(self, frame) -> list[np.ndarray]:
        return frame_planes(frame, self.bits)

    def from_rgb(self, rgb: np.ndarray, pts: int):
        """A tagged frame at ``pts`` from R'G'B' float (:func:`rgb_frame`)."""
        return rgb_frame(self._av, rgb, self.pix_fmt, self.bits, self._tags, pts)

    def write(self, frame) -> None:
        with _read_errors(self._src):
            self._outc.mux(self._vout.encode(frame))

    def mux_audio(self, packet) -> None:
        index = packet.stream.index
        _mux_audio(self._outc, packet, self._audio[index], self._plans[index], *self._window)

    def finish(self) -> None:
        """Flush the video encoder and the audio re-encoders."""
        with _read_errors(self._src):
            self._outc.mux(self._vout.encode(None))
            for index, plan in self._plans.items():
                if plan.encoder is not None:
                    self._outc.mux(self._audio[index].encode(None))


@contextlib.contextmanager
def open_writer(reader: ClipReader, out: str | Path, codec: str = "h265", crf: int | None = None,
                preset: str = "medium", tags: EncodeTags = EncodeTags(), start_s: float = 0.0,
                duration_s: float | None = None) -> Iterator[ClipWriter]:  # fmt: skip
    """A :class:`ClipWriter` for ``reader``'s clip into ``out`` (atomically: renamed into
    place when the block ends without an error, after the encoders are flushed)."""
    av = _av()
    out = Path(out)
    check_output(out, codec)
    heap.fill_fresh_memory()  # x264's lookahead reads heap it never wrote (determinism)
    heap.reuse_freed_buffers()
    muxer = CONTAINERS[out.suffix.lower()]
    plans = {a.index: _audio_plan_of(a, muxer, out) for a in reader.audio}
    with (
        atomic_output(out, [reader.path]) as tmp,
        av.open(str(tmp), "w", format=muxer) as outc,
    ):
        writer = ClipWriter(reader, outc, codec, crf, preset, tags, start_s, duration_s, plans)
        yield writer
        writer.finish()


def _encoder_options(codec: str, crf: int | None, preset: str) -> dict[str, str]:
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
    return options


#: tags not carried over: the muxer writes its own brands and encoder, and the camera's
#: capture description (Panasonic's clip XML names V-Log) is no longer true of a graded clip
_TAGS_NOT_KEPT = ("major_brand", "minor_version", "compatible_brands", "encoder", "timecode",
                  "duration", PANASONIC_CLIP_XML.lower())  # fmt: skip


def _copy_tags(source: dict, target: dict) -> None:
    """The descriptive tags (``creation_time``, title, language, location ...) from ``source``;
    the muxer writes those its format has a place for."""
    for key, value in source.items():
        if key.lower() not in _TAGS_NOT_KEPT:
            target[key] = value


def _audio_plan_of(stream, muxer: str, out: Path) -> AudioPlan:
    """:func:`audio_plan` for a stream, its note raised as a warning naming the output."""
    cc = stream.codec_context
    try:
        plan = audio_plan(cc.name, cc.format.name if cc.format else "", muxer)
    except UnsupportedError as e:  # refused: nothing it could be kept or converted as
        raise UnsupportedError(out, f"audio stream {stream.index}: {e.problem}") from None
    if plan.note:
        warnings.warn(f"{out}: audio stream {stream.index}: {plan.note}", LsqWarning, stacklevel=3)
    return plan


def _add_audio_stream(outc, stream, plan: AudioPlan):
    """The output stream for an input audio stream: its template, or an encoder at the
    same rate and channel layout."""
    if plan.encoder is None:
        target = outc.add_stream_from_template(stream)
    else:
        cc = stream.codec_context
        target = outc.add_stream(plan.encoder, rate=cc.sample_rate, layout=cc.layout)
        target.codec_context.format = plan.sample_format
        target.time_base = Fraction(1, cc.sample_rate)
        if plan.encoder == "aac":
            target.codec_context.bit_rate = AAC_BITS_PER_CHANNEL * cc.channels
    _copy_tags(stream.metadata, target.metadata)
    return target


def _mux_audio(outc, packet, target, plan: AudioPlan, start_s: float, duration_s) -> None:
    """Copy or re-encode one audio packet; a trim keeps the packets (frames) in the window,
    moved to start at 0, as the video."""
    trimmed = start_s > 0 or duration_s is not None
    time_base = packet.stream.time_base
    if plan.encoder is None:
        if trimmed:
            if not _in_window(packet, time_base, start_s, duration_s):
                return
            shift = round(start_s / time_base)
            packet.pts -= shift
            packet.dts -= shift
        packet.stream = target
        outc.mux(packet)
        return
    for frame in packet.decode():
        if frame.pts is None or (trimmed and not _in_window(frame, time_base, start_s, duration_s)):
            continue
        frame.pts = round((frame.pts * time_base - Fraction(start_s)) * frame.sample_rate)
        frame.time_base = Fraction(1, frame.sample_rate)
        outc.mux(target.encode(frame))


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


def _tagged_frame(av, width: int, height: int, pix_fmt: str, tags: EncodeTags, pts):
    """An empty PyAV frame for the encoder, carrying the colour tags (some encoders, ProRes,
    write the frame's, not the stream's, into their bitstream); its planes are filled in
    place, limited range."""
    frame = av.VideoFrame(width, height, pix_fmt)
    frame.color_primaries = _enum(av, "ColorPrimaries", tags.primaries)
    frame.color_trc = _enum(av, "ColorTrc", tags.transfer)
    frame.colorspace = _enum(av, "Colorspace", tags.matrix)
    frame.color_range = _enum(av, "ColorRange", "limited")
    frame.pts = pts
    return frame


def rgb_frame(av, rgb: np.ndarray, pix_fmt: str, bits: int, tags: EncodeTags, pts):
    """A tagged PyAV frame in ``pix_fmt`` from R'G'B' float, the tags' matrix, written
    straight into the frame's planes."""
    from lsquared.io import yuv

    frame = _tagged_frame(av, rgb.shape[1], rgb.shape[0], pix_fmt, tags, pts)
    yuv.rgb_to_yuv_into(rgb, *frame_planes(frame, bits), bits, tags.matrix)
    return frame
