"""``lsq lut apply`` keeps the data: float stays float (out-of-range values kept, as in
OpenColorIO), integers keep their bit depth, ``--depth`` overrides.

The command runs the LUT through OpenColorIO (:mod:`lsquared.looks.ocio`), so the oracle
here is colour-science: its own .cube reader and its tetrahedral and trilinear
interpolation (``colour.algebra.table_interpolation_*``), which clamp the input to the
table's domain as OpenColorIO does."""

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


def _colour_apply(lut_path, rgb: np.ndarray, method: str = "tetrahedral") -> np.ndarray:
    """colour-science's reading of the .cube file, applied to ``rgb`` (float64)."""
    colour = pytest.importorskip("colour")
    interpolator = getattr(colour.algebra, f"table_interpolation_{method}")
    return colour.io.read_LUT(str(lut_path)).apply(rgb, interpolator=interpolator)


def test_float_tiff_with_out_of_range_values_equals_colour_science(tmp_path, lut_file):
    image = RNG.uniform(-0.1, 1.1, (64, 48, 3)).astype(np.float32)
    tifffile.imwrite(tmp_path / "in.tif", image, photometric="rgb")
    _apply(tmp_path / "in.tif", "--lut", lut_file, "-o", tmp_path / "out.tif")
    ours = tifffile.imread(tmp_path / "out.tif")
    expected = _colour_apply(lut_file, image)
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
def test_integer_code_values_equal_colour_science(tmp_path, lut_file, dtype):
    """Integer images go to the LUT as stored (no float copy): each code value read as
    code / max, through the LUT, rounded half up to the same depth, equals colour-science's
    float result quantised the same way within one code (a float32 rounding can fall on
    either side of a half)."""
    top = np.iinfo(dtype).max
    image = RNG.integers(0, top + 1, (40, 50, 3), dtype=dtype)
    image[0, :3] = [[0, 0, 0], [top, top, top], [0, top, 0]]  # the cube's corners
    tifffile.imwrite(tmp_path / "in.tif", image, photometric="rgb")
    _apply(tmp_path / "in.tif", "--lut", lut_file, "-o", tmp_path / "out.tif")
    ours = tifffile.imread(tmp_path / "out.tif").astype(np.int64)
    expected = _colour_apply(lut_file, (image / top).astype(np.float32))
    codes = np.floor(np.clip(expected, 0, 1) * top + 0.5).astype(np.int64)
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


@pytest.mark.parametrize("method", ["tetrahedral", "trilinear"])
def test_vlt_applies_on_its_12_bit_nodes(tmp_path, method):
    """A .vlt (written here from the VARICAM 3DLUT Reference Manual: 17^3 rows of 12-bit
    codes, red fastest, input nodes 0, 256, ..., 3840, 4095): each input goes to its
    position between the nodes, then through the table; colour-science interpolates."""
    codes = RNG.integers(0, 4096, (17, 17, 17, 3))  # [b, g, r] in file order
    header = '# panasonic vlt file version 1.0\n# source vlt file ""\nLUT_3D_SIZE 17\n\n'
    rows = "".join(f"{r} {g} {b}\n" for r, g, b in codes.reshape(-1, 3))
    (tmp_path / "look.vlt").write_text(header + rows)
    image = RNG.uniform(-0.05, 1.05, (40, 30, 3)).astype(np.float32)
    tifffile.imwrite(tmp_path / "in.tif", image, photometric="rgb")
    _apply(tmp_path / "in.tif", "--lut", tmp_path / "look.vlt", "-o", tmp_path / "out.tif",
           "--interpolation", method)  # fmt: skip
    colour = pytest.importorskip("colour")
    nodes = np.minimum(np.arange(17) * 256, 4095) / 4095
    position = np.interp(np.clip(image, 0, 1), nodes, np.linspace(0, 1, 17))
    table = colour.LUT3D(codes.transpose(2, 1, 0, 3) / 4095)  # [r, g, b]
    interpolator = getattr(colour.algebra, f"table_interpolation_{method}")
    expected = table.apply(position, interpolator=interpolator)
    assert np.abs(tifffile.imread(tmp_path / "out.tif") - expected).max() <= 1e-4


