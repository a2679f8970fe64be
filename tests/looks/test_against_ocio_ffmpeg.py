"""LUTs and colour against independent implementations: OpenColorIO and ffmpeg."""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pytest

from lsquared.color import spaces, transfer
from lsquared.kernels.cpu import CpuRenderer
from lsquared.looks.files import read_lut, write_lut
from lsquared.looks.lut import Lut
from lsquared.pipeline.compiler import lut_ops
from lsquared.pipeline.ops import CdlOp, Program

OCIO = pytest.importorskip("PyOpenColorIO")
RNG = np.random.default_rng(33)


def _ocio_cpu(transform):
    return OCIO.Config.CreateRaw().getProcessor(transform).getDefaultCPUProcessor()


def _with_non_finite(x: np.ndarray) -> np.ndarray:
    """``x`` with NaN and +-inf in each channel in turn (OpenColorIO reads NaN as the domain's
    start), to hold our kernels to the same."""
    special = np.full((9, 3), 0.5, np.float32)
    for c in range(3):
        special[3 * c : 3 * c + 3, c] = (np.nan, np.inf, -np.inf)
    return np.concatenate([special, x])


def _ours(ops, rgb: np.ndarray) -> np.ndarray:
    return CpuRenderer().run(Program((), tuple(ops)), rgb.reshape(-1, 1, 3)).reshape(-1, 3)


def test_vlog_decode_matches_ocio_builtin():
    proc = (
        OCIO.Config.CreateRaw()
        .getProcessor(OCIO.BuiltinTransform("PANASONIC_VLOG-VGAMUT_to_ACES2065-1"))
        .getOptimizedCPUProcessor(
            OCIO.BIT_DEPTH_F32, OCIO.BIT_DEPTH_F32, OCIO.OPTIMIZATION_LOSSLESS
        )
    )
    # OpenColorIO's own V-Gamut -> AP0 matrix, measured from unit vectors
    unit = transfer.vlog_encode(np.eye(3)).astype(np.float32)
    cols = unit.copy()
    proc.applyRGB(cols)
    m_ocio = cols.T.astype(np.float64)
    np.testing.assert_allclose(m_ocio, spaces.matrix("vgamut", "ap0", "Bradford"), atol=2e-4)
    # the curve: a dense neutral ramp (the matrix keeps neutrals), within 1e-6
    v = np.linspace(0.0, 1.0, 200_001).astype(np.float32)
    y = np.repeat(v[:, None], 3, axis=1)
    proc.applyRGB(y)
    decoded_by_ocio = (y.astype(np.float64) @ np.linalg.inv(m_ocio).T)[:, 0]
    ours = transfer.vlog_decode(v.astype(np.float64))
    assert np.all(np.abs(decoded_by_ocio - ours) <= 1e-6 * np.maximum(1.0, np.abs(ours)))
    # full RGB: OCIO's float32 matrix mixes channels up to ~46 apart, so float32 precision
    x = RNG.random((200_000, 3)).astype(np.float32)
    y = x.copy()
    proc.applyRGB(y)
    ours_rgb = transfer.vlog_decode(x.astype(np.float64)) @ m_ocio.T
    assert np.abs(y - ours_rgb).max() <= 2e-6 * np.abs(ours_rgb).max()


@pytest.mark.parametrize("size", [17, 33])
def test_lut_written_by_us_read_by_ocio_matches_our_kernel(tmp_path, size):
    lut = Lut(table=RNG.uniform(-0.1, 1.2, (size, size, size, 3)))
    path = tmp_path / f"r{size}.cube"
    write_lut(lut, path)
    proc = _ocio_cpu(OCIO.FileTransform(src=str(path), interpolation=OCIO.INTERP_TETRAHEDRAL))
    x = _with_non_finite(RNG.uniform(-0.5, 1.5, (1_000_000, 3)).astype(np.float32))
    y = x.copy()
    proc.applyRGB(y)
    ours = _ours(lut_ops(read_lut(path), "t"), x)
    assert np.abs(ours - y).max() <= 1e-5


def test_lut_with_shaper_and_vlt_nodes_match_ocio(tmp_path):
    """A Resolve cube with a 1D shaper; OCIO applies shaper then 3D, as we do."""
    shaper = np.repeat(np.sqrt(np.linspace(0, 1, 1024))[:, None], 3, 1)
    lut = Lut(
        table=RNG.random((17, 17, 17, 3)),
        shaper=shaper,
        shaper_min=(-0.25,) * 3,
        shaper_max=(1.5,) * 3,
    )
    path = tmp_path / "s.cube"
    write_lut(lut, path)
    proc = _ocio_cpu(OCIO.FileTransform(src=str(path), interpolation=OCIO.INTERP_TETRAHEDRAL))
    x = _with_non_finite(RNG.uniform(-0.5, 1.7, (200_000, 3)).astype(np.float32))
    y = x.copy()
    proc.applyRGB(y)
    assert np.abs(_ours(lut_ops(read_lut(path), "t"), x) - y).max() <= 1e-5


def test_cdl_matches_ocio_no_clamp():
    slope, offset, power, sat = (1.2, 1.0, 0.8), (-0.1, 0.0, 0.05), (1.5, 1.0, 0.7), 0.5
    t = OCIO.CDLTransform()
    t.setSlope(slope)
    t.setOffset(offset)
    t.setPower(power)
    t.setSat(sat)
    t.setStyle(OCIO.CDLStyle.CDL_NO_CLAMP)
    x = RNG.uniform(-0.3, 1.5, (100_000, 3)).astype(np.float32)
    y = x.copy()
    _ocio_cpu(t).applyRGB(y)
    assert np.abs(_ours([CdlOp(slope, offset, power, sat)], x) - y).max() <= 2e-5


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed")
def test_tetrahedral_matches_ffmpeg_lut3d_on_16bit(tmp_path):
    import imagecodecs

    lut = Lut(table=RNG.random((33, 33, 33, 3)))
    write_lut(lut, tmp_path / "l.cube")
    rgb16 = RNG.integers(0, 65536, (256, 256, 3), dtype=np.uint16)
    (tmp_path / "in.png").write_bytes(imagecodecs.png_encode(rgb16))
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-i", str(tmp_path / "in.png"),
         "-vf", f"lut3d=file={tmp_path / 'l.cube'}:interp=tetrahedral",
         "-pix_fmt", "rgb48be", str(tmp_path / "out.png")],
        check=True,
    )  # fmt: skip
    theirs = imagecodecs.imread(str(tmp_path / "out.png")).astype(np.int64)
    ours = (
        CpuRenderer()
        .run(
            Program((), tuple(lut_ops(read_lut(tmp_path / "l.cube"), "t"))),
            (rgb16 / 65535.0).astype(np.float32),
            16,
        )
        .astype(np.int64)
    )
    assert np.abs(ours - theirs).max() <= 2
