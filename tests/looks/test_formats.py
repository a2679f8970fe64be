"""The .cube and .vlt formats: reading, writing, round trips, strict errors with line numbers."""

from __future__ import annotations

import contextlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lsquared.errors import LutError
from lsquared.looks import cube, vlt
from lsquared.looks.files import read_lut, write_lut
from lsquared.looks.lut import Lut, identity_table
from tests.conftest import run_lsq, sha256

RNG = np.random.default_rng(21)


def random_lut(size: int, lo: float = 0.0, hi: float = 1.0) -> Lut:
    return Lut(table=RNG.uniform(lo, hi, (size, size, size, 3)))


def test_red_is_fastest_in_cube_rows():
    text = cube.dumps(Lut(table=identity_table(2)))
    rows = [r for r in text.splitlines() if r and r[0].isdigit()]
    assert rows[1].split() == ["1.00000000", "0.00000000", "0.00000000"]  # r moves first


def test_vlt_cube_vlt_is_byte_identical(tmp_path):
    write_lut(random_lut(17), tmp_path / "a.vlt")
    write_lut(read_lut(tmp_path / "a.vlt"), tmp_path / "b.cube")
    write_lut(read_lut(tmp_path / "b.cube"), tmp_path / "c.vlt")
    assert (tmp_path / "a.vlt").read_bytes() == (tmp_path / "c.vlt").read_bytes()


def test_cube17_vlt_cube_within_half_a_12bit_step(tmp_path):
    original = random_lut(17)
    write_lut(original, tmp_path / "a.cube")
    write_lut(read_lut(tmp_path / "a.cube"), tmp_path / "b.vlt")
    write_lut(read_lut(tmp_path / "b.vlt"), tmp_path / "c.cube")
    back = read_lut(tmp_path / "c.cube")
    assert back.size == 17
    assert np.abs(back.table - original.table).max() <= 0.5 / 4095 + 1e-9


def test_vlt_layout_is_exact(tmp_path):
    _, clamped, _ = write_lut(random_lut(17, -0.1, 1.1), tmp_path / "x.vlt")
    data = (tmp_path / "x.vlt").read_bytes()
    assert b"\r" not in data and data.endswith(b"\n") and not data.endswith(b"\n\n")
    lines = data.decode().split("\n")
    assert lines[:4] == [
        "# panasonic vlt file version 1.0",
        '# source vlt file ""',
        "LUT_3D_SIZE 17",
        "",
    ]
    body = lines[4:-1]
    assert len(body) == 4913
    values = np.array([[int(v) for v in row.split(" ")] for row in body])
    assert values.min() >= 0 and values.max() <= 4095
    assert clamped > 0


def test_vlt_rounds_half_up():
    codes, clamped = vlt.quantize(np.array([0.5 / 4095, 1.5 / 4095, 2.5 / 4095, -0.2, 1.3]))
    assert codes.tolist() == [1, 2, 3, 0, 4095] and clamped == 2


def test_cube_keywords_shaper_and_domain(tmp_path):
    text = "\n".join(
        ['TITLE "t"', "# note", "LUT_1D_SIZE 2", "LUT_1D_INPUT_RANGE -0.5 1.5", "LUT_3D_SIZE 2", "",
         "0 0 0", "1 1 1"] + [" ".join(map(str, v)) for v in identity_table(2).transpose(2, 1, 0, 3).reshape(-1, 3)]
    )  # fmt: skip
    lut = cube.parse(text, "x.cube")
    assert lut.title == "t" and lut.comments == ("# note",)
    assert lut.shaper_min == (-0.5,) * 3 and lut.shaper.shape == (2, 3)
    back = cube.parse(cube.dumps(lut))
    np.testing.assert_allclose(back.table, lut.table)
    assert back.shaper_min == lut.shaper_min


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("LUT_3D_SIZE 2\n0 0 0\n1 1 1\n", "line 3: truncated"),
        ("LUT_3D_SIZE 1\n0 0 0\n", "line 1: LUT_3D_SIZE 1 is out of range"),
        ("LUT_3D_SIZE 300\n", "line 1: LUT_3D_SIZE 300 is out of range"),
        ("LUT_3D_SIZE 2\n" + "0 0 0\n" * 7 + "0 x 0\n", "line 9: data row: not a number"),
        ("LUT_3D_SIZE 2\n" + "0 0 0\n" * 9, "line 10: extra data"),
        ("LUT_3D_SIZE 2\n" + "0 0\n" * 8, "line 2: data row needs 3 numbers"),
        ("LUT_3D_SIZE 2\n0 0 0\n0 0\n0 0 0 0\n" + "0 0 0\n" * 5, "line 3: data row needs"),
        ("LUT_3D_SIZE 2\n" + "0 0 0\n" * 5 + "0 nan 0\n0 0 0\n0 0 0\n", "line 7: data row: v"),
        ("FOO 3\n", "line 1: unknown keyword FOO"),
        ("# only a comment\n", "not a .cube LUT"),
    ],
)
def test_cube_errors_name_the_line(text, needle):
    with pytest.raises(LutError) as e:
        cube.parse(text, "bad.cube")
    assert "bad.cube" in str(e.value) and needle in str(e.value)


