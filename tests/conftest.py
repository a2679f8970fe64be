"""Shared fixtures: the real samples (skipped when LSQ_SAMPLES is unset), simulated DNGs,
the CLI run as a user runs it, and file hashes to prove inputs stay unchanged."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.fixture(autouse=True, scope="session")
def _bake_cache_in_a_temporary_folder(tmp_path_factory):
    """The fast path's on-disk bake cache goes to a folder of this test session, not the
    user's ~/.cache (subprocesses inherit the variable)."""
    previous = os.environ.get("LSQ_BAKE_CACHE")
    os.environ["LSQ_BAKE_CACHE"] = str(tmp_path_factory.mktemp("bake-cache"))
    yield
    if previous is None:
        os.environ.pop("LSQ_BAKE_CACHE", None)
    else:
        os.environ["LSQ_BAKE_CACHE"] = previous


def samples_dir() -> Path | None:
    value = os.environ.get("LSQ_SAMPLES")
    return Path(value) if value and Path(value).is_dir() else None


@pytest.fixture
def samples() -> Path:
    folder = samples_dir()
    if folder is None:
        pytest.skip("LSQ_SAMPLES is not set (real sample files)")
    return folder


def sample_raws() -> list[Path]:
    """Every developable RAW under $LSQ_SAMPLES/raw (header-only files are elsewhere)."""
    folder = samples_dir()
    if folder is None:
        return []
    return sorted(p for p in (folder / "raw").rglob("*") if p.is_file())


def sha256(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture(scope="session")
def sim_dng(tmp_path_factory):
    """A simulated D65 chart DNG (600 x 400) and its truth, shared by a session."""
    from lsquared.simulate import simulate

    path = tmp_path_factory.mktemp("sim") / "chart.dng"
    return simulate(path, width=600, height=400)


def run_lsq(
    *args: str, cwd: Path | None = None, timeout: float = 300
) -> subprocess.CompletedProcess:
    """Run ``lsq`` as a user would, in a separate process."""
    return subprocess.run(
        [sys.executable, "-m", "lsquared", *map(str, args)],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=timeout,
        check=False,
    )


#: runs argv[1:] and prints its peak resident set in bytes (wait4), from a small process: a
#: child forked from a large one (a pytest worker) starts its maximum with its parent's
PEAK_RUNNER = """
import os, subprocess, sys, tempfile
with tempfile.TemporaryFile() as err:
    child = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=err)
    _, status, usage = os.wait4(child.pid, 0)
    err.seek(0)
    sys.stderr.write(err.read().decode(errors="replace"))
print(usage.ru_maxrss * 1024)
sys.exit(os.waitstatus_to_exitcode(status))
"""


def lsq_peak_bytes(*args, env: dict | None = None) -> int:
    """The peak resident set of ``lsq ARGS`` (which must succeed), in bytes."""
    command = [sys.executable, "-c", PEAK_RUNNER, sys.executable, "-m", "lsquared"]
    result = subprocess.run([*command, *map(str, args)], capture_output=True, text=True,
                            env=env, timeout=900, check=False)  # fmt: skip
    assert result.returncode == 0, result.stderr
    return int(result.stdout.strip().splitlines()[-1])


def run_lsq_here(*args) -> subprocess.CompletedProcess:
    """``lsq`` run in this process (Typer's test runner): the same exit code, stdout and
    stderr as :func:`run_lsq` without a new interpreter per run (for matrices of runs)."""
    from typer.testing import CliRunner

    from lsquared.cli.app import app

    result = CliRunner().invoke(app, [str(a) for a in args])
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)


def make_clip(
    path, frames=12, w=320, h=180, codec="libx265", pix_fmt="yuv420p10le", bits=10, audio=True,
    rotation=0, timecode=None,
):  # fmt: skip
    """A clip the tests make: gradients and a moving pattern, V-Log-like code values,
    tagged BT.709 limited, with a stereo AAC track (and a display rotation and start
    timecode when asked)."""
    import av
    import numpy as np

    from lsquared.io import video

    out = av.open(str(path), "w")
    v = out.add_stream(codec, rate=24)
    v.width, v.height, v.pix_fmt = w, h, pix_fmt
    v.codec_context.colorspace = av.video.reformatter.Colorspace.ITU709
    if codec == "libx265":
        v.options = {"x265-params": "log-level=error"}
    if rotation:
        v.set_display_rotation(rotation)
    if timecode:
        v.metadata["timecode"] = timecode
    a = out.add_stream("aac", rate=48000) if audio else None
    yy, xx = np.mgrid[0:h, 0:w]
    for i in range(frames):
        rgb = (
            np.stack([(xx / w + i * 0.02) % 1, yy / h, 0.5 + 0.3 * np.sin(xx / 20 + i)], -1) * 0.8
            + 0.1
        )
        frame = video.rgb_frame(av, rgb, pix_fmt, bits, video.EncodeTags(), i)
        for p in v.encode(frame):
            out.mux(p)
    for p in v.encode(None):
        out.mux(p)
    if a:
        mux_stereo_tone(out, a, int(frames / 24 * 48000 / 1024) + 2, period=10)
    out.close()
    return path


def mux_stereo_tone(container, stream, chunks: int, period: float) -> None:
    """``chunks`` blocks of 1024 samples of a quiet stereo sine (48 kHz), encoded on
    ``stream`` and muxed, then the encoder flushed."""
    import av
    import numpy as np

    for k in range(chunks):
        tone = (np.sin((np.arange(1024) + 1024 * k) / period) * 0.1).astype(np.float32)
        frame = av.AudioFrame.from_ndarray(np.stack([tone, tone]), format="fltp", layout="stereo")
        frame.sample_rate, frame.pts = 48000, k * 1024
        container.mux(stream.encode(frame))
    container.mux(stream.encode(None))
