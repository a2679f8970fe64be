"""A :class:`~lsquared.looks.lut.Lut` applied through OpenColorIO's CPU processor, in spans
of pixels on all cores, and ``lsq lut apply``'s whole job (:func:`apply_to_image`).

Why OpenColorIO and not lsquared's numba kernel here: applying a LUT to one still image is a
whole process for a single pass, and numba's import and the loading of its compiled code
cost more than the pass itself; OpenColorIO's processor is C++ built when asked (no JIT to
load) and releases the GIL, so spans of pixels run in parallel threads. Pixels go through
its float RGBA path (see :func:`_apply_span`), which ``benchmarks/run.py lut`` times beside
the numba kernel. Clips (many frames in one process) keep the numba kernel, whose start-up
is paid once.

The Lut becomes OpenColorIO transforms with the same meaning as lsquared's LUT ops: a domain
is a scale and offset onto [0, 1] before the table (OpenColorIO clamps a LUT's input to
[0, 1]), a shaper is a 1D LUT (linear), a .vlt's 12-bit nodes are the 4096-entry 1D table of
:meth:`Lut.index_shaper` before a uniform 3D table (tetrahedral or trilinear).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from lsquared.errors import LutError, OutputError
from lsquared.io import stills
from lsquared.io.atomic import check_writable_target
from lsquared.looks.files import read_lut
from lsquared.looks.lut import Lut

#: spans of pixels per worker thread: a span that waits behind another process's work does
#: not hold up the others for long
SPANS_PER_WORKER = 4
#: pixels converted to float RGBA at a time (512 KB: the buffer stays in a core's cache)
PIECE = 32768


def worker_count() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _domain(ocio, lo, hi) -> list:
    """[] for the unit domain, else the scale and offset taking [lo, hi] to [0, 1]."""
    lo, hi = np.asarray(lo, np.float64), np.asarray(hi, np.float64)
    if np.array_equal(lo, np.zeros(3)) and np.array_equal(hi, np.ones(3)):
        return []
    scale = 1.0 / (hi - lo)
    matrix = np.diag([*scale, 1.0]).ravel().tolist()
    return [ocio.MatrixTransform(matrix=matrix, offset=[*(-lo * scale), 0.0])]


def _lut1d(ocio, table: np.ndarray):
    """An M x 3 table as a linear 1D LUT."""
    transform = ocio.Lut1DTransform()
    transform.setLength(table.shape[0])
    transform.setData(np.ascontiguousarray(table, np.float32).ravel())
    transform.setInterpolation(ocio.INTERP_LINEAR)
    return transform


def _lut3d(ocio, table: np.ndarray, interpolation: str):
    """``table[r, g, b]`` as a 3D LUT (OpenColorIO's data is in the same order)."""
    transform = ocio.Lut3DTransform()
    transform.setGridSize(table.shape[0])
    transform.setData(np.ascontiguousarray(table, np.float32).ravel())
    methods = {"tetrahedral": ocio.INTERP_TETRAHEDRAL, "trilinear": ocio.INTERP_LINEAR}
    transform.setInterpolation(methods[interpolation])
    return transform


def transform(lut: Lut, interpolation: str = "tetrahedral") -> Any:
    """The LUT as an OpenColorIO GroupTransform: shaper, .vlt node map, 3D table."""
    import PyOpenColorIO as ocio

    steps: list = []
    if lut.shaper is not None:
        steps += [*_domain(ocio, lut.shaper_min, lut.shaper_max), _lut1d(ocio, lut.shaper)]
    if lut.table is not None:
        steps += _domain(ocio, lut.domain_min, lut.domain_max)
        index = lut.index_shaper()
        if index is not None:
            steps.append(_lut1d(ocio, index))
        steps.append(_lut3d(ocio, lut.table, interpolation))
    return ocio.GroupTransform(steps)


def _rgba_processor(lut: Lut, interpolation: str, dtype: np.dtype) -> Any:
    """A float32 RGBA CPU processor for pixels of ``dtype`` cast to float: integer codes
    are scaled by 1 / max before the LUT, and after it clamped to [0, 1], scaled by max
    and offset by 0.5, so that casting back (truncation) rounds half up."""
    import PyOpenColorIO as ocio

    steps = [transform(lut, interpolation)]
    if dtype in stills.CODE_TYPES:
        top = float(np.iinfo(dtype).max)
        unit = np.diag([1.0 / top, 1.0 / top, 1.0 / top, 1.0]).ravel().tolist()
        steps.insert(0, ocio.MatrixTransform(matrix=unit))
        steps.append(ocio.RangeTransform(0.0, 1.0, 0.5, top + 0.5))
    elif dtype != np.float32:
        raise TypeError(f"OpenColorIO applies LUTs to uint8, uint16 or float32, not {dtype}")
    processor = ocio.Config.CreateRaw().getProcessor(ocio.GroupTransform(steps))
    depth = ocio.BIT_DEPTH_F32
    return processor.getOptimizedCPUProcessor(depth, depth, ocio.OPTIMIZATION_LOSSLESS)


def _apply_span(cpu, flat: np.ndarray) -> None:
    """``cpu`` on RGB pixels ``flat`` (N x 3), piece by piece through an RGBA float buffer
    that stays in the core's cache: OpenColorIO's packed-RGB path converts each pixel on
    its own and runs several times slower than its float RGBA one. Copied a channel at a
    time: numpy copies a long column fast and a 3-value row at a time slowly."""
    rgba = np.zeros((min(PIECE, flat.shape[0]), 4), np.float32)
    for start in range(0, flat.shape[0], PIECE):
        rgb = flat[start : start + PIECE]
        piece = rgba[: rgb.shape[0]]
        for c in range(3):
            piece[:, c] = rgb[:, c]
        cpu.applyRGBA(piece)
        for c in range(3):
            np.copyto(rgb[:, c], piece[:, c], casting="unsafe")


def apply_in_place(
    lut: Lut, pixels: np.ndarray, interpolation: str = "tetrahedral", workers: int = 0
) -> np.ndarray:
    """Apply ``lut`` to ``pixels`` (... x 3, C-contiguous, native uint8, uint16 or float32)
    in place and return them. Integers are read as code / max and written back rounded
    half up, clamped to the type's range, as OpenColorIO's processors at that bit depth
    do; float values outside a table's domain are clamped to it before the lookup, and
    what a table holds outside [0, 1] comes out as it is. ``workers`` threads (all cores
    when 0) take spans of pixels."""
    if not (pixels.flags.c_contiguous and pixels.flags.writeable):
        raise ValueError("OpenColorIO applies a LUT in place: pixels must be C-contiguous")
    cpu = _rgba_processor(lut, interpolation, pixels.dtype)
    flat = pixels.reshape(-1, 3)
    workers = workers or worker_count()
    spans = np.array_split(flat, max(1, min(workers * SPANS_PER_WORKER, flat.shape[0])))
    if workers == 1:
        for span in spans:
            _apply_span(cpu, span)
    else:
        with ThreadPoolExecutor(workers, thread_name_prefix="lsq-ocio") as pool:
            for _ in pool.map(lambda span: _apply_span(cpu, span), spans):
                pass
    return pixels


#: the most points per axis an OpenColorIO 3D LUT holds (a .cube may have up to 256)
MAX_GRID = 129
#: applies a LUT OpenColorIO cannot hold: (lut, stored pixels, interpolation, output bits,
#: 0 for float) -> the output pixels
LargeLutApplier = Callable[[Lut, np.ndarray, str, int], np.ndarray]


def apply_to_image(
    source: Path,
    lut_path: Path,
    out: Path,
    method: str = "tetrahedral",
    depth: str | None = None,
    large: LargeLutApplier | None = None,
) -> tuple[Path, list[str]]:
    """Apply a LUT file to an image's code values (no colour management) and write it in
    the format its suffix names, keeping the data: float in gives float out with values
    outside [0, 1] kept, integers keep their bit depth (and are processed as stored, without
    a float copy); ``depth`` (8, 16, float, half) overrides. Returns (path, notes for the
    user). A 3D table over :data:`MAX_GRID` points goes to ``large`` (the caller's renderer;
    without one it is refused). Not in the engine: its import loads the recipe compiler,
    which this does not use."""
    check_writable_target(out, [source, lut_path])
    try:
        fmt = stills.depth_format(out.suffix, depth) if depth else None
    except ValueError as e:
        raise OutputError(out, str(e)) from None
    lut = read_lut(lut_path)
    if lut.size > MAX_GRID and large is None:
        raise LutError(lut_path, f"{lut.size}^3: OpenColorIO holds at most {MAX_GRID}^3")
    pixels = stills.read_image_stored(source)
    notes: list[str] = []
    if fmt is None:
        try:
            fmt, note = stills.keeping_format(out.suffix, pixels.dtype)
        except ValueError:
            raise OutputError(out, "choose a .tif, .png, .jpg or .exr output") from None
        notes += [note] if note else []
    bits = stills.BITS[fmt]
    if lut.size > MAX_GRID:  # (refused above without ``large``)
        result = large(lut, pixels, method, bits)
    else:
        result = apply_in_place(lut, stills.in_place_pixels(pixels, bits), method)
    return stills.write_image(out, result, fmt, inputs=[source, lut_path]), notes