@pytest.mark.parametrize("kind", ["adobe domain", "resolve shaper"])
def test_domains_and_shapers_equal_colour_science(tmp_path, kind):
    """A 3D table on DOMAIN_MIN/MAX (inputs beyond it clamped), and Resolve's 1D shaper on
    its LUT_1D_INPUT_RANGE before a 3D table, as colour-science reads and applies them."""
    table = RNG.uniform(-0.2, 1.2, (9, 9, 9, 3))
    if kind == "adobe domain":
        lut = Lut(table=table, domain_min=(-0.1, 0.0, 0.2), domain_max=(1.1, 0.9, 1.5))
        image = RNG.uniform(-0.3, 1.7, (40, 30, 3))
    else:
        shaper = np.sort(RNG.uniform(0, 1, (16, 3)), axis=0)
        lut = Lut(table=table, shaper=shaper, shaper_min=(-0.25,) * 3, shaper_max=(1.5,) * 3)
        image = RNG.uniform(-0.25, 1.5, (40, 30, 3))  # colour extrapolates a shaper: inside
    (tmp_path / "l.cube").write_text(cube.dumps(lut))
    tifffile.imwrite(tmp_path / "in.tif", image.astype(np.float32), photometric="rgb")
    _apply(tmp_path / "in.tif", "--lut", tmp_path / "l.cube", "-o", tmp_path / "out.tif")
    colour = pytest.importorskip("colour")
    read = colour.io.read_LUT(str(tmp_path / "l.cube"))
    steps = list(read) if isinstance(read, colour.LUTSequence) else [read]
    expected = image.astype(np.float32)
    for step in steps:
        kwargs = {"interpolator": colour.algebra.table_interpolation_tetrahedral}
        expected = step.apply(expected, **(kwargs if isinstance(step, colour.LUT3D) else {}))
    assert len(steps) == (2 if kind == "resolve shaper" else 1)
    assert np.abs(tifffile.imread(tmp_path / "out.tif") - expected).max() <= 1e-4


def test_a_table_too_large_for_opencolorio_goes_to_lsquareds_kernel(tmp_path, lut_file,
                                                                     monkeypatch):  # fmt: skip
    """OpenColorIO holds at most 129^3 and a .cube may hold up to 256^3: such a table goes
    to lsquared's CPU renderer instead. Shown in-process with the limit lowered below this
    LUT's 9 points (OpenColorIO's path made to fail), against colour-science; the Python
    API without a renderer for them refuses the file in one line."""
    from typer.testing import CliRunner

    from lsquared.cli.looks import lut_app
    from lsquared.errors import LutError
    from lsquared.looks import ocio

    def not_here(*_):
        raise AssertionError("OpenColorIO cannot hold this table")

    monkeypatch.setattr(ocio, "MAX_GRID", 8)
    monkeypatch.setattr(ocio, "apply_in_place", not_here)
    image = RNG.uniform(-0.1, 1.1, (20, 30, 3)).astype(np.float32)
    tifffile.imwrite(tmp_path / "in.tif", image, photometric="rgb")
    args = ["apply", str(tmp_path / "in.tif"), "--lut", str(lut_file), "-o",
            str(tmp_path / "out.tif"), "--interpolation", "trilinear"]  # fmt: skip
    result = CliRunner().invoke(lut_app, args)
    assert result.exit_code == 0, result.output
    expected = _colour_apply(lut_file, image, "trilinear")
    assert np.abs(tifffile.imread(tmp_path / "out.tif") - expected).max() <= 1e-4
    with pytest.raises(LutError, match=r"9\^3: OpenColorIO holds at most 8\^3"):
        ocio.apply_to_image(tmp_path / "in.tif", lut_file, tmp_path / "again.tif")
