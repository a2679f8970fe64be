"""The CLI as users run it: --help with an example everywhere, develop, demo, one-line
errors for every command."""

from __future__ import annotations

import re

import numpy as np
import pytest

from lsquared.io import stills
from lsquared.pipeline import recipe as rc
from tests.conftest import run_lsq, sha256

LEAVES = [
    ["develop"], ["demo"], ["grade"], ["batch"], ["look", "list"], ["look", "show"],
    ["lut", "info"], ["lut", "convert"], ["lut", "bake"], ["lut", "apply"],
    ["lens", "list"], ["lens", "find"], ["lens", "show"], ["lens", "identify"],
    ["lens", "import-db"], ["lens", "calibrate"], ["look", "import"], ["look", "export"],
    ["view"],
]  # fmt: skip
COMMANDS = [[], ["look"], ["lut"], ["lens"], *LEAVES]


def _one_line_exit_2(result) -> str:
    """The README's promise for usage and input errors: exit 2, one ``lsq:`` line."""
    assert result.returncode == 2, (result.returncode, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("lsq: "), result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


@pytest.mark.parametrize("cmd", COMMANDS, ids=lambda c: " ".join(c) or "lsq")
def test_help_has_an_example(cmd):
    result = run_lsq(*cmd, "--help")
    assert result.returncode == 0
    assert "Example: lsq" in result.stdout


def test_develop_many_into_folder_with_explain(tmp_path, sim_dng):
    import shutil

    a, b = tmp_path / "a.dng", tmp_path / "b.dng"
    shutil.copy(sim_dng.path, a)
    shutil.copy(sim_dng.path, b)
    out = tmp_path / "out"
    out.mkdir()
    result = run_lsq("develop", a, b, "-o", out, "--format", "jpg", "--wb", "5600", "--explain")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["a.jpg", "b.jpg"]
    assert "5600 K" in result.stdout and "tone curve" in result.stdout


def test_ev_flag_brightens(tmp_path, sim_dng):
    r0 = run_lsq("develop", sim_dng.path, "-o", tmp_path / "0.exr", "--space", "linear-srgb")
    r1 = run_lsq(
        "develop", sim_dng.path, "-o", tmp_path / "1.exr", "--space", "linear-srgb", "--ev", "1"
    )
    assert r0.returncode == r1.returncode == 0, r0.stderr + r1.stderr
    a, b = stills.read_image(tmp_path / "0.exr"), stills.read_image(tmp_path / "1.exr")
    assert np.median(b / np.maximum(a, 1e-6)) == pytest.approx(2.0, rel=1e-3)


@pytest.mark.slow
def test_demo_reports_accuracy(tmp_path):
    result = run_lsq("demo", "-o", tmp_path / "d")
    assert result.returncode == 0, result.stderr
    line = next(s for s in result.stdout.splitlines() if s.startswith("accuracy:"))
    mean = float(line.split("mean dE2000 ")[1].split(",")[0])
    assert mean <= 1.0
    assert (tmp_path / "d" / "developed.tif").stat().st_size > 0


def test_jpeg_quality_option_changes_size(tmp_path, sim_dng):
    low = run_lsq("develop", sim_dng.path, "-o", tmp_path / "l.jpg", "--quality", "40")
    high = run_lsq("develop", sim_dng.path, "-o", tmp_path / "h.jpg", "--quality", "98")
    assert low.returncode == high.returncode == 0, low.stderr + high.stderr
    assert (tmp_path / "l.jpg").stat().st_size < (tmp_path / "h.jpg").stat().st_size
    bad = run_lsq("develop", sim_dng.path, "-o", tmp_path / "b.jpg", "--quality", "0")
    assert bad.returncode == 2 and "quality" in bad.stderr


@pytest.mark.parametrize("cmd", LEAVES, ids=" ".join)
def test_every_command_refuses_a_bad_option_in_one_line(cmd):
    line = _one_line_exit_2(run_lsq(*cmd, "--no-such-option", "x"))
    assert "--no-such-option" in line and f"lsq {' '.join(cmd)} --help" in line


@pytest.mark.parametrize(
    "args",
    [["nosuch"], ["develop"], ["lens", "show"], ["develop", "a.dng", "-o", "a.tif", "--ev", "x"]],
    ids=" ".join,
)
def test_usage_errors_are_one_line(args, tmp_path):
    _one_line_exit_2(run_lsq(*args, cwd=tmp_path))


def test_version():
    import lsquared

    result = run_lsq("--version")
    assert result.returncode == 0 and result.stdout.split()[-1] == lsquared.__version__


def _exr(path):
    import OpenEXR

    with OpenEXR.File(str(path)) as f:
        header = dict(f.header())  # the file's own dict is emptied when it closes
        return header, f.channels()["RGB"].pixels.astype(np.float64)


def _ocio_encoding(name: str) -> str:
    """What OpenColorIO's own studio config says a colour space name encodes."""
    ocio = pytest.importorskip("PyOpenColorIO")
    config = ocio.Config.CreateFromBuiltinConfig("studio-config-latest")
    return config.getColorSpace(name).getEncoding()


def test_exr_without_space_is_scene_linear(tmp_path, sim_dng):
    from lsquared.simulate import chart_delta_e, patch_means

    out = tmp_path / "x.exr"
    result = run_lsq("develop", sim_dng.path, "-o", out)
    assert result.returncode == 0, result.stderr
    header, pixels = _exr(out)
    # ITU-R BT.709 primaries and D65 white (x, y)
    bt709 = [0.64, 0.33, 0.30, 0.60, 0.15, 0.06, 0.3127, 0.3290]
    np.testing.assert_allclose(np.array(header["chromaticities"], float), bt709, atol=5e-4)
    assert header["lsquared:encoding"].startswith("scene-linear")
    assert _ocio_encoding(header["oiio:ColorSpace"]) == "scene-linear"
    assert chart_delta_e(pixels, sim_dng).mean() < 1.0  # linear values, not display codes
    grey = sim_dng.patch_names.index(next(n for n in sim_dng.patch_names if "5" in n))
    assert patch_means(pixels, sim_dng)[grey] == pytest.approx(
        [sim_dng.patch_xyz_d65[grey][1]] * 3, rel=0.05
    )


def test_exr_with_a_display_space_says_so(tmp_path, sim_dng):
    out = tmp_path / "x.exr"
    result = run_lsq("develop", sim_dng.path, "-o", out, "--space", "srgb")
    assert result.returncode == 0, result.stderr
    header, _ = _exr(out)
    assert header["lsquared:encoding"].startswith("display-referred, srgb")
    assert _ocio_encoding(header["oiio:ColorSpace"]) == "sdr-video"


MAGIC = {"tif": (b"II*\0", b"MM\0*"), "png": (b"\x89PNG",), "jpg": (b"\xff\xd8",),
         "exr": (b"v/1\x01",)}  # fmt: skip


@pytest.mark.parametrize(
    ("name", "args", "kind"),
    [("m.png", [], "png"), ("m.jpeg", [], "jpg"), ("m.TIFF", ["--format", "tif8"], "tif"),
     ("m.exr", ["--format", "EXR-half"], "exr"), ("m.jpg", ["--format", "JPG"], "jpg")],
)  # fmt: skip
def test_format_follows_the_extension(tmp_path, sim_dng, name, args, kind):
    out = tmp_path / name
    result = run_lsq("develop", sim_dng.path, "-o", out, *args)
    assert result.returncode == 0, result.stderr
    assert out.read_bytes().startswith(MAGIC[kind])


def test_recipe_format_gives_way_to_the_extension(tmp_path, sim_dng):
    recipe = tmp_path / "r.toml"
    recipe.write_text('[output]\nformat = "jpg"\n')
    out = tmp_path / "m.png"
    assert run_lsq("develop", sim_dng.path, "-o", out, "--recipe", recipe).returncode == 0
    assert out.read_bytes().startswith(MAGIC["png"])


@pytest.mark.parametrize(
    ("name", "args", "needle"),
    [("m.png", ["--format", "jpg"], ".png"), ("m.webp", [], ".webp"), ("m.tif", ["--format", "exr"],
     ".tif"), ("m.jpg", ["--format", "gif"], "gif")],
)  # fmt: skip
def test_extension_contradictions_are_refused(tmp_path, sim_dng, name, args, needle):
    out = tmp_path / name
    line = _one_line_exit_2(run_lsq("develop", sim_dng.path, "-o", out, *args))
    assert needle in line
    assert list(tmp_path.iterdir()) == []


def test_write_image_refuses_a_lying_name(tmp_path):
    from lsquared.errors import OutputError

    with pytest.raises(OutputError, match="png"):
        stills.write_image(tmp_path / "a.png", np.zeros((2, 2, 3), np.float32), "jpg")
    assert list(tmp_path.iterdir()) == []


def test_recipe_value_error_names_its_key(tmp_path, sim_dng):
    recipe = tmp_path / "r.toml"
    recipe.write_text('[exposure]\nev = "high"\n')
    line = _one_line_exit_2(run_lsq("develop", sim_dng.path, "-o", tmp_path / "o.tif", "--recipe",
                                    recipe))  # fmt: skip
    assert line == f"lsq: {recipe}: [exposure] ev: must be a number, got 'high'"


@pytest.mark.parametrize(
    ("args", "option"),
    [(["--ev", "20"], "--ev"), (["--space", "p4"], "--space"), (["--wb", "sunny"], "--wb"),
     (["--demosaic", "magic"], "--demosaic"), (["--lut-input", "xlog"], "--lut-input"),
     (["--lens", "psychic"], "--lens"), (["--quality", "0"], "--quality")],
)  # fmt: skip
def test_option_errors_name_the_option(tmp_path, sim_dng, args, option):
    line = _one_line_exit_2(run_lsq("develop", sim_dng.path, "-o", tmp_path / "o.tif", *args))
    assert line.startswith(f"lsq: {option}: ") and "override" not in line


def test_choices_ignore_case(tmp_path, sim_dng):
    from PIL import Image, ImageCms

    out = tmp_path / "o.jpg"
    result = run_lsq("develop", sim_dng.path, "-o", out, "--space", "P3", "--format", "JPG",
                     "--look", "Teal-Orange", "--wb", "Daylight", "--demosaic", "ahd",
                     "--explain")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "teal-orange" in result.stdout
    with Image.open(out) as im:
        profile = ImageCms.ImageCmsProfile(__import__("io").BytesIO(im.info["icc_profile"]))
    assert "Display P3" in ImageCms.getProfileDescription(profile)


def test_help_lists_every_choice():
    text = " ".join(re.sub(r"[│╭╮╰╯─]", " ", run_lsq("develop", "--help").stdout).split())
    for values in (rc.OUTPUT_SPACES, rc.LUT_INPUTS, rc.LENS_SOURCES, rc.DEMOSAIC):
        assert ", ".join(values) in text, values


LENS_XML = """<lensdatabase version="2">
  <lens>
    <maker>Test</maker>
    <model>Test 50mm f/2</model>
    <mount>Leica L</mount>
    <cropfactor>1</cropfactor>
    <calibration>
      <distortion model="ptlens" focal="50" a="0.01" b="-0.02" c="0.005"/>
    </calibration>
  </lens>
</lensdatabase>
"""


def test_lens_profile_option(tmp_path, sim_dng):
    profile = tmp_path / "mylens.xml"
    profile.write_text(LENS_XML)
    before = sha256(profile)
    out = tmp_path / "o.tif"
    result = run_lsq("develop", sim_dng.path, "-o", out, "--lens-profile", profile, "--explain")
    assert result.returncode == 0, result.stderr
    assert f"profile {profile}" in result.stdout and out.is_file()
    assert sha256(profile) == before
    line = _one_line_exit_2(run_lsq("develop", sim_dng.path, "-o", out, "--lens", "profile"))
    assert "--lens-profile" in line
    line = _one_line_exit_2(
        run_lsq("develop", sim_dng.path, "-o", out, "--lens-profile", tmp_path / "nope.xml")
    )
    assert "nope.xml" in line
    rejected = tmp_path / "nomount.xml"  # lensfun prints its own warning on stderr for this
    rejected.write_text(LENS_XML.replace("    <mount>Leica L</mount>\n", ""))
    line = _one_line_exit_2(run_lsq("develop", sim_dng.path, "-o", out, "--lens-profile", rejected))
    assert "nomount.xml" in line


def test_look_and_input_names_ignore_case_in_lut_bake(tmp_path):
    out = tmp_path / "t.cube"
    result = run_lsq("lut", "bake", "--look", "Teal-Orange", "--input", "VLog", "--size", "17",
                     "-o", out)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert out.is_file()


def test_develop_creates_a_missing_output_folder(tmp_path, sim_dng):
    deep = tmp_path / "new" / "sub" / "o.tif"
    assert run_lsq("develop", sim_dng.path, "-o", deep).returncode == 0
    assert deep.is_file()
    folder = tmp_path / "folder"  # no extension: a folder, created
    assert run_lsq("develop", sim_dng.path, "-o", folder, "--format", "png8").returncode == 0
    assert (folder / f"{sim_dng.path.stem}.png").is_file()


def test_lens_lookups_fail_alike():
    pytest.importorskip("lensfunpy")
    for cmd in (["lens", "find", "zzzz qqqq"], ["lens", "show", "zzzz qqqq"]):
        assert "zzzz qqqq" in _one_line_exit_2(run_lsq(*cmd))


def test_lens_show_numbers_are_short_and_exact():
    lensfunpy = pytest.importorskip("lensfunpy")
    from lsquared.optics import lensdb

    name = "Lumix S 20-60/F3.5-5.6"
    result = run_lsq("lens", "show", name)
    assert result.returncode == 0, result.stderr
    printed = [float(v) for v in re.findall(r"-?\d+\.\d+(?:e-?\d+)?", result.stdout)]
    assert not re.search(r"\d\.\d{9,}", result.stdout), result.stdout
    lens = lensdb.lookup(name)
    terms = [t for d in lens.calib_distortion for t in d.terms]
    assert isinstance(lens, lensfunpy.Lens)
    assert {np.float32(t) for t in terms} <= {np.float32(v) for v in printed}


def test_maker_is_not_repeated():
    from lsquared.optics.profile import maker_and_model

    assert maker_and_model("Canon", "Canon EOS 6D") == "Canon EOS 6D"
    assert maker_and_model("Panasonic", "DC-S5M2") == "Panasonic DC-S5M2"
    assert maker_and_model(None, None) == "? ?"


@pytest.mark.samples
def test_lens_identify_canon(samples):
    result = run_lsq("lens", "identify", samples / "raw" / "canon_eos_6d_linear.dng")
    assert result.returncode == 0, result.stderr
    assert "camera:  Canon EOS 6D\n" in result.stdout
    assert "setting: 65 mm, f/5.6\n" in result.stdout


def test_first_run_says_kernels_are_compiling(tmp_path, sim_dng):
    """On a terminal with numba's disk cache empty, the wait is announced at once."""
    import os
    import pty
    import select
    import subprocess
    import sys
    import time

    master, slave = pty.openpty()
    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "numba-cache"))
    cmd = [sys.executable, "-m", "lsquared", "develop", str(sim_dng.path), "-o", str(tmp_path)]
    start = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=slave, stdout=slave, stderr=slave, env=env)
    os.close(slave)
    seen = b""
    try:
        while b"first run only" not in seen and time.monotonic() - start < 60:
            if select.select([master], [], [], 0.2)[0]:
                seen += os.read(master, 4096)
        waited = time.monotonic() - start
    finally:
        proc.kill()
        proc.wait()
        os.close(master)
    assert b"lsq: preparing fast kernels (first run only" in seen, seen
    assert waited < 20  # python start-up and the CLI's imports; ~0.5 s on an idle machine