def test_vlt_errors_name_the_line():
    good = vlt.dumps(random_lut(17))[0]
    for broken, needle in [
        (good.replace("version 1.0", "version 2.0"), "line 1"),
        (good.replace("LUT_3D_SIZE 17", "LUT_3D_SIZE 33"), "line 3"),
        ("\n".join(good.split("\n")[:100]) + "\n", "truncated"),
        (good.replace(good.split("\n")[5], "-1 2 3"), "line 6: expected three integers"),
        (good[: good.rindex("\n", 0, -1)] + "\n5000 0 0\n", "above 4095"),
    ]:
        with pytest.raises(LutError, match=needle):
            vlt.parse(broken, "bad.vlt")


@pytest.mark.parametrize("kind", ["truncated", "size1", "size300", "nonnumeric", "vltheader"])
def test_cli_bad_luts_exit_2_with_line(tmp_path, kind):
    files = {
        "truncated": ("t.cube", "LUT_3D_SIZE 2\n0 0 0\n"),
        "size1": ("s.cube", "LUT_3D_SIZE 1\n0 0 0\n"),
        "size300": ("s.cube", "LUT_3D_SIZE 300\n0 0 0\n"),
        "nonnumeric": ("n.cube", "LUT_3D_SIZE 2\n" + "0 0 0\n" * 7 + "a b c\n"),
        "vltheader": ("h.vlt", "# panasonic vlt\nLUT_3D_SIZE 17\n\n"),
    }
    name, text = files[kind]
    path = tmp_path / name
    path.write_text(text)
    before = sha256(path)
    result = run_lsq("lut", "info", path)
    assert result.returncode == 2
    line = result.stderr.strip()
    assert line.startswith(f"lsq: {path}: line ") and "\n" not in line
    out = tmp_path / "o.vlt"
    assert run_lsq("lut", "convert", path, out).returncode == 2 and not out.exists()
    assert sha256(path) == before


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet='0123456789 .-+eE\nLUT_3DSIZEDOMAINMXTITLE#"', max_size=300))
def test_cube_parser_fuzz(text):
    with contextlib.suppress(LutError):
        cube.parse(text, "f.cube")


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 4000), st.binary(min_size=1, max_size=3))
def test_vlt_parser_mutation_fuzz(pos, junk):
    good = vlt.dumps(Lut(table=identity_table(17)))[0].encode()
    data = good[:pos] + junk + good[pos + len(junk) :]
    with contextlib.suppress(LutError, UnicodeDecodeError):
        vlt.parse(data.decode("ascii"), "f.vlt")


@pytest.mark.samples
@pytest.mark.parametrize(
    "name", ["in-VLog.AgX_look1-BT2020.out-sRGB.cube", "L-Log_to_Natural_VLog.cube"]
)
def test_real_cube_files(samples, tmp_path, name):
    path = samples / "luts" / name
    before = sha256(path)
    lut = read_lut(path)
    assert lut.size == 33 and lut.table.min() >= 0 and lut.table.max() <= 1
    info = run_lsq("lut", "info", path)
    assert info.returncode == 0
    if "L-Log" in name:
        assert "#LUMIXPHOTOSTYLE VLOG" in info.stdout
        write_lut(lut, tmp_path / "copy.cube")
        assert "#LUMIXPHOTOSTYLE VLOG" in (tmp_path / "copy.cube").read_text()
    _, _, notes = write_lut(lut, tmp_path / "x.vlt")
    assert any("resampled" in n for n in notes)
    assert sha256(path) == before


