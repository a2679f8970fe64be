"""A Bayer mosaic developed in one pass over the image: lsquared's demosaic and the compiled
colour path run together, band by band, and only the output is ever whole.

Each band of rows is scaled from the stored samples, white-balanced, demosaiced by Menon
2007 (``kernels.demosaic.menon_develop``), multiplied back to camera RGB, clipped, and taken
through the Program's point ops into the output (quantised there for integer formats). The
result equals the unfused path (:meth:`lsquared.io.raw.Mosaic.camera_rgb` with
``menon2007``, then the cpu renderer): the same float32 arithmetic in the same order.

A Program with lens maps (geometry) reads the demosaiced image anywhere within the maps'
reach, so there the same banded demosaic first fills the upright camera RGB image (an empty
point program), a vignetting gain multiplies it in place, and the last remap runs fused with
the point ops over bands of output rows (``kernels.geometry.remap_develop``): the remapped
image and a separate colour pass never exist.
"""

from __future__ import annotations

import numpy as np

from lsquared.io.raw import Mosaic
from lsquared.kernels.cpu import assemble, run_point_program
from lsquared.kernels.demosaic import check_bayer, menon_develop
from lsquared.kernels.geometry import FILTER_CODES, gain, remap, remap_develop
from lsquared.pipeline.ops import GainMapOp, Program, RemapOp


def develop_mosaic(mosaic: Mosaic, program: Program, bits: int = 0) -> np.ndarray:
    """``program`` (lens maps, then point ops) on the demosaiced ``mosaic``, upright: H x W
    x 3 float32, or with ``bits`` 8 or 16 unsigned integers (clamped to [0, 1], rounded
    half up)."""
    dtype = {0: np.float32, 8: np.uint8, 16: np.uint16}[bits]
    out = np.empty((*mosaic.upright_shape, 3), dtype)
    point = (*assemble(program.point), float(2**bits - 1) if bits else 0.0)
    if not program.geometry:
        _menon_into(mosaic, out, point)
        return out
    rgb = np.empty(out.shape, np.float32)
    _menon_into(mosaic, rgb, (*assemble(()), 0.0))
    *whole, last = program.geometry
    for op in whole if isinstance(last, RemapOp) else program.geometry:
        rgb = _geometry_in_place(op, rgb)
    if isinstance(last, RemapOp):
        filt = FILTER_CODES[last.filter]
        remap_develop(rgb, out, last.grid_x, last.grid_y, last.step, filt, *point)
    else:
        run_point_program(rgb, out, *point)
    return out


def _menon_into(mosaic: Mosaic, out: np.ndarray, point: tuple) -> None:
    """Menon 2007 on ``mosaic``, upright, each finished row through the assembled point
    program ``point`` (codes ... qscale) into ``out``."""
    pattern = check_bayer(mosaic.pattern)
    finite = np.empty(mosaic.samples.shape[0], np.bool_)
    quarter, mirror = mosaic.turns
    menon_develop(
        mosaic.samples, pattern, mosaic.black, mosaic.scale, mosaic.neutral, quarter % 4,
        mirror, out, *point, finite,
    )  # fmt: skip


def _geometry_in_place(op, rgb: np.ndarray) -> np.ndarray:
    """``op`` on the whole float32 image: a gain map in place, a remap into a new array."""
    if isinstance(op, GainMapOp):
        gain(rgb, rgb, op.grid, op.step)
        return rgb
    if isinstance(op, RemapOp):
        out = np.empty_like(rgb)
        remap(rgb, out, op.grid_x, op.grid_y, op.step, FILTER_CODES[op.filter])
        return out
    raise TypeError(f"not a geometry op: {type(op).__name__}")
