"""``lsq develop --demosaic menon`` to a 16-bit TIFF streams: its peak memory grows with the
image by about what the output (6 bytes a pixel) and the raw samples (LibRaw's and the
mosaic's copy, 2 + 2) need, not by whole-image float copies (camera RGB in float32 alone is
12 bytes a pixel). Measured as the peak resident set of the command at two sizes (wait4),
so the interpreter and libraries cancel out; no timings."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np

from tests import dngfiles

#: bytes per pixel of the peak's growth allowed: output 6 + samples 2 + LibRaw's 2, with room
BYTES_PER_PIXEL = 14
#: and at least the output's 6, less room: else something else (numba compiling) set the peak
LEAST_BYTES_PER_PIXEL = 4


def _peak_bytes(dng, out, cache) -> int:
    command = [sys.executable, "-m", "lsquared", "develop", str(dng), "-o", str(out),
               "--format", "tif16", "--demosaic", "menon", "--lens", "none"]  # fmt: skip
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache))
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    _, status, usage = os.wait4(process.pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, process.stderr.read()
    return usage.ru_maxrss * 1024  # kilobytes on Linux


def test_peak_memory_grows_like_the_output_not_like_float_copies(tmp_path):
    rng = np.random.default_rng(2)
    peaks, pixels = [], []
    # the first run compiles (its peak is the compiler's) into a numba cache of this test's
    # own, at the size of the second, so the others load those kernels: in the shared cache
    # another test process saving the same function's index at the same time can drop them
    for i, (width, height) in enumerate(((1200, 800), (1200, 800), (3600, 2400))):
        data = (rng.random((height, width)) * 60000).astype(np.uint16)
        dng = dngfiles.write_dng(tmp_path / f"{i}.dng", data)
        peaks.append(_peak_bytes(dng, tmp_path / f"{i}.tif", tmp_path / "numba-cache"))
        pixels.append(width * height)
    per_pixel = (peaks[2] - peaks[1]) / (pixels[2] - pixels[1])
    print(f"peak {peaks[1] / 1e6:.0f} MB -> {peaks[2] / 1e6:.0f} MB: {per_pixel:.1f} bytes/pixel")
    assert LEAST_BYTES_PER_PIXEL <= per_pixel <= BYTES_PER_PIXEL
