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
