"""Audio through a grade: every PCM format PyAV writes, mono to 5.1, into every container
``lsq grade`` offers. The oracle is the system's ``ffmpeg`` command (its own FFmpeg build,
not the one inside PyAV), decoding the source and the graded clip to 64-bit floats: lossless
paths must give the same samples, the lossy one (AAC) each channel's tone and level."""

from __future__ import annotations

import shutil
import subprocess
import warnings

import numpy as np
import pytest

from lsquared import engine
from lsquared.errors import LsqWarning
from lsquared.io import video
from lsquared.pipeline.recipe import Recipe
from tests.conftest import run_lsq, run_lsq_here

av = pytest.importorskip("av")
pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed")

RATE = 48_000
LAYOUTS = {1: "mono", 2: "stereo", 6: "5.1"}
PCM = ("pcm_s16le", "pcm_s24le", "pcm_s32le", "pcm_f32le")
#: the other PCM encoders FFmpeg has for .mov (stereo only)
OTHER_PCM = ("pcm_s16be", "pcm_s24be", "pcm_s32be", "pcm_f32be", "pcm_u8", "pcm_f64le")
SUFFIXES = tuple(video.CONTAINERS)
CACHE = engine.ProcessorCache()


def _hz(channels: int) -> list[float]:
    """Channel k's tone: 500 (k + 1) Hz (a swapped channel shows), 100 Hz on 5.1's LFE
    (the fourth channel, band-limited by AAC)."""
    return [100.0 if (channels, k) == (6, 3) else 500.0 * (k + 1) for k in range(channels)]


def _tones(channels: int, samples: int) -> np.ndarray:
    """A sine of amplitude 0.5 per channel at :func:`_hz`."""
    t = np.arange(samples) / RATE
    return np.stack([0.5 * np.sin(2 * np.pi * f * t) for f in _hz(channels)])


def _clip(path, codec: str, channels: int, frames: int = 3):
    """A 64x36 H.264 clip of ``frames`` frames at 24 fps with a PCM track as long."""
    with av.open(str(path), "w") as c:
        v = c.add_stream("libx264", rate=24)
        v.width, v.height, v.pix_fmt = 64, 36, "yuv420p"
        a = c.add_stream(codec, rate=RATE, layout=LAYOUTS[channels])
        for i in range(frames):
            f = av.VideoFrame.from_ndarray(np.full((36, 64, 3), 60 + 10 * i, np.uint8), "rgb24")
            f.pts = i
            c.mux(v.encode(f))
        c.mux(v.encode(None))
        fmt = a.codec_context.format.name
        x = _tones(channels, RATE * frames // 24)
        dtype = {"u8": np.uint8, "s16": np.int16, "s32": np.int32, "flt": np.float32,
                 "dbl": np.float64}[fmt]  # fmt: skip
        if dtype is np.uint8:
            x = np.round(x * 127 + 128)
        elif dtype not in (np.float32, np.float64):
            x = np.round(x * np.iinfo(dtype).max)
        frame = av.AudioFrame.from_ndarray(
            x.astype(dtype).T.reshape(1, -1), format=fmt, layout=LAYOUTS[channels]
        )
        frame.sample_rate, frame.pts = RATE, 0
        c.mux(a.encode(frame))
        c.mux(a.encode(None))
    return path


def _samples(path, channels: int) -> np.ndarray:
    """(samples, channels) float64, as the ffmpeg command decodes the first audio stream."""
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(path), "-map", "0:a:0", "-f", "f64le", "-"],
        capture_output=True, check=True,
    ).stdout  # fmt: skip
    return np.frombuffer(raw, np.float64).reshape(-1, channels)


def _audio_codec(path) -> tuple[str, str]:
    """(codec, decoded sample format) of the first audio stream."""
    with av.open(str(path)) as c:
        cc = c.streams.audio[0].codec_context
        return cc.name, cc.format.name


def _grade(src, out, **kw):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", LsqWarning)
        engine.grade_file(src, out, Recipe(), "vlog", "h264", preset="ultrafast", cache=CACHE, **kw)
    return [str(w.message) for w in caught if issubclass(w.category, LsqWarning)]


def _dominant_hz(x: np.ndarray) -> float:
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x))))
    return float(np.argmax(spectrum) * RATE / len(x))


CASES = [(c, n, s) for c in PCM for n in LAYOUTS for s in SUFFIXES] + [
    (c, 2, s) for c in OTHER_PCM for s in SUFFIXES
]


