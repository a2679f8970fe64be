"""A Bayer mosaic developed in one pass over the image: lsquared's demosaic and the compiled
colour path run together, band by band, and only the output is ever whole.

Each band of rows is scaled from the stored samples, white-balanced, demosaiced by Menon
2007 (``kernels.demosaic.menon_develop``), multiplied back to camera RGB, clipped, and taken
through the Program's point ops into the output (quantised there for integer formats). The
result equals the unfused path (:meth:`lsquared.io.raw.Mosaic.camera_rgb` with
``menon2007``, then the cpu renderer): the same float32 arithmetic in the same order.

Lens maps (a Program's geometry: vignetting gains, then one remap) read the demosaiced image
anywhere within the remap's reach, so a lens-corrected develop runs in chunks of output
rows: the upright camera RGB rows a chunk samples (``kernels.geometry.source_rows``) are
demosaiced by the same banded Menon passes (``kernels.demosaic.menon_rgb``) into a reused
buffer, multiplied by the gains in place, and the remap runs fused with the point ops over
the chunk's output rows (``kernels.geometry.remap_develop``). The remapped image and a
separate colour pass never exist; neighbouring chunks demosaic the rows between them twice.
In a frame turned a quarter the upright rows are stored columns: one chunk is then the
whole image.
"""

from __future__ import annotations

import numba
import numpy as np

from lsquared.io.raw import Mosaic
from lsquared.kernels.cpu import assemble, run_point_program
from lsquared.kernels.demosaic import MENON_BAND, check_bayer, menon_develop, menon_rgb
from lsquared.kernels.geometry import FILTER_CODES, gain, remap_develop, source_rows
from lsquared.pipeline.ops import GainMapOp, Program, RemapOp

#: output rows per chunk of a lens-corrected develop (its buffer holds about as many rows
#: of camera RGB float32, plus the remap's reach)
LENS_CHUNK = 8 * MENON_BAND


def _lens_maps(geometry: tuple) -> tuple[tuple, RemapOp | None]:
    """The ops before a last remap, and that remap (None when the last op is not one)."""
    if geometry and isinstance(geometry[-1], RemapOp):
        return geometry[:-1], geometry[-1]
    return geometry, None


def banded_geometry(geometry: tuple) -> bool:
    """Whether :func:`develop_mosaic` runs these lens maps: gain maps, then at most one
    remap, last."""
    return all(isinstance(op, GainMapOp) for op in _lens_maps(geometry)[0])


def develop_mosaic(mosaic: Mosaic, program: Program, bits: int = 0) -> np.ndarray:
    """``program`` (lens maps, then point ops) on the demosaiced ``mosaic``, upright: H x W
    x 3 float32, or with ``bits`` 8 or 16 unsigned integers (clamped to [0, 1], rounded
    half up)."""
    if not banded_geometry(program.geometry):
        raise ValueError("only gain maps and a last remap run on a demosaic in bands")
    dtype = {0: np.float32, 8: np.uint8, 16: np.uint16}[bits]
    out = np.empty((*mosaic.upright_shape, 3), dtype)
    point = (*assemble(program.point), float(2**bits - 1) if bits else 0.0)
    h = mosaic.samples.shape[0]
    if not program.geometry:
        _menon_develop(mosaic, out, point)
        return out
    gains, remap = _lens_maps(program.geometry)
    width = out.shape[1]
    buffer = np.empty(0, np.float32)
    for y0, y1, a, b in _lens_chunks(mosaic, remap, *out.shape[:2]):
        if buffer.size < (b - a) * width * 3:
            buffer = np.empty((b - a) * width * 3, np.float32)
        rgb = buffer[: (b - a) * width * 3].reshape(b - a, width, 3)
        stored = {0: (a, b), 2: (h - b, h - a)}.get(mosaic.turns[0] % 4, (0, h))
        _camera_rgb_rows(mosaic, *stored, rgb, a)
        for op in gains:
            gain(rgb, rgb, op.grid, op.step, a)
        if remap is None:
            run_point_program(rgb, out[y0:y1], *point)
            continue
        filt = FILTER_CODES[remap.filter]
        remap_develop(rgb, out, remap.grid_x, remap.grid_y, remap.step, filt, y0, y1, a, *point)
    return out


def _lens_chunks(mosaic: Mosaic, remap: RemapOp | None, height: int, width: int):
    """Per chunk: its upright output rows [y0, y1) and the upright camera RGB rows [a, b)
    they read (in a frame turned a quarter, whose upright rows are stored columns, all)."""
    if mosaic.turns[0] % 2:
        yield 0, height, 0, height
        return
    for y0 in range(0, height, LENS_CHUNK):
        y1 = min(y0 + LENS_CHUNK, height)
        if remap is None:
            yield y0, y1, y0, y1
        else:
            yield y0, y1, *source_rows(remap.grid_y, remap.step, y0, y1, width, height)


def _menon_develop(mosaic: Mosaic, out: np.ndarray, point: tuple) -> None:
    """Menon 2007 on ``mosaic``, upright, each finished row through the assembled point
    program ``point`` (codes ... qscale) into ``out``."""
    pattern = check_bayer(mosaic.pattern)
    finite = np.empty(mosaic.samples.shape[0], np.bool_)
    quarter, mirror = mosaic.turns
    menon_develop(
        mosaic.samples, pattern, mosaic.black, mosaic.scale, mosaic.neutral, quarter % 4,
        mirror, out, *point, finite,
    )  # fmt: skip


def _camera_rgb_rows(mosaic: Mosaic, r0: int, r1: int, out: np.ndarray, first: int) -> None:
    """The camera RGB of the stored rows [r0, r1) of ``mosaic`` (Menon 2007, multiplied
    back by the neutral, clipped to [0, 1]), upright, into ``out``, whose row 0 is upright
    row ``first``."""
    pattern = check_bayer(mosaic.pattern)
    finite = np.empty(mosaic.samples.shape[0], np.bool_)
    quarter, mirror = mosaic.turns
    lo, hi = np.float32(0.0), np.float32(1.0)
    menon_rgb(
        mosaic.samples, pattern, mosaic.black, mosaic.scale, lo, hi, mosaic.neutral, True,
        True, quarter % 4, mirror, r0, r1, _band_rows(r1 - r0), first, out, finite,
    )  # fmt: skip


def _band_rows(rows: int) -> int:
    """Rows per band for ``rows`` rows: about MENON_BAND, in a number of bands that the
    threads share evenly (a chunk's rows are not a multiple of MENON_BAND, and a short last
    band would leave a thread idle while another works)."""
    threads = numba.get_num_threads()
    bands = -(-max(rows, 1) // MENON_BAND)
    bands = -(-bands // threads) * threads
    return max(-(-rows // bands), 1)