def test_kernel_cache_check(monkeypatch, tmp_path, sim_dng, capsys):
    from lsquared import engine
    from lsquared.cli import common
    from lsquared.pipeline.recipe import Recipe

    engine.develop_file(sim_dng.path, tmp_path / "o.tif", Recipe().replace("lens", source="none"))
    assert not common.kernels_cold()  # compiled (or loaded) just now, so cached on disk
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "empty"))
    assert common.kernels_cold()
    monkeypatch.setattr(common, "interactive", lambda: False)
    common.announce_first_compile()  # not a terminal: quiet
    assert capsys.readouterr().err == ""


def test_an_unexpected_exception_is_one_line_too(monkeypatch, capsys):
    import typer

    from lsquared.cli import common

    app = typer.Typer()

    @app.command()
    def boom() -> None:
        raise ZeroDivisionError("a bug")

    monkeypatch.setitem(common.state, "debug", False)
    with pytest.raises(SystemExit) as stop:
        common.run_app(app, [])
    assert stop.value.code == common.EXIT_INTERNAL
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "ZeroDivisionError: a bug" in err and "Traceback" not in err
    monkeypatch.setitem(common.state, "debug", True)
    with pytest.raises(ZeroDivisionError):
        common.run_app(app, [])


def test_output_paths(tmp_path):
    from lsquared import engine
    from lsquared.errors import OutputError
    from lsquared.pipeline.recipe import Recipe

    jpg = Recipe().replace("output", format="jpg")
    src = tmp_path / "P1.RW2"
    assert engine.output_path_for(src, tmp_path / "a.jpg", jpg, False) == tmp_path / "a.jpg"
    assert engine.output_path_for(src, tmp_path / "new", jpg, False) == tmp_path / "new/P1.jpg"
    assert engine.output_path_for(src, tmp_path, jpg, True) == tmp_path / "P1.jpg"
    with pytest.raises(OutputError, match="several inputs"):
        engine.output_path_for(src, tmp_path / "a.jpg", jpg, True)
    with pytest.raises(OutputError, match=r"\.png"):
        engine.output_path_for(src, tmp_path / "a.png", jpg, False)
