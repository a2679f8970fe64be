"""A DNG's raw image read with tifffile + imagecodecs, linearised as the specification says
(DNG 1.7.1, chapter 5, "Mapping Raw Values to Linear Reference Values"), with its opcode
lists 1 and 2 applied: the DNG SDK's "stage 2" image.

This is the raw path for what LibRaw (in the rawpy wheel) cannot read, such as DNG 1.7's
JPEG XL tiles (compression 52546), and the source of the opcode lists for every DNG.
Linearisation, in order: OpcodeList1 on the stored values (code / 65535), the
LinearizationTable, the crop to ActiveArea, BlackLevel (repeating over BlackLevelRepeatDim,
plus BlackLevelDeltaV per row and BlackLevelDeltaH per column) subtracted, the result divided
by WhiteLevel - black and clipped to [0, 1], then OpcodeList2.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lsquared.errors import InputError, UnsupportedError
from lsquared.io import opcodes

JPEG_XL = 52546
CFA_PHOTOMETRIC, LINEAR_RAW_PHOTOMETRIC = 32803, 34892
_RATIONAL_TYPES = (5, 10)


@dataclass(frozen=True)
class DngRaw:
    """The raw IFD of a DNG: where it is and its tags (pixels are read on demand)."""

    path: Path
    page_index: tuple[int, ...]  # (page,) or (page, sub IFD)
    compression: int
    photometric: int
    width: int
    height: int
    samples: int
    #: colour index (0 R, 1 G, 2 B) of each site of the CFA's repeat pattern (CFA only)
    cfa: np.ndarray | None
    black: np.ndarray  # (rows, cols, samples) repeat pattern
    black_delta_v: np.ndarray | None
    black_delta_h: np.ndarray | None
    white: np.ndarray  # per sample
    linearization: np.ndarray | None
    interleave: tuple[int, int]  # RowInterleaveFactor, ColumnInterleaveFactor
    float_data: bool  # SampleFormat 3
    active_area: tuple[int, int, int, int]  # top, left, bottom, right
    opcode_lists: tuple[tuple[opcodes.Opcode, ...], ...]  # lists 1, 2, 3

    @property
    def code_max(self) -> float:
        """The stage-2/3 code of 1.0: 65535 for integer raws (the SDK's 16-bit stage images),
        1 for floating-point ones."""
        return 1.0 if self.float_data else 65535.0

    @property
    def active_size(self) -> tuple[int, int]:
        top, left, bottom, right = self.active_area
        return right - left, bottom - top

    def lens_opcodes(self) -> tuple[opcodes.Opcode, ...]:
        """List 3's opcodes that the lens stage applies."""
        return tuple(op for op in self.opcode_lists[2] if op.id in opcodes.LENS_IDS)

    def pixel_opcodes(self) -> tuple[opcodes.Opcode, ...]:
        """List 3's opcodes applied while decoding (the rest of the list)."""
        return tuple(op for op in self.opcode_lists[2] if op.id not in opcodes.LENS_IDS)


def _value(page, name: str, default=None):
    """A tag's value, rationals as floats (tifffile gives them as flat numerator,
    denominator pairs)."""
    tag = page.tags.get(name)
    if tag is None:
        return default
    value = tag.value
    if tag.dtype in _RATIONAL_TYPES:
        pairs = np.asarray(value, dtype=np.float64).reshape(-1, 2)
        return pairs[:, 0] / np.where(pairs[:, 1] == 0, 1, pairs[:, 1])
    return value


def _raw_page(tif):
    """The full-resolution raw IFD: NewSubfileType 0 with a CFA or LinearRaw photometric,
    in IFD0 or a SubIFD (DNG 1.7.1, chapter 3)."""
    for i, page in enumerate(tif.pages):
        for j, candidate in enumerate([page, *(page.pages or [])]):
            subfile = _value(candidate, "NewSubfileType", 0)
            photometric = int(candidate.photometric)
            if subfile == 0 and photometric in (CFA_PHOTOMETRIC, LINEAR_RAW_PHOTOMETRIC):
                return (i,) if j == 0 else (i, j - 1), candidate
    return None, None


def _cfa(page, path: Path) -> np.ndarray:
    dim = tuple(int(v) for v in _value(page, "CFARepeatPatternDim", (2, 2)))
    pattern = np.frombuffer(bytes(_value(page, "CFAPattern", b"")), dtype=np.uint8)
    if len(dim) != 2 or pattern.size != dim[0] * dim[1] or pattern.size == 0:
        raise InputError(path, "CFAPattern does not match CFARepeatPatternDim")
    if dim != (2, 2) or pattern.max() > 2:
        raise UnsupportedError(path, f"CFA pattern {dim} {pattern.tolist()}: only 2x2 RGB Bayer")
    return pattern.reshape(dim).astype(np.int64)


def _opcode_lists(page, path: Path, cfa: bool) -> tuple[tuple[opcodes.Opcode, ...], ...]:
    """Opcode lists 1, 2, 3, each reduced to the opcodes lsquared applies (one it cannot is
    a warning if optional, else an error: :func:`opcodes.usable`)."""
    lists = []
    for n in (1, 2, 3):
        data = _value(page, f"OpcodeList{n}")
        where = f"{path} OpcodeList{n}"
        ops = opcodes.decode(bytes(data), where) if data else []
        lists.append(opcodes.usable(ops, n, where, cfa))
    return tuple(lists)


def _interleave(page, path: Path) -> tuple[int, int]:
    factors = (int(_value(page, "RowInterleaveFactor", 1)),
               int(_value(page, "ColumnInterleaveFactor", 1)))  # fmt: skip
    if min(factors) < 1:
        raise InputError(path, f"interleave factors {factors} must be 1 or more")
    return factors


def read_info(path: str | Path) -> DngRaw | None:
    """The raw IFD's description, or None when the file is not a DNG with one."""
    import tifffile

    path = Path(path)
    try:
        with tifffile.TiffFile(path) as tif:
            if not len(tif.pages) or "DNGVersion" not in tif.pages[0].tags:
                return None
            index, page = _raw_page(tif)
            if page is None:
                return None
            return _describe(path, index, page)
    except (InputError, UnsupportedError):
        raise
    except Exception as e:  # tifffile on a damaged file raises anything; say so in one line
        raise InputError(path, f"cannot read the DNG's raw image tags: {e}") from None


def _describe(path: Path, index, page) -> DngRaw:
    samples = int(page.samplesperpixel)
    photometric = int(page.photometric)
    black_dim = tuple(int(v) for v in _value(page, "BlackLevelRepeatDim", (1, 1)))
    black = np.ravel(np.asarray(_value(page, "BlackLevel", [0.0]), dtype=np.float64))
    if black.size == 1:
        black = np.full(black_dim[0] * black_dim[1] * samples, black[0])
    if black.size != black_dim[0] * black_dim[1] * samples:
        raise InputError(path, f"BlackLevel has {black.size} values for {black_dim} x {samples}")
    white = np.ravel(
        np.asarray(_value(page, "WhiteLevel", [2 ** int(page.bitspersample) - 1]), float)
    )
    white = np.broadcast_to(white, (samples,)).astype(np.float64) if white.size in (1, samples) \
        else None  # fmt: skip
    if white is None:
        raise InputError(path, "WhiteLevel has the wrong number of values")
    full = (0, 0, page.imagelength, page.imagewidth)
    area = tuple(int(v) for v in _value(page, "ActiveArea", full))
    top, left, bottom, right = area
    if not (0 <= top < bottom <= page.imagelength and 0 <= left < right <= page.imagewidth):
        raise InputError(path, f"ActiveArea {area} outside the {page.imagewidth}x"
                         f"{page.imagelength} raw image")  # fmt: skip
    table = _value(page, "LinearizationTable")
    dv, dh = _value(page, "BlackLevelDeltaV"), _value(page, "BlackLevelDeltaH")
    return DngRaw(
        path=path, page_index=index, compression=int(page.compression), photometric=photometric,
        width=int(page.imagewidth), height=int(page.imagelength), samples=samples,
        cfa=_cfa(page, path) if photometric == CFA_PHOTOMETRIC else None,
        black=black.reshape(*black_dim, samples),
        black_delta_v=np.asarray(dv, float) if dv is not None else None,
        black_delta_h=np.asarray(dh, float) if dh is not None else None,
        white=white, linearization=np.asarray(table, float) if table is not None else None,
        float_data=int(page.sampleformat) == 3,
        interleave=_interleave(page, path),
        active_area=area,
        opcode_lists=_opcode_lists(page, path, photometric == CFA_PHOTOMETRIC),
    )  # fmt: skip


def _raw_ifd(tif, info: DngRaw):
    """The raw IFD of ``info`` in the opened file ``tif`` (IFD0 or a SubIFD)."""
    page = tif.pages[info.page_index[0]]
    return page.pages[info.page_index[1]] if len(info.page_index) == 2 else page


def read_stored(info: DngRaw) -> np.ndarray:
    """The stored raw samples, H x W x samples (tifffile; imagecodecs decodes JPEG XL)."""
    import tifffile

    try:
        with tifffile.TiffFile(info.path) as tif:
            data = _raw_ifd(tif, info).asarray(maxworkers=2)
    except Exception as e:  # any codec failure is a damaged file to the user
        raise InputError(info.path, f"cannot decode the raw image data: {e}") from None
    data = data.reshape(info.height, info.width, info.samples)
    for axis, factor in enumerate(info.interleave):
        if factor > 1:
            data = _deinterleave(data, factor, axis)
    return data


def uncompressed_bayer(info: DngRaw) -> bool:
    """Whether the raw IFD holds uncompressed samples of a 2 x 2 colour filter array."""
    return info.compression == 1 and info.cfa is not None and info.cfa.shape == (2, 2)


def plain_cfa_samples(info: DngRaw) -> np.ndarray | None:
    """The active area's CFA samples as stored, H x W native uint16 read straight from the
    file, when the raw IFD is one that LibRaw would only copy: uncompressed 16-bit samples
    in one contiguous run, a 2 x 2 CFA and black pattern without per-line deltas, and no
    LinearizationTable, interleaving or opcode lists 1 and 2 (those make stage 2 differ
    from the stored values). None otherwise, or when the file is shorter than its samples
    (LibRaw's decode then reports it)."""
    if not (
        uncompressed_bayer(info) and info.samples == 1 and not info.float_data
        and info.black.shape[0] in (1, 2) and info.black.shape[1] in (1, 2)
        and info.black_delta_v is None and info.black_delta_h is None
        and info.linearization is None and info.interleave == (1, 1)
        and not any(info.opcode_lists[:2])
    ):  # fmt: skip
        return None
    import tifffile

    with tifffile.TiffFile(info.path) as tif:
        page = _raw_ifd(tif, info)
        dtype = np.dtype(tif.byteorder + "u2")
        size = 2 * info.width * info.height
        if not page.is_contiguous or page.bitspersample != 16 or sum(page.databytecounts) != size:
            return None
        offset = int(page.dataoffsets[0])
        stored = np.fromfile(info.path, dtype, info.width * info.height, offset=offset)
    if stored.size != info.width * info.height:
        return None
    top, left, bottom, right = info.active_area
    active = stored.reshape(info.height, info.width)[top:bottom, left:right]
    return np.ascontiguousarray(active, dtype=np.uint16)


def black_per_phase(info: DngRaw) -> np.ndarray:
    """BlackLevel of each 2 x 2 CFA phase (its repeat pattern tiled), float32."""
    rows, cols = info.black.shape[:2]
    return np.tile(info.black[:, :, 0], (2 // rows, 2 // cols)).astype(np.float32)


def _deinterleave(stored: np.ndarray, factor: int, axis: int) -> np.ndarray:
    """Undo RowInterleaveFactor / ColumnInterleaveFactor (DNG 1.2 and 1.7.1, chapter 4):
    the stored lines are grouped by field, line i of the image being line i // factor of
    field i % factor; field k holds n // factor lines, plus one when k < n % factor."""
    stored = np.moveaxis(stored, axis, 0)
    out = np.empty_like(stored)
    n, start = stored.shape[0], 0
    for k in range(factor):
        count = n // factor + (1 if k < n % factor else 0)
        out[k::factor] = stored[start : start + count]
        start += count
    return np.moveaxis(out, 0, axis)


def _subtract_black(info: DngRaw, values: np.ndarray) -> np.ndarray:
    """(value - black) / (white - black) per repeat-pattern site, black including the
    per-row and per-column deltas; float32, not clipped, computed in place."""
    rows, cols, _ = info.black.shape
    height, width = values.shape[:2]
    dv, dh = info.black_delta_v, info.black_delta_h
    dv = dv[:height, None, None].astype(np.float32) if dv is not None and len(dv) >= height else 0
    dh = dh[None, :width, None].astype(np.float32) if dh is not None and len(dh) >= width else 0
    linear = values.astype(np.float32)
    if np.ndim(dv):
        linear -= dv
    if np.ndim(dh):
        linear -= dh
    if not (np.ndim(dv) or np.ndim(dh)) and np.all(info.black == info.black[0, 0]):
        black = info.black[0, 0]  # one black per sample: whole-array passes, not per site
        linear -= black.astype(np.float32)
        linear *= (1.0 / np.maximum(info.white - black, 1e-9)).astype(np.float32)
        return linear
    for i in range(rows):
        for j in range(cols):
            site = linear[i::rows, j::cols]
            black = info.black[i, j]
            site -= black.astype(np.float32)
            if np.ndim(dv) or np.ndim(dh):  # the range shrinks by the per-line black
                line_black = (
                    black
                    + (dv[i::rows] if np.ndim(dv) else 0)
                    + (dh[:, j::cols] if np.ndim(dh) else 0)
                )
                site /= np.maximum(info.white - line_black, 1e-9).astype(np.float32)
            else:
                site *= (1.0 / np.maximum(info.white - black, 1e-9)).astype(np.float32)
    return linear


def linearise(info: DngRaw, stored: np.ndarray) -> np.ndarray:
    """Stored samples to linear [0, 1] float32 over the active area, with opcode lists 1
    and 2 applied (the SDK's stage 2). List 1 sees code / (the stored type's largest code)."""
    where = str(info.path)
    values = stored
    if info.opcode_lists[0]:
        code = float(np.iinfo(stored.dtype).max) if stored.dtype.kind in "ui" else 1.0
        stage1 = stored.astype(np.float32) * np.float32(1 / code)
        stage1 = opcodes.apply_list(stage1, info.opcode_lists[0], f"{where} OpcodeList1", code, 1)
        values = np.rint(stage1 * code) if code > 1 else stage1
    top, left, bottom, right = info.active_area
    return linearise_active(info, values[top:bottom, left:right])


def linearise_active(info: DngRaw, values: np.ndarray) -> np.ndarray:
    """The active area's samples (list 1 already applied) to linear [0, 1] float32 with
    opcode list 2 applied: the second half of :func:`linearise`, for samples a caller
    already holds (LibRaw's visible raw buffer)."""
    where = str(info.path)
    if info.linearization is not None and len(info.linearization):
        table = info.linearization
        values = table[np.clip(values.astype(np.int64), 0, len(table) - 1)]
    linear = _subtract_black(info, values)
    np.clip(linear, 0.0, 1.0, out=linear)
    return opcodes.apply_list(
        linear, info.opcode_lists[1], f"{where} OpcodeList2", info.code_max, 2
    )


def read_stage2(path: str | Path) -> tuple[DngRaw, np.ndarray]:
    """The DNG's stage-2 image (linearised, lists 1 and 2 applied) and its description."""
    info = read_info(path)
    if info is None:
        raise InputError(path, "not a DNG with a raw image")
    return info, linearise(info, read_stored(info))