@pytest.mark.parametrize(("codec", "channels", "suffix"), CASES)
def test_pcm_audio_is_copied_or_converted_never_reinterpreted(tmp_path, codec, channels, suffix):
    """Into .mov and .mkv every sample is kept (copied, or re-encoded as little-endian PCM of
    the same format when Matroska has no such codec); into .mp4, integer PCM up to 24 bits
    becomes ALAC with the same samples, 32-bit and float PCM AAC-LC: same tone per channel
    (within one FFT bin) and level (RMS within 3 %). Every conversion is said in a warning."""
    src = _clip(tmp_path / f"src-{codec}.mov", codec, channels)
    out = tmp_path / f"graded{suffix}"
    notes = _grade(src, out)
    expected, got = _samples(src, channels), _samples(out, channels)
    plan = video.audio_plan(*_audio_codec(src), video.CONTAINERS[suffix])
    written = _audio_codec(out)[0]
    if plan.encoder is None:
        assert written == codec and not notes
    else:
        assert written == plan.encoder and len(notes) == 1 and codec in notes[0]
    if suffix != ".mp4" or video.pcm_bits(codec) in (8, 16, 24):
        assert np.array_equal(got, expected)
        return
    assert "lossy" in notes[0]
    n = len(expected)
    assert len(got) >= n
    for k, hz in enumerate(_hz(channels)):
        assert abs(_dominant_hz(got[:n, k]) - hz) <= RATE / n
        rms_in, rms_out = np.sqrt(np.mean(expected[:, k] ** 2)), np.sqrt(np.mean(got[:n, k] ** 2))
        assert abs(rms_out / rms_in - 1) < 0.03


def test_trimmed_clip_keeps_a_contiguous_run_of_the_source_samples(tmp_path):
    """``--start`` with 24-bit PCM into .mp4 (re-encoded to ALAC): the output audio is an
    exact run of the source's samples starting at or before the trim point, and as long as
    the kept video within a packet."""
    src = _clip(tmp_path / "src.mov", "pcm_s24le", 2, frames=12)
    out = tmp_path / "part.mp4"
    _grade(src, out, start_s=4 / 24, duration_s=6 / 24)
    source, got = _samples(src, 2), _samples(out, 2)
    starts = [k for k in range(len(source) - len(got) + 1)
              if np.array_equal(source[k : k + len(got)], got)]  # fmt: skip
    assert starts and starts[0] <= RATE * 4 // 24
    assert abs(len(got) - RATE * 6 // 24) <= 4096


def test_cli_says_how_the_audio_was_converted(tmp_path):
    src = _clip(tmp_path / "src.mov", "pcm_s24le", 2)
    out = tmp_path / "graded.mp4"
    result = run_lsq_here("grade", src, "-o", out, "--input", "vlog", "--codec", "h264")
    assert result.returncode == 0, result.stderr
    warned = [line for line in result.stderr.splitlines() if line.startswith("lsq: warning:")]
    assert len(warned) == 1 and "pcm_s24le -> ALAC (lossless" in warned[0]
    assert np.array_equal(_samples(out, 2), _samples(src, 2))


def test_batch_grades_clips_through_the_same_audio_path(tmp_path):
    """``lsq batch --videos h264`` writes .mp4 clips: the 24-bit PCM track arrives as ALAC
    with the source's samples."""
    cards = tmp_path / "card"
    cards.mkdir()
    src = _clip(cards / "P1000001.MOV", "pcm_s24le", 2)
    outdir = tmp_path / "out"
    result = run_lsq("batch", cards, "-o", outdir, "--videos", "h264", "--input", "vlog")
    assert result.returncode == 0, result.stderr
    (graded,) = list(outdir.rglob("*.mp4"))
    assert _audio_codec(graded)[0] == "alac"
    assert np.array_equal(_samples(graded, 2), _samples(src, 2))


@pytest.mark.parametrize(
    ("codec", "fmt", "muxer", "encoder", "sample_format"),
    [
        ("aac", "fltp", "mp4", None, None),
        ("pcm_s24le", "s32", "mov", None, None),
        ("pcm_s24le", "s32", "mp4", "alac", "s32p"),
        ("pcm_s16be", "s16", "mp4", "alac", "s16p"),
        ("pcm_s32le", "s32", "mp4", "aac", "fltp"),
        ("pcm_f32be", "flt", "matroska", "pcm_f32le", "flt"),
        ("vorbis", "fltp", "mov", "pcm_f32le", "flt"),
        ("flac", "s32", "mov", "pcm_s32le", "s32"),
    ],
)
def test_audio_plan_per_codec_and_container(codec, fmt, muxer, encoder, sample_format):
    plan = video.audio_plan(codec, fmt, muxer)
    assert (plan.encoder, plan.sample_format) == (encoder, sample_format)
    assert (plan.note is None) == (encoder is None)


def test_audio_without_a_decoder_is_refused_in_one_line():
    """A codec FFmpeg cannot decode and the container cannot take is an error, not a guess."""
    with pytest.raises(video.UnsupportedError, match="no decoder"):
        video.audio_plan("some_codec", "", "mov")
