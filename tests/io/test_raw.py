"""io.raw: the OpenMP thread cap that makes a batch worker one core."""

import ctypes
import threading
from pathlib import Path

import numpy as np
import pytest

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


def _smooth_cfa(height: int, width: int) -> np.ndarray:
    yy, xx = np.mgrid[0:height, 0:width]
    return 0.45 + 0.3 * np.sin(xx / 5.0) * np.cos(yy / 7.0)


def test_menon_demosaics_the_visible_cfa_scaled_as_libraw_scales_it(tmp_path):
    """Asked for MENON, a Bayer DNG is demosaiced by the given function from its samples
    minus black over white minus black (clipped to [0, 1]) over the as-shot neutral, and the
    result is multiplied by the neutral and clipped."""
    from lsquared.kernels.demosaic import menon2007
    from tests import dngfiles

    black, white = 512, 16383
    neutral = np.array([0.5, 1.0, 0.7])
    sites = np.tile(neutral[[[0, 1], [1, 2]]], (32, 48))  # a grey scene as the sensor sees it
    level = _smooth_cfa(64, 96) * sites
    level[10, 20] = 1.2  # above white: clipped before demosaicing, as LibRaw clips
    data = np.rint(np.clip(black + level * (white - black), 0, 65535)).astype(np.uint16)
    path = dngfiles.write_dng(tmp_path / "m.dng", data, black, white, neutral=neutral)
    seen = []

    def spy(cfa, pattern):
        seen.append((cfa.copy(), np.asarray(pattern).tolist()))
        return menon2007(cfa, pattern)

    pixels = raw.read_raw(path, "MENON", spy).pixels
    cfa, pattern = seen[0]
    assert pattern == [[0, 1], [1, 2]]  # the file's RGGB
    balanced = np.clip((data.astype(np.float64) - black) / (white - black), 0, 1)
    balanced /= sites
    np.testing.assert_allclose(cfa, balanced, rtol=1e-6)
    expected = np.clip(menon2007(balanced, pattern) * neutral, 0, 1)
    np.testing.assert_allclose(pixels, expected, atol=1e-5)
    ahd = raw.read_raw(path, "AHD").pixels
    assert np.abs(pixels - ahd)[8:-8, 8:-8].mean() < 2e-3  # the same image, another algorithm


@pytest.mark.parametrize(
    ("byteorder", "active_area"), [("<", None), (">", None), ("<", (2, 4, 62, 92))]
)
def test_a_plain_bayer_dng_is_read_from_the_file_as_libraw_reads_it(
    tmp_path, byteorder, active_area
):
    """An uncompressed 16-bit Bayer DNG's mosaic comes from the file without LibRaw's unpack:
    its samples, per-phase black (a 2 x 2 BlackLevel pattern), scale and CFA pattern equal
    what LibRaw gives for the file, in either byte order and with an ActiveArea crop."""
    from lsquared.io import dngraw
    from tests import dngfiles

    rng = np.random.default_rng(7)
    data = rng.integers(400, 16000, (64, 96), dtype=np.uint16)
    path = dngfiles.write_dng(tmp_path / "p.dng", data, (500, 510, 505, 520), 16000,
                              active_area=active_area, black_repeat=(2, 2),
                              byteorder=byteorder)  # fmt: skip
    assert dngraw.plain_cfa_samples(dngraw.read_info(path)) is not None  # read directly
    with raw.open_raw(path) as rawfile:
        ours = rawfile.mosaic()
        libraw = rawfile._mosaic(rawfile._bayer_pattern(), copy=True)
    assert ours is not None and ours.samples.flags.c_contiguous
    assert ours.samples.dtype == np.uint16 and ours.samples.dtype.isnative
    np.testing.assert_array_equal(ours.samples, libraw.samples)
    for name in ("pattern", "black", "scale", "neutral"):
        np.testing.assert_array_equal(getattr(ours, name), getattr(libraw, name), err_msg=name)
    assert ours.turns == libraw.turns


def test_a_dng_whose_stage_2_is_not_its_stored_values_gives_stage_2(tmp_path):
    """Stored values that are not stage 2's (here scaled by GainMaps in OpcodeList2) are not
    the mosaic: it is the stage-2 image in float32, equal within LibRaw's quantisation to
    the samples LibRaw is given back in its levels for its own demosaics."""
    from lsquared.io import dngraw
    from tests import dngfiles

    rng = np.random.default_rng(8)
    data = rng.integers(600, 9000, (32, 48), dtype=np.uint16)
    gains = np.linspace(1.0, 1.8, 6, dtype=np.float32).reshape(2, 3)
    mapped = dngfiles.write_dng(tmp_path / "g.dng", data, 512, 16383, opcode_lists={
        2: dngfiles.opcode_list(dngfiles.opcode(9, dngfiles.gain_map(
            dngfiles.area(0, 0, 32, 48), gains)))})  # fmt: skip
    assert dngraw.plain_cfa_samples(dngraw.read_info(mapped)) is None
    with raw.open_raw(mapped) as rawfile:
        ours = rawfile.mosaic()
        libraw = rawfile._mosaic(rawfile._bayer_pattern(), copy=True)
    assert ours.samples.dtype == np.float32
    np.testing.assert_array_equal(ours.pattern, libraw.pattern)
    expected = (libraw.samples - libraw.black[0, 0]) * libraw.scale[0, 0]
    np.testing.assert_allclose(ours.samples, expected, atol=0.51 * libraw.scale[0, 0])
    assert ours.samples.max() > 0.5  # the gains scaled it up


def test_menon_leaves_a_linear_dng_to_libraw(tmp_path):
    """A linear (already demosaiced) DNG is not demosaiced again: MENON gives LibRaw's."""
    from tests import dngfiles

    rgb = np.stack([_smooth_cfa(40, 48) * f for f in (0.9, 1.0, 0.7)], axis=-1)
    path = dngfiles.write_dng(tmp_path / "l.dng", np.rint(rgb * 65535).astype(np.uint16))

    def never(cfa, pattern):
        raise AssertionError("a linear DNG was demosaiced")

    np.testing.assert_array_equal(
        raw.read_raw(path, "MENON", never).pixels, raw.read_raw(path, "AHD").pixels
    )


@pytest.mark.parametrize("orientation", ["3", "6", "8"])
def test_menon_output_is_turned_as_libraw_turns_its_own(tmp_path, orientation):
    """EXIF orientations 3, 6 and 8 (LibRaw's flip 3, 6 and 5): the MENON decode has LibRaw's
    shape and content in the same place as LibRaw's AHD decode."""
    from lsquared.io.meta import add_exif
    from lsquared.kernels.demosaic import menon2007
    from lsquared.simulate import simulate

    truth = simulate(tmp_path / "r.dng", width=300, height=200)
    add_exif(truth.path, {"Exif.Image.Orientation": orientation})
    ahd = raw.read_raw(truth.path, "AHD").pixels
    menon = raw.read_raw(truth.path, "MENON", menon2007).pixels
    assert menon.shape == ahd.shape
    assert np.abs(menon - ahd)[8:-8, 8:-8].mean() < 3e-3


def test_menon_on_a_truncated_raw_is_an_input_error(tmp_path, sim_dng):
    from lsquared.errors import InputError
    from lsquared.kernels.demosaic import menon2007

    half = tmp_path / "half.dng"
    data = sim_dng.path.read_bytes()
    half.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError, match="truncated"):
        raw.read_raw(half, "MENON", menon2007)