def _windows_twin(text: str) -> bytes:
    """``text`` as a Windows tool writes it: UTF-8 byte-order mark and CRLF line ends."""
    return b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode("utf-8")


def test_bom_crlf_cube_applies_identically_to_its_lf_twin(tmp_path):
    """The issue's case: a BOM + CRLF .cube was refused ("keyword LUT_3D_SIZE after the data
    started"); it now grades an image exactly as its LF twin does, through the CLI."""
    tifffile = pytest.importorskip("tifffile")
    text = cube.dumps(random_lut(9).with_(title="windows"))
    (tmp_path / "lf.cube").write_text(text)
    (tmp_path / "win.cube").write_bytes(_windows_twin(text))
    image = RNG.integers(0, 65536, (40, 30, 3), dtype=np.uint16)
    tifffile.imwrite(tmp_path / "in.tif", image, photometric="rgb")
    for name in ("lf", "win"):
        result = run_lsq("lut", "apply", tmp_path / "in.tif", "--lut", tmp_path / f"{name}.cube",
                         "-o", tmp_path / f"{name}.tif")  # fmt: skip
        assert result.returncode == 0, result.stderr
    lf, win = tifffile.imread(tmp_path / "lf.tif"), tifffile.imread(tmp_path / "win.tif")
    assert lf.dtype == win.dtype and np.array_equal(lf, win)
    assert not np.array_equal(lf, image)  # the LUT did something


def test_cube_variants_read_like_their_plain_form():
    """Resolve/Adobe variants: TITLE after the size, tabs, comments after values, CR-only
    line ends, a 1D shaper and a 3D table in one file."""
    plain = [f"{v[0]} {v[1]} {v[2]}" for v in RNG.random((2 + 8, 3)).round(6)]
    header = ["LUT_1D_SIZE 2", "LUT_1D_INPUT_RANGE -0.5 1.5", "LUT_3D_SIZE 2"]
    reference = cube.parse("\n".join(['TITLE "t"', *header, *plain]) + "\n")
    variant = "\r".join(
        [*header[:2], "LUT_3D_SIZE 2 # a 2-point table", 'TITLE "t" # title after the sizes']
        + [row.replace(" ", "\t") + f"  # row {i}" for i, row in enumerate(plain)]
    )
    lut = cube.parse(variant, "v.cube")
    assert lut.title == "t" and lut.shaper_min == reference.shaper_min
    assert np.array_equal(lut.shaper, reference.shaper)
    assert np.array_equal(lut.table, reference.table)


def test_plain_and_annotated_data_blocks_read_alike():
    """A plain data block is read at once, one with a comment row by row: same table (red
    fastest: node [r, g, b] is row r + 5 g + 25 b)."""
    rows = [" ".join(f"{x:.6f}" for x in v) for v in RNG.random((5**3, 3))]
    plain = "LUT_3D_SIZE 5\n\n" + "\n".join(rows) + "\n"
    annotated = plain.replace(rows[60], rows[60] + " # the middle row", 1)
    assert np.array_equal(cube.parse(plain).table, cube.parse(annotated).table)
    assert cube.parse(plain).table[0, 2, 4].tolist() == [float(v) for v in rows[110].split()]


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("LUT_3D_SIZE 2\nDOMAIN_MIN 0 0 0\nLUT_3D_INPUT_RANGE 0 1\n", "line 3: LUT_3D_INPUT_RANGE"),
        ("LUT_3D_SIZE 2\nDOMAIN_MAX 0 0 0\n" + "0 0 0\n" * 8, "line 2: DOMAIN_MAX must exceed"),
        ("\ufeffLUT_3D_SIZE 2\r\n" + "0 0 0\r\n" * 7 + "0 0 0 0\r\n", "line 9: data row needs"),
        ("LUT_3D_SIZE 2\n" + "0 0 0\n" * 4 + 'TITLE "late"\n', "line 6: keyword TITLE after"),
    ],
)
def test_cube_variant_errors_name_the_line(text, needle):
    with pytest.raises(LutError) as e:
        cube.parse(text, "bad.cube")
    assert needle in str(e.value)
