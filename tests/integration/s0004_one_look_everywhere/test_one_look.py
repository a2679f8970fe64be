"""One look everywhere: the same look on a RAW photo, on V-Log video pixels, and baked into
LUTs for an editor (.cube through OpenColorIO) and the camera (.vlt)."""

from __future__ import annotations

import numpy as np
import pytest

from lsquared import engine, simulate
from lsquared.color import scene, spaces, transfer
from lsquared.looks import catalog
from lsquared.looks import lut as lut_math
from lsquared.looks.files import read_lut, write_lut
from lsquared.pipeline.recipe import Recipe
from tests.integration.s0004_one_look_everywhere import natural

OCIO = pytest.importorskip("PyOpenColorIO")
LOOKS = catalog.names()
INTERPOLATIONS = {"tetrahedral": OCIO.INTERP_TETRAHEDRAL, "trilinear": OCIO.INTERP_LINEAR}


def _ocio_apply(transform, x: np.ndarray) -> np.ndarray:
    y = np.ascontiguousarray(x, dtype=np.float32).copy()
    OCIO.Config.CreateRaw().getProcessor(transform).getDefaultCPUProcessor().applyRGB(y)
    return y


def _ocio_vlt(lut, interpolation) -> OCIO.GroupTransform:
    """A .vlt read back, as OpenColorIO transforms: a 4096-entry 1D LUT putting each 12-bit
    code at its lattice position (nodes 0, 256, ..., 3840, 4095), then the 17^3 table."""
    codes = np.arange(4096) / 4095
    nodes = np.minimum(np.arange(17) * 256, 4095) / 4095
    position = np.interp(codes, nodes, np.linspace(0, 1, 17))
    shaper = OCIO.Lut1DTransform()
    shaper.setLength(4096)
    for i, v in enumerate(position):
        shaper.setValue(i, v, v, v)
    table = OCIO.Lut3DTransform()
    table.setGridSize(17)
    table.setInterpolation(interpolation)
    for r in range(17):
        for g in range(17):
            for b in range(17):
                table.setValue(r, g, b, *lut.table[r, g, b])
    return OCIO.GroupTransform([shaper, table])


@pytest.fixture(scope="module")
def frames():
    return natural.natural_vlog()


@pytest.mark.parametrize("look", LOOKS)
def test_bakes_on_natural_vlog_frames(tmp_path, frames, look):
    """Issue 14's promise, judged where people look: natural V-Log frames (ColorChecker
    spectra and a textured scene at -2/0/+2 EV), each look rendered exactly and through its
    bakes, CIEDE2000 on a Rec.709/BT.1886 display. The 33^3 .cube in OpenColorIO: p99 <= 0.5,
    max <= 2; the 65^3 bake ``lsq grade`` runs by default (unless ``--exact``): p99 <= 0.5;
    the 17^3 .vlt read back (12-bit), tetrahedral and trilinear in OpenColorIO: p99 <= 1.5,
    max <= 4."""
    recipe = engine.with_look_name(Recipe().replace("output", space="rec709"), look)
    exact = engine.compile(
        recipe, engine.Metadata(), engine.input_encoding("vlog"), renderer="reference"
    ).apply_array(frames[:, None, :])[:, 0]
    cube = tmp_path / f"{look}.cube"
    write_lut(engine.bake_lut(recipe, "vlog", 33), cube)
    in_ocio = OCIO.FileTransform(src=str(cube), interpolation=OCIO.INTERP_TETRAHEDRAL)
    de = natural.display_delta_e(exact, _ocio_apply(in_ocio, frames))
    print(f"{look} .cube: p99 {np.percentile(de, 99):.2f} max {de.max():.2f}")
    assert np.percentile(de, 99) <= 0.5 and de.max() <= 2.0, (np.percentile(de, 99), de.max())
    assert recipe.video.fast  # the default: `lsq grade` grades through this bake
    fast = engine.ProcessorCache().baked(
        recipe, engine.Metadata(), engine.input_encoding("vlog"), "vlog"
    )  # what engine.clip_processor gives `lsq grade` (the bake cache is the session's)
    de = natural.display_delta_e(exact, fast.apply_array(frames[:, None, :])[:, 0])
    print(f"{look} grade 65^3 bake: p99 {np.percentile(de, 99):.2f} max {de.max():.2f}")
    assert np.percentile(de, 99) <= 0.5
    vlt = tmp_path / f"{look}.vlt"
    write_lut(engine.bake_lut(recipe, "vlog", 17, "vlt12"), vlt)
    back = read_lut(vlt)
    for name, interpolation in INTERPOLATIONS.items():
        de = natural.display_delta_e(exact, _ocio_apply(_ocio_vlt(back, interpolation), frames))
        p99 = np.percentile(de, 99)
        print(f"{look} .vlt {name}: p99 {p99:.2f} max {de.max():.2f}")
        assert p99 <= 1.5 and de.max() <= 4.0, (name, p99, de.max())


def _display_lab(rec709_bt1886: np.ndarray) -> np.ndarray:
    linear = transfer.bt1886_decode(rec709_bt1886)
    return scene.xyz_to_lab_d65(linear @ spaces.matrix("rec709", "xyz").T)


@pytest.fixture(scope="module")
def chart(tmp_path_factory):
    return simulate.simulate(tmp_path_factory.mktemp("look") / "c.dng", width=900, height=600)


