"""``lsq develop --demosaic menon`` to a 16-bit TIFF streams: its peak memory grows with the
image by about what the output (6 bytes a pixel) and the raw samples (LibRaw's and the
mosaic's copy, 2 + 2) need, not by whole-image float copies (camera RGB in float32 alone is
12 bytes a pixel). Measured as the peak resident set of the command at two sizes (wait4),
so the interpreter and libraries cancel out; no timings."""

from __future__ import annotations

import numpy as np

from tests import dngfiles
from tests.conftest import lsq_peak_bytes

#: bytes per pixel of the peak's growth allowed: output 6 + samples 2 + LibRaw's 2, with room
BYTES_PER_PIXEL = 14
#: and at least the output's 6, less room: else something else (numba compiling) set the peak
LEAST_BYTES_PER_PIXEL = 4


def _peak_bytes(dng, out) -> int:
    return lsq_peak_bytes("develop", dng, "-o", out, "--format", "tif16", "--demosaic", "menon",
                          "--lens", "none")  # fmt: skip


def test_peak_memory_grows_like_the_output_not_like_float_copies(tmp_path):
    rng = np.random.default_rng(2)
    peaks, pixels = [], []
    # the first run may compile (its peak is then the compiler's), at the size of the second
    # so that the kernels it compiles are the ones the others load
    for i, (width, height) in enumerate(((1200, 800), (1200, 800), (3600, 2400))):
        data = (rng.random((height, width)) * 60000).astype(np.uint16)
        dng = dngfiles.write_dng(tmp_path / f"{i}.dng", data)
        peaks.append(_peak_bytes(dng, tmp_path / f"{i}.tif"))
        pixels.append(width * height)
    per_pixel = (peaks[2] - peaks[1]) / (pixels[2] - pixels[1])
    print(f"peak {peaks[1] / 1e6:.0f} MB -> {peaks[2] / 1e6:.0f} MB: {per_pixel:.1f} bytes/pixel")
    assert LEAST_BYTES_PER_PIXEL <= per_pixel <= BYTES_PER_PIXEL
