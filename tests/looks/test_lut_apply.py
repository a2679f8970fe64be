"""``lsq lut apply`` keeps the data: float stays float (out-of-range values kept, as in
OpenColorIO), integers keep their bit depth, ``--depth`` overrides."""

from __future__ import annotations

import numpy as np
import pytest

from lsquared.looks import cube
from lsquared.looks.lut import Lut
from tests.conftest import run_lsq, sha256

tifffile = pytest.importorskip("tifffile")
RNG = np.random.default_rng(14)


@pytest.fixture
def lut_file(tmp_path):
    """A 9^3 .cube whose values reach outside [0, 1], as a grading LUT's can."""
    path = tmp_path / "l.cube"
    path.write_text(cube.dumps(Lut(table=RNG.uniform(-0.2, 1.2, (9, 9, 9, 3)))))
    return path


def _apply(*args) -> None:
    result = run_lsq("lut", "apply", *args)
    assert result.returncode == 0, result.stderr


def test_float_tiff_with_out_of_range_values_equals_opencolorio(tmp_path, lut_file):
    ocio = pytest.importorskip("PyOpenColorIO")
    image = RNG.uniform(-0.1, 1.1, (64, 48, 3)).astype(np.float32)
    tifffile.imwrite(tmp_path / "in.tif", image, photometric="rgb")
    _apply(tmp_path / "in.tif", "--lut", lut_file, "-o", tmp_path / "out.tif")
    ours = tifffile.imread(tmp_path / "out.tif")
    expected = image.copy()
    transform = ocio.FileTransform(src=str(lut_file), interpolation=ocio.INTERP_TETRAHEDRAL)
    ocio.Config.CreateRaw().getProcessor(transform).getDefaultCPUProcessor().applyRGB(expected)
    assert ours.dtype == np.float32
    assert ours.min() < 0.0 and ours.max() > 1.0  # nothing clipped
    assert np.abs(ours - expected).max() <= 1e-4


@pytest.mark.parametrize(
    ("suffix", "dtype", "depth", "written"),
    [
        (".tif", np.uint8, None, np.uint8),
        (".tif", np.uint16, None, np.uint16),
        (".png", np.uint8, None, np.uint8),
        (".png", np.uint16, None, np.uint16),
        (".tif", np.uint8, "16", np.uint16),
        (".tif", np.uint16, "float", np.float32),
    ],
)
def test_integer_images_keep_their_depth_unless_told(tmp_path, lut_file, suffix, dtype, depth,
                                                     written):  # fmt: skip
    import imagecodecs

    top = np.iinfo(dtype).max
    image = RNG.integers(0, top + 1, (20, 30, 3), dtype=dtype)
    source = tmp_path / f"in{suffix}"
    if suffix == ".tif":
        tifffile.imwrite(source, image, photometric="rgb")
    else:
        source.write_bytes(imagecodecs.png_encode(image))
    out = tmp_path / f"out{suffix}"
    _apply(source, "--lut", lut_file, "-o", out, *(["--depth", depth] if depth else []))
    data = tifffile.imread(out) if suffix == ".tif" else imagecodecs.imread(str(out))
    assert data.dtype == written and data.shape == image.shape


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_integer_code_values_equal_opencolorio(tmp_path, lut_file, dtype):
    """Integer images go to the kernel as stored (no float copy): each code value read as
    code / max, through the LUT, rounded half up to the same depth, equals OpenColorIO's
    float result quantised the same way within one code (a float32 rounding can fall on
    either side of a half)."""
    ocio = pytest.importorskip("PyOpenColorIO")
    top = np.iinfo(dtype).max
    image = RNG.integers(0, top + 1, (40, 50, 3), dtype=dtype)
    image[0, :3] = [[0, 0, 0], [top, top, top], [0, top, 0]]  # the cube's corners
    tifffile.imwrite(tmp_path / "in.tif", image, photometric="rgb")
    _apply(tmp_path / "in.tif", "--lut", lut_file, "-o", tmp_path / "out.tif")
    ours = tifffile.imread(tmp_path / "out.tif").astype(np.int64)
    expected = (image / top).astype(np.float32)
    transform = ocio.FileTransform(src=str(lut_file), interpolation=ocio.INTERP_TETRAHEDRAL)
    ocio.Config.CreateRaw().getProcessor(transform).getDefaultCPUProcessor().applyRGB(expected)
    codes = np.floor(np.clip(expected.astype(np.float64), 0, 1) * top + 0.5).astype(np.int64)
    assert np.abs(ours - codes).max() <= 1
    assert np.mean(ours == codes) > 0.99


def test_depth_the_file_cannot_hold_is_one_line_and_writes_nothing(tmp_path, lut_file):
    image = RNG.uniform(0, 1, (8, 8, 3)).astype(np.float32)
    tifffile.imwrite(tmp_path / "in.tif", image, photometric="rgb")
    before = sha256(tmp_path / "in.tif")
    out = tmp_path / "out.png"
    result = run_lsq("lut", "apply", tmp_path / "in.tif", "--lut", lut_file, "-o", out,
                     "--depth", "float")  # fmt: skip
    assert result.returncode == 2 and not out.exists()
    assert (
        result.stderr.strip()
        == f"lsq: {out}: a .png file cannot hold --depth float; it holds 8, 16"
    )
    assert sha256(tmp_path / "in.tif") == before
    # without --depth the float input goes into a 16-bit PNG, and the user is told
    result = run_lsq("lut", "apply", tmp_path / "in.tif", "--lut", lut_file, "-o", out)
    assert result.returncode == 0 and "32-bit float input written as 16-bit" in result.stderr
