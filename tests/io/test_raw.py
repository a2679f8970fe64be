"""io.raw: the OpenMP thread cap that makes a batch worker one core."""

import ctypes
import threading
from pathlib import Path

import numpy as np

from lsquared.io import raw


def _openmp_max_threads() -> list[int]:
    maps = Path("/proc/self/maps").read_text().splitlines()
    libraries = {line.split()[-1] for line in maps if "libgomp" in line}
    return [ctypes.CDLL(lib).omp_get_max_threads() for lib in libraries]


def test_decode_threads_cap_reaches_libgomp_in_the_decoding_thread(sim_dng):
    """LibRaw's OpenMP reads the calling thread's setting: the cap must be applied in the
    thread that decodes (the engine decodes in a helper thread), and not change pixels."""
    with raw.open_raw(sim_dng.path) as rawfile:
        default = rawfile.decode().pixels
    seen: list[list[int]] = []

    def decode_capped() -> None:
        with raw.open_raw(sim_dng.path) as rawfile:
            seen.append(rawfile.decode().pixels)
        seen.append(_openmp_max_threads())

    raw.limit_decode_threads(1)
    try:
        thread = threading.Thread(target=decode_capped)
        thread.start()
        thread.join()
    finally:
        raw.limit_decode_threads(None)
    capped, threads = seen
    assert threads and set(threads) == {1}  # libgomp loaded (rawpy's wheel) and capped
    np.testing.assert_array_equal(capped, default)


def test_white_level_is_the_files_not_the_brightest_pixel(tmp_path):
    """A DNG whose brightest samples sit at 0.8 of the white level decodes to 0.8: LibRaw's
    ``adjust_maximum_thr`` (by default 0.75: "maximum" from the data when the data reach 75 %
    of it) would map them to 1.0."""
    from tests import dngfiles

    black, white = 512, 16383
    data = np.full((64, 96), black + 0.8 * (white - black))
    data[:, :40] = black + 0.3 * (white - black)  # other content does not change it
    path = dngfiles.write_dng(tmp_path / "w.dng", np.rint(data).astype(np.uint16), black, white)
    pixels = raw.read_raw(path).pixels
    np.testing.assert_allclose(np.median(pixels[8:-8, 48:-8], axis=(0, 1)), 0.8, rtol=2e-3)
    np.testing.assert_allclose(np.median(pixels[8:-8, 8:32], axis=(0, 1)), 0.3, rtol=2e-3)
