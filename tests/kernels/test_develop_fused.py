"""kernels.develop: a Bayer mosaic demosaiced band by band together with the colour path
(and lens maps: a vignetting gain and a per-channel remap, each filter, in chunks of
output rows) gives what the
unfused path gives (``Mosaic.demosaiced`` with ``menon2007``, then the Processor on the
whole camera RGB image), within one output code, in every orientation, and ``lsq develop
--demosaic menon`` runs it."""

from __future__ import annotations

import numpy as np
import pytest
import tifffile

from lsquared import engine
from lsquared.io import raw
from lsquared.kernels import develop as fused_module
from lsquared.kernels import get_renderer
from lsquared.kernels.demosaic import MENON_BAND, menon2007
from lsquared.kernels.develop import develop_mosaic
from lsquared.pipeline.ops import GainMapOp, Program, RemapOp
from lsquared.pipeline.recipe import Recipe
from tests import dngfiles

HEIGHT, WIDTH = 2 * MENON_BAND + 44, 90  # three bands, the last one short
#: pixels between the lens maps' grid points
STEP = 8


def _scene(seed: int = 5) -> np.ndarray:
    """A 16-bit RGGB mosaic of colour blocks with sharp edges, smooth ramps and noise, from
    black to past the white level (clipped highlights)."""
    rng = np.random.default_rng(seed)
    blocks = rng.random((HEIGHT // 6 + 1, WIDTH // 7 + 1, 3))
    rgb = np.repeat(np.repeat(blocks, 6, axis=0), 7, axis=1)[:HEIGHT, :WIDTH]
    rgb = rgb * np.linspace(0.2, 1.3, WIDTH)[None, :, None] + 0.02 * rng.random(rgb.shape)
    cfa = np.empty((HEIGHT, WIDTH))
    for (dy, dx), c in zip(((0, 0), (0, 1), (1, 0), (1, 1)), dngfiles.RGGB, strict=True):
        cfa[dy::2, dx::2] = rgb[dy::2, dx::2, c]
    return np.clip(512 + cfa * 15000, 0, 16383).astype(np.uint16)


@pytest.fixture(scope="module", params=[1, 3, 6, 8])
def dng(request, tmp_path_factory):
    path = tmp_path_factory.mktemp("fused") / f"scene-{request.param}.dng"
    return dngfiles.write_dng(path, _scene(), black=512, white=15000, orientation=request.param)


def test_fused_equals_demosaic_then_processor(dng):
    with raw.open_raw(dng) as rawfile:
        mosaic = rawfile.mosaic()
    assert mosaic is not None
    recipe = Recipe().replace("lens", source="none")
    processor = engine.compile(recipe, mosaic.metadata, raw.CAMERA_RAW)
    unfused = processor.apply_array(mosaic.demosaiced(menon2007).pixels, 16)
    fused = develop_mosaic(mosaic, processor.program, 16)
    assert fused.shape == unfused.shape and fused.dtype == unfused.dtype
    assert np.abs(fused.astype(np.int64) - unfused).max() <= 1
    assert len(np.unique(unfused)) > 1000  # the comparison sees a real picture


def test_develop_with_menon_runs_the_fused_path(dng, tmp_path, monkeypatch):
    """``develop_file`` hands the mosaic to ``develop_mosaic`` and writes what the unfused
    path (decode, then the Processor) gives."""
    recipe = Recipe().replace("lens", source="none").replace("demosaic", algorithm="MENON")
    calls = []
    monkeypatch.setattr(
        fused_module, "develop_mosaic", lambda *a: calls.append(a) or develop_mosaic(*a)
    )
    engine.develop_file(dng, tmp_path / "fused.tif", recipe)
    image = engine.load_source(dng, recipe)
    unfused = engine.compile(recipe, image).apply_array(image.pixels, 16)
    assert len(calls) == 1
    assert np.abs(tifffile.imread(tmp_path / "fused.tif").astype(np.int64) - unfused).max() <= 1


def _lens_maps(h: int, w: int, filt: str) -> tuple:
    """A vignetting gain rising to the corners and a remap by a barrel distortion with a
    different scale per channel (lateral CA), both as grids every STEP pixels."""
    gh, gw = h // STEP + 2, w // STEP + 2
    yy, xx = np.mgrid[0:gh, 0:gw].astype(np.float32) * STEP
    dy, dx = yy - h / 2, xx - w / 2
    r2 = (dx**2 + dy**2) / (h**2 + w**2) * 4
    warp = [1 + (0.04 + 0.01 * c) * r2 for c in range(3)]
    gx = np.stack([w / 2 + dx * k for k in warp]).astype(np.float32)
    gy = np.stack([h / 2 + dy * k for k in warp]).astype(np.float32)
    return GainMapOp((1 + 0.4 * r2).astype(np.float32), STEP), RemapOp(gx, gy, STEP, filt)


@pytest.mark.parametrize("maps", ["gain+bilinear", "bicubic", "gain+lanczos", "gain"])
def test_fused_lens_maps_equal_demosaic_then_lens_then_processor(dng, maps, monkeypatch):
    """In chunks of 56 output rows, so that chunks demosaic overlapping source rows."""
    monkeypatch.setattr(fused_module, "LENS_CHUNK", 56)
    with raw.open_raw(dng) as rawfile:
        mosaic = rawfile.mosaic()
    processor = engine.compile(Recipe().replace("lens", source="none"), mosaic.metadata,
                               raw.CAMERA_RAW)  # fmt: skip
    gain, remap = _lens_maps(*mosaic.upright_shape, maps.split("+")[-1])
    geometry = {"gain": (gain,), "bicubic": (remap,)}.get(maps, (gain, remap))
    program = Program(geometry, processor.program.point)
    unfused = get_renderer("cpu").run(program, mosaic.demosaiced(menon2007).pixels, 16)
    fused = develop_mosaic(mosaic, program, 16)
    assert fused.shape == unfused.shape and fused.dtype == unfused.dtype
    assert np.abs(fused.astype(np.int64) - unfused).max() <= 1
    assert len(np.unique(unfused)) > 1000
