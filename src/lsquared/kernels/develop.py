"""A Bayer mosaic developed in one pass over the image: lsquared's demosaic and the compiled
colour path run together, band by band, and only the output is ever whole.

Each band of rows is scaled from the stored samples, white-balanced, demosaiced by Menon
2007 (``kernels.demosaic.menon_develop``), multiplied back to camera RGB, clipped, and taken
through the Program's point ops into the output (quantised there for integer formats). The
result equals the unfused path (:meth:`lsquared.io.raw.Mosaic.camera_rgb` with
``menon2007``, then the cpu renderer): the same float32 arithmetic in the same order.
Geometry ops need the whole image, so a Program with any is refused here.
"""

from __future__ import annotations

import numpy as np

from lsquared.io.raw import Mosaic
from lsquared.kernels.cpu import assemble
from lsquared.kernels.demosaic import check_bayer, menon_develop
from lsquared.pipeline.ops import Program


def develop_mosaic(mosaic: Mosaic, program: Program, bits: int = 0) -> np.ndarray:
    """``program``'s point ops on the demosaiced ``mosaic``, upright: H x W x 3 float32, or
    with ``bits`` 8 or 16 unsigned integers (clamped to [0, 1], rounded half up)."""
    if program.geometry:
        raise ValueError("geometry ops need the whole demosaiced image, not bands")
    pattern = check_bayer(mosaic.pattern)
    dtype = {0: np.float32, 8: np.uint8, 16: np.uint16}[bits]
    out = np.empty((*mosaic.upright_shape, 3), dtype)
    finite = np.empty(mosaic.samples.shape[0], np.bool_)
    quarter, mirror = mosaic.turns
    menon_develop(
        mosaic.samples, pattern, mosaic.black, mosaic.scale, mosaic.neutral, quarter % 4,
        mirror, out, *assemble(program.point), float(2**bits - 1) if bits else 0.0, finite,
    )  # fmt: skip
    return out