@pytest.mark.parametrize("look", LOOKS)
def test_photo_and_vlog_video_agree(chart, look):
    """The chart developed from RAW and the same chart as V-Log/V-Gamut video pixels, both
    with the look, agree within CIEDE2000 1 on every patch."""
    recipe = engine.with_look_name(Recipe().replace("output", space="rec709"), look)
    image = engine.load_source(chart.path, recipe)
    photo = simulate.patch_means(engine.compile(recipe, image).apply(image).pixels, chart)
    vgamut = chart.patch_xyz_d65 @ spaces.matrix("xyz", "vgamut").T
    vlog = transfer.vlog_encode(vgamut).astype(np.float32)[:, None, :]
    video_proc = engine.compile(recipe, engine.Metadata(), engine.input_encoding("vlog"))
    video = video_proc.apply_array(vlog)[:, 0]
    de = scene.delta_e_2000(_display_lab(photo), _display_lab(video))
    assert de.max() <= 1.0, de


@pytest.mark.parametrize("look", LOOKS)
def test_baked_cube_in_ocio_equals_baked_lut_in_lsquared(tmp_path, look):
    """The 33^3 .cube an editor gets renders in OpenColorIO exactly as lsquared renders it,
    and an unfitted .vlt read back holds the recipe at its 12-bit nodes within half a
    12-bit step."""
    recipe = engine.with_look_name(Recipe().replace("output", space="rec709"), look)
    path = tmp_path / f"{look}.cube"
    write_lut(engine.bake_lut(recipe, "vlog", 33), path)
    proc = (
        OCIO.Config.CreateRaw()
        .getProcessor(OCIO.FileTransform(src=str(path), interpolation=OCIO.INTERP_TETRAHEDRAL))
        .getDefaultCPUProcessor()
    )
    x = np.random.default_rng(4).random((100_000, 3)).astype(np.float32)
    y = x.copy()
    proc.applyRGB(y)
    assert np.abs(y - lut_math.apply(read_lut(path), x)).max() <= 1e-5
    baked = engine.bake_lut(recipe, "vlog", 17, "vlt12", fit=False)
    write_lut(baked, tmp_path / f"{look}.vlt")
    back = read_lut(tmp_path / f"{look}.vlt")
    assert np.abs(back.table - np.clip(baked.table, 0, 1)).max() <= 0.5 / 4095 + 1e-9
    # at the .vlt's own nodes, applying it gives the recipe's result
    nodes = lut_math.vlt_node_positions()
    grid = np.stack(np.meshgrid(nodes, nodes, nodes, indexing="ij"), -1).reshape(-1, 3)
    exact = engine.compile(recipe, engine.Metadata(), engine.input_encoding("vlog")).apply_array(
        grid.astype(np.float32)[:, None, :]
    )[:, 0]
    assert np.abs(lut_math.apply(back, grid) - exact).max() <= 0.5 / 4095 + 1e-6


def test_recipe_vs_baked_luts_on_the_neutral_ramp(tmp_path):
    """On a dense neutral V-Log ramp the baked 33^3 cube stays within 5/1023 of the recipe
    for the neutral look, and so does the 17^3 .vlt from the shadows up (display code 0.06,
    V-Log 0.19); below, in the cell above V-Log black, where the shadow roll-off bends most
    and CIEDE2000 weighs code values least, its perceptual fit allows up to 25/1023."""
    recipe = engine.with_look_name(Recipe().replace("output", space="rec709"), "neutral")
    proc = engine.compile(recipe, engine.Metadata(), engine.input_encoding("vlog"))
    ramp = np.repeat(np.linspace(0, 1, 4096)[:, None], 3, 1).astype(np.float32)
    exact = proc.apply_array(ramp[:, None, :])[:, 0]
    cube = engine.bake_lut(recipe, "vlog", 33)
    vlt = write_lut(engine.bake_lut(recipe, "vlog", 17, "vlt12"), tmp_path / "n.vlt")[0]
    assert np.abs(lut_math.apply(cube, ramp) - exact).max() * 1023 <= 5.0
    vlt_error = np.abs(lut_math.apply(read_lut(vlt), ramp) - exact).max(1) * 1023
    assert vlt_error[ramp[:, 0] >= 0.19].max() <= 5.0
    assert vlt_error.max() <= 25.0


@pytest.mark.parametrize("look", LOOKS)
def test_baked_cubes_follow_the_recipe_over_the_whole_vlog_cube(look):
    """Over uniformly random V-Log code values (most of them colours no camera records),
    90 % of the 33^3 bake is within 2/1023 of the recipe and all of it within 16/1023; a
    65^3 bake (``--fast``) within 5/1023. Before the rendering was built for lattices: 32
    and 10/1023; before the look's AP1 compression ahead of the grade, faded-film missed by
    412/1023 on a ridge of out-of-AP1 colours."""
    recipe = engine.with_look_name(Recipe().replace("output", space="rec709"), look)
    proc = engine.compile(recipe, engine.Metadata(), engine.input_encoding("vlog"))
    x = np.random.default_rng(5).random((100_000, 3)).astype(np.float32)
    exact = proc.apply_array(x[:, None, :])[:, 0]
    err33 = np.abs(lut_math.apply(engine.bake_lut(recipe, "vlog", 33), x) - exact).max(1)
    err65 = np.abs(lut_math.apply(engine.bake_lut(recipe, "vlog", 65), x) - exact).max(1)
    assert np.percentile(err33, 90) * 1023 <= 2.0
    assert err33.max() * 1023 <= 16.0
    assert err65.max() * 1023 <= 5.0
