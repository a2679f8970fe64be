"""RAW decoding through rawpy (LibRaw): demosaic only. White balance and the colour matrix
are applied later by lsquared's own pipeline from the file's metadata, so that photos and
video share one colour path; LibRaw is asked for demosaiced *camera* RGB with unit white
balance, linear, unscaled (black subtracted, the file's white level mapped to 1.0: LibRaw's
``adjust_maximum_thr`` is off, so the white level never comes from the image's brightest
pixel).

DNGs follow the specification's stages (DNG 1.7.1, chapters 5 and 7; ``io.dngraw``): their
opcode lists 1 and 2 are applied to the linearised CFA data (the SDK's stage 2), which is
written back into LibRaw's raw buffer as black + stage2 * (white - black) in LibRaw's own
levels, so that LibRaw demosaics exactly the stage-2 image; list 3's pixel opcodes are
applied to the demosaiced camera RGB (its warp and vignette are the lens stage's). What
LibRaw cannot read (JPEG XL tiles, compression 52546) is decoded by tifffile + imagecodecs
and demosaiced by the ``cfa_demosaic`` function the caller supplies (the engine passes
``kernels.demosaic.malvar2004``, or ``bilinear`` for ``LINEAR``, ``menon2007`` for
``MENON``); a linear DNG needs none. Asked for one of ``OWN_DEMOSAIC``,
a Bayer file LibRaw reads is demosaiced by ``cfa_demosaic`` too, from LibRaw's visible CFA
samples (after the stage-2 write-back) scaled as LibRaw scales them; other files (X-Trans,
linear) are left to LibRaw, which does not run its Bayer demosaic on them. A plain Bayer DNG
(uncompressed 16-bit samples, stage 2 equal to the stored values: ``dngraw.plain_cfa_samples``)
has its samples read from the file directly: LibRaw's unpack and copy of such a file only
copy them, and cost more than the read; any other uncompressed Bayer DNG gives its stage-2
image as the mosaic, in float32, rather than written back into LibRaw's levels.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from lsquared.errors import InputError, UnsupportedError
from lsquared.image import Encoding, Image
from lsquared.io import dngraw, meta, opcodes
from lsquared.io.names import DEMOSAIC, OWN_DEMOSAIC
from lsquared.io.native import native_stderr_silenced
from lsquared.metadata import ColorCalibration, Metadata

CAMERA_RAW = Encoding("camera", "linear", "scene")
RAW_SUFFIXES = (
    ".dng", ".rw2", ".raw", ".rwl", ".cr2", ".cr3", ".nef", ".nrw", ".arw", ".srf", ".sr2",
    ".orf", ".raf", ".pef", ".srw", ".3fr", ".fff", ".iiq", ".x3f", ".mos", ".kdc", ".erf",
)  # fmt: skip


def _rawpy():
    import rawpy

    return rawpy


#: OpenMP threads for LibRaw's demosaic in this process (None: LibRaw's default, one per core)
_decode_threads: int | None = None


def limit_decode_threads(threads: int | None) -> None:
    """Cap the OpenMP threads LibRaw (inside rawpy's wheel) demosaics with, in this process.
    A batch worker is one core: two workers each demosaicing with two spinning OpenMP
    threads on two cores decode no faster than with one (measured on a 10.7 MP DNG: 0.37 s
    with two threads alone, 0.61 s with one, 0.62 s per worker for two two-thread workers)."""
    global _decode_threads
    _decode_threads = threads


@functools.cache
def _openmp_runtimes() -> tuple:
    """The libgomp copies loaded in this process (rawpy's wheel brings its own), found once
    (decoding has loaded rawpy by the time this is asked)."""
    try:
        maps = Path("/proc/self/maps").read_text().splitlines()
    except OSError:  # not Linux: leave LibRaw's default
        return ()
    runtimes = []
    for library in sorted({line.split()[-1] for line in maps if "libgomp" in line}):
        with contextlib.suppress(OSError):
            runtimes.append(ctypes.CDLL(library))
    return tuple(runtimes)


def _apply_openmp_threads(threads: int) -> None:
    """``omp_set_num_threads`` on the loaded libgomp, for the calling thread (OpenMP API 5.2,
    3.2.1); ``OMP_NUM_THREADS`` is read only once, when libgomp loads."""
    for runtime in _openmp_runtimes():
        with contextlib.suppress(AttributeError):
            runtime.omp_set_num_threads(threads)


def supported_demosaic() -> tuple[str, ...]:
    """Demosaic algorithms that this rawpy wheel supports, AHD first."""
    rawpy = _rawpy()
    return tuple(a for a in DEMOSAIC if rawpy.DemosaicAlgorithm[a].isSupported)


def _open_checked(path: Path):
    rawpy = _rawpy()
    try:
        with native_stderr_silenced():
            return rawpy.imread(str(path))
    except rawpy.LibRawFileUnsupportedError:
        raise InputError(path, "not a RAW file LibRaw can read") from None
    except rawpy.LibRawIOError as e:
        detail = e.args[0].decode() if e.args and isinstance(e.args[0], bytes) else str(e)
        raise InputError(
            path, f"not a readable RAW file: truncated or damaged ({detail})"
        ) from None
    except (rawpy.LibRawError, OSError) as e:
        raise InputError(path, f"cannot open RAW: {e}") from None


def _libraw_calibration(raw, exif_cal: ColorCalibration | None) -> ColorCalibration:
    """The DNG tags when present, else LibRaw's built-in matrix (Adobe's D65 ColorMatrix)
    and the camera's white balance multipliers (``raw`` is None for a DNG decoded without
    LibRaw: then the tags are all there is)."""
    if raw is None and exif_cal is None:
        raise InputError("", "the DNG has no ColorMatrix")
    if exif_cal is not None:
        if exif_cal.as_shot_neutral is None and raw is not None:
            mul = np.asarray(raw.camera_whitebalance[:3], dtype=np.float64)
            if mul.min() > 0:
                exif_cal = replace(exif_cal, as_shot_neutral=tuple(mul[1] / mul))
        return exif_cal
    cm = np.asarray(raw.rgb_xyz_matrix[:3], dtype=np.float64)
    if not np.any(cm):
        raise InputError("", "LibRaw knows no colour matrix for this camera")
    mul = np.asarray(raw.camera_whitebalance[:3], dtype=np.float64)
    neutral = tuple(mul[1] / mul) if mul.min() > 0 else None
    return ColorCalibration(
        color_matrices=(tuple(cm.ravel()),), illuminants=(21,), as_shot_neutral=neutral
    )


def grey_world_neutral(rgb: np.ndarray) -> tuple[float, float, float]:
    """Camera neutral by the grey-world assumption (Buchsbaum 1980) over pixels that are
    neither clipped nor near black, on a 1-in-8 subsample."""
    sample = rgb[::8, ::8].reshape(-1, 3)
    ok = (sample.max(axis=1) < 0.95) & (sample.min(axis=1) > 0.002)
    if ok.sum() < 16:
        ok = np.ones(len(sample), dtype=bool)
    mean = sample[ok].astype(np.float64).mean(axis=0) + 1e-9
    return tuple(float(v) for v in mean / mean.max())


class RawFile:
    """An opened RAW: its metadata and colour calibration are known, its pixels are decoded
    on request (so a Processor can be compiled from the metadata while LibRaw demosaics;
    LibRaw releases the GIL)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        _check_path(path)
        self._dng = dngraw.read_info(path) if path.suffix.lower() == ".dng" else None
        #: decoded without LibRaw: JPEG XL tiles, or a linear DNG with pixel opcodes
        self._own = self._dng is not None and (
            self._dng.compression == dngraw.JPEG_XL
            or (self._dng.cfa is None and any(self._dng.opcode_lists[:2]))
        )
        self._raw = None if self._own else _open_checked(path)
        rawpy = _rawpy()
        try:
            exif = meta.read_exif(path)
            meta.check_complete(path, exif)
            calibration = _libraw_calibration(self._raw, meta.dng_calibration(exif))
        except InputError as e:
            self.close()
            raise InputError(path, e.problem) from None
        except rawpy.LibRawError as e:
            self.close()
            raise InputError(path, f"corrupt RAW metadata: {e}") from None
        md = meta.metadata_from_exif(path, exif)
        if self._dng is not None:  # in the upright frame the decoded image will have
            quarter, mirror = self._turns(md.orientation)
            width, height = self._dng.active_size
            lens_opcodes = tuple(
                opcodes.turned(op, quarter, mirror, width, height)
                for op in self._dng.lens_opcodes()
            )
        else:
            lens_opcodes = meta.opcode_lists(path, exif)
        self.metadata: Metadata = md.with_(
            calibration=calibration,
            image_size=self._output_size(md.orientation),
            lens_opcodes=lens_opcodes,
        )

    def opcode_notes(self) -> tuple[str, ...]:
        """What decoding applies of the DNG's opcode lists, one line per list (``--explain``);
        list 3's lens opcodes are the lens stage's and named there."""
        if self._dng is None:
            return ()
        stages = ("the stored values", "the linearised CFA data", "camera RGB")
        notes = []
        for n, (ops, stage) in enumerate(zip(self._dng.opcode_lists, stages, strict=True), 1):
            applied = [op.name for op in ops if n != 3 or op.id not in opcodes.LENS_IDS]
            if applied:
                notes.append(f"raw: OpcodeList{n} on {stage}: {', '.join(applied)}")
        return tuple(notes)

    def _output_size(self, orientation: int) -> tuple[int, int]:
        """(width, height) of the decoded image: LibRaw's, or the DNG's active area after
        any TrimBounds in list 3."""
        if self._raw is not None:
            sizes = self._raw.sizes
            swapped = sizes.flip in (5, 6)  # LibRaw rotates these by 90 degrees
            return (sizes.height, sizes.width) if swapped else (sizes.width, sizes.height)
        width, height = self._dng.active_size
        for op in self._dng.pixel_opcodes():
            if op.id == opcodes.TRIM_BOUNDS:
                top, left, bottom, right = op.params["bounds"]
                width, height = right - left, bottom - top
        quarter_turned = ORIENTATION_TURNS.get(orientation, (0, False))[0] % 2
        return (int(height), int(width)) if quarter_turned else (int(width), int(height))

    def close(self) -> None:
        if self._raw is not None:
            self._raw.close()

    def __enter__(self) -> RawFile:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _check_not_empty(self) -> None:
        """LibRaw fills what a short file lacks with zeros (:meth:`_check_samples`)."""
        self._check_samples(self._raw.raw_image_visible)

    def decode(self, demosaic: str = "AHD", cfa_demosaic=None) -> Image:
        """Demosaiced linear camera RGB in [0, 1] (1.0 = the white level). ``cfa_demosaic``
        (cfa H x W, pattern 2 x 2 -> H x W x 3) demosaics what LibRaw cannot read, and Bayer
        data when ``demosaic`` is one of ``OWN_DEMOSAIC``."""
        list3 = self._dng.pixel_opcodes() if self._dng is not None else ()
        own_demosaic = not self._own and demosaic in OWN_DEMOSAIC
        mosaic = self._stored_mosaic() if own_demosaic else None
        pattern = self._bayer_pattern() if own_demosaic and mosaic is None else None
        if self._own:
            pixels = self._decode_own(cfa_demosaic)
            turns = self._turns(self.metadata.orientation)
        elif mosaic is not None or pattern is not None:  # the stored frame, as keep_frame
            mosaic = mosaic or self._mosaic(pattern, copy=False)
            pixels = mosaic.camera_rgb(cfa_demosaic)
            turns = self._turns(self.metadata.orientation)
        else:  # list 3's areas are in the stored frame: LibRaw turns afterwards, here
            algorithm = "AHD" if demosaic in OWN_DEMOSAIC else demosaic
            pixels, turns = self._decode_libraw(algorithm, keep_frame=bool(list3))
        if list3:
            where = f"{self.path} OpcodeList3"
            pixels = opcodes.apply_list(pixels, list3, where, self._dng.code_max, 3)
        return _upright_image(pixels, turns, self.metadata)

    def _turns(self, orientation: int) -> tuple[int, bool]:
        """Quarter turns counter-clockwise and a left-right mirror (applied first) that make
        the stored frame upright: from the EXIF Orientation (TIFF 6.0, tag 274) for the own
        decode, LibRaw's ``flip`` otherwise."""
        if self._raw is not None:
            return LIBRAW_FLIP_TURNS.get(self._raw.sizes.flip, (0, False))
        return ORIENTATION_TURNS.get(orientation, (0, False))

    def _decode_own(self, cfa_demosaic) -> np.ndarray:
        """tifffile + imagecodecs decode, the stage-2 image, demosaiced if CFA."""
        info = self._dng
        stage2 = dngraw.linearise(info, dngraw.read_stored(info))
        if info.cfa is None:
            if stage2.shape[2] != 3:
                raise UnsupportedError(self.path, f"linear DNG with {stage2.shape[2]} samples")
            return stage2
        if cfa_demosaic is None:
            raise UnsupportedError(self.path, "this raw needs lsquared's own demosaic (engine)")
        rgb = cfa_demosaic(stage2[:, :, 0], info.cfa)
        return np.clip(rgb, 0.0, 1.0, out=rgb)

    def _write_stage2_into_libraw(self) -> None:
        """Replace LibRaw's raw samples by the DNG's stage-2 image (lists 1 and 2 applied)
        expressed in LibRaw's levels, so its black subtraction and scaling give stage 2.
        LibRaw's visible samples are the stored ones over the active area unless list 1 or a
        LinearizationTable (which LibRaw applies while unpacking) changes them; then the
        stored samples are read again with tifffile."""
        info = self._dng
        visible = self._raw.raw_image_visible  # a view of LibRaw's buffer
        top, left, bottom, right = info.active_area
        if visible.shape != (bottom - top, right - left):
            raise UnsupportedError(
                self.path, f"LibRaw's visible area {visible.shape} is not the DNG's active "
                f"area {(bottom - top, right - left)}; cannot apply its opcode lists 1 and 2"
            )  # fmt: skip
        if info.opcode_lists[0] or info.linearization is not None:
            stage2 = dngraw.linearise(info, dngraw.read_stored(info))[:, :, 0]
        else:  # LibRaw holds the stored samples already: no second decode with tifffile
            stage2 = dngraw.linearise_active(info, visible[:, :, None])[:, :, 0]
        black = np.asarray(self._raw.black_level_per_channel, np.float32)
        one_black = np.all(black == black[0])  # then no per-sample gather of 24 M colours
        black = black[0] if one_black else black[self._raw.raw_colors_visible]
        stage2 *= np.float32(self._raw.white_level) - black
        stage2 += black
        np.rint(stage2, out=stage2)
        visible[...] = np.clip(stage2, 0, np.iinfo(visible.dtype).max, out=stage2)

    def _bayer_pattern(self) -> np.ndarray | None:
        """The 2 x 2 colour indices (0 R, 1 G, 2 B) of the visible CFA's top-left repeat, or
        None when the sensor is not an RGB Bayer one (X-Trans, monochrome, linear)."""
        raw = self._raw
        if raw.raw_type != _rawpy().RawType.Flat or raw.raw_pattern is None:
            return None
        desc = raw.color_desc.decode(errors="replace")
        colours = raw.raw_colors_visible[:2, :2]
        if raw.raw_pattern.shape != (2, 2) or colours.shape != (2, 2):
            return None
        if not set(desc[:4]) <= set("RGB"):
            return None
        pattern = np.array([["RGB".index(desc[c]) for c in row] for row in colours])
        diagonal_greens = pattern[0, 0] == pattern[1, 1] == 1 or pattern[0, 1] == pattern[1, 0] == 1
        if sorted(pattern.ravel().tolist()) != [0, 1, 1, 2] or not diagonal_greens:
            return None
        return pattern

    def mosaic(self) -> Mosaic | None:
        """The visible CFA of a Bayer file LibRaw reads, undemosaiced (a copy: LibRaw's
        buffer goes with the file), for lsquared's own demosaic run with the colour path;
        None when the file is not such a Bayer file or has OpcodeList3 pixel opcodes (they
        work on camera RGB)."""
        if self._own or (self._dng is not None and self._dng.pixel_opcodes()):
            return None
        stored = self._stored_mosaic()
        if stored is not None:
            return stored
        pattern = self._bayer_pattern()
        return None if pattern is None else self._mosaic(pattern, copy=True)

    def _stored_mosaic(self) -> Mosaic | None:
        """The mosaic of an uncompressed Bayer DNG read from the file without LibRaw's unpack
        and copy: a plain one's stored samples (:func:`dngraw.plain_cfa_samples`) with its
        own CFAPattern, BlackLevel and WhiteLevel, which LibRaw reports unchanged for it;
        any other's stage-2 image (linearised, opcode lists 1 and 2 applied, float32 in
        [0, 1] before list 2; :func:`dngraw.linearise`), which LibRaw would otherwise be
        given back quantised to its levels. None for other raws."""
        info = self._dng
        if info is None or not dngraw.uncompressed_bayer(info):
            return None
        turns = self._turns(self.metadata.orientation)
        pattern = info.cfa.astype(np.int64)
        samples = dngraw.plain_cfa_samples(info)
        if samples is not None:
            self._check_samples(samples)
            black = dngraw.black_per_phase(info)
            scale = np.float32(1.0) / (np.float32(info.white[0]) - black)
            return Mosaic(samples, pattern, black, scale, self._neutral(), turns, self.metadata)
        stored = dngraw.read_stored(info)
        self._check_samples(stored)
        stage2 = np.ascontiguousarray(dngraw.linearise(info, stored)[:, :, 0])
        zero, one = np.zeros((2, 2), np.float32), np.ones((2, 2), np.float32)
        return Mosaic(stage2, pattern, zero, one, self._neutral(), turns, self.metadata)

    def _check_samples(self, samples: np.ndarray) -> None:
        """InputError when the stored samples are missing: all zero in the last rows or in a
        sparse sample (a short file's missing part reads as zeros)."""
        if samples.size == 0 or not (samples[-8:].any() and samples[::61, ::61].any()):
            raise InputError(self.path, "truncated or missing image data (samples are zero)")

    def _mosaic(self, pattern: np.ndarray, copy: bool) -> Mosaic:
        """LibRaw's visible CFA (with the stage-2 write-back for DNGs) and its levels; the
        demosaic runs white-balanced by the as-shot neutral, so that colour-difference
        demosaicing sees grey as grey (LibRaw likewise scales by the white balance before it
        demosaics)."""
        try:
            self._check_not_empty()
            if self._dng is not None and any(self._dng.opcode_lists[:2]):
                self._write_stage2_into_libraw()
            black = np.asarray(self._raw.black_level_per_channel, np.float32)
            black = black[self._raw.raw_colors_visible[:2, :2]]
            white = np.float32(self._raw.white_level)
            samples = self._raw.raw_image_visible
            samples = np.array(samples) if copy else samples
        except _rawpy().LibRawError as e:
            raise InputError(self.path, f"corrupt or truncated image data: {e}") from None
        scale = np.float32(1.0) / (white - black)
        turns = self._turns(self.metadata.orientation)
        return Mosaic(samples, pattern, black, scale, self._neutral(), turns, self.metadata)

    def _neutral(self) -> np.ndarray:
        """The as-shot neutral the demosaic white-balances by (1, 1, 1 when it is missing
        or not positive and finite)."""
        neutral = np.asarray(self.metadata.calibration.as_shot_neutral or (1, 1, 1), np.float32)
        if not (np.all(np.isfinite(neutral)) and neutral.min() > 0):
            neutral = np.ones(3, np.float32)
        return neutral

    def _decode_libraw(self, demosaic: str, keep_frame: bool = False):
        """LibRaw's demosaiced camera RGB and the turns still to apply: none when LibRaw
        turned it upright, LibRaw's flip when ``keep_frame`` asked for the stored frame."""
        rawpy = _rawpy()
        if demosaic not in supported_demosaic():
            raise UnsupportedError(
                self.path,
                f"demosaic {demosaic!r} not supported; choose {', '.join(supported_demosaic())}",
            )
        flip = self._raw.sizes.flip  # read first: user_flip overwrites it
        try:
            self._check_not_empty()
            if (
                self._dng is not None
                and self._dng.cfa is not None
                and any(self._dng.opcode_lists[:2])
            ):
                self._write_stage2_into_libraw()
            if _decode_threads is not None:
                _apply_openmp_threads(_decode_threads)
            with native_stderr_silenced():
                rgb16 = self._raw.postprocess(
                    demosaic_algorithm=rawpy.DemosaicAlgorithm[demosaic],
                    output_color=rawpy.ColorSpace.raw,
                    gamma=(1, 1),
                    no_auto_bright=True,
                    use_camera_wb=False,
                    use_auto_wb=False,
                    user_wb=[1.0, 1.0, 1.0, 1.0],
                    output_bps=16,
                    highlight_mode=rawpy.HighlightMode.Clip,
                    adjust_maximum_thr=0.0,
                    user_flip=0 if keep_frame else None,
                )
        except rawpy.LibRawError as e:
            raise InputError(self.path, f"corrupt or truncated image data: {e}") from None
        if rgb16.ndim != 3 or rgb16.shape[2] != 3:
            raise UnsupportedError(
                self.path,
                f"LibRaw decoded {rgb16.shape[2] if rgb16.ndim == 3 else 1} channel(s); "
                "only 3-channel colour RAWs are supported (not monochrome)",
            )
        pixels = rgb16.astype(np.float32)
        del rgb16
        pixels *= np.float32(1.0 / 65535.0)
        turns = LIBRAW_FLIP_TURNS.get(flip, (0, False)) if keep_frame else (0, False)
        return pixels, turns


def _upright_image(pixels: np.ndarray, turns: tuple[int, bool], metadata: Metadata) -> Image:
    """Camera RGB in the stored frame, turned upright, with its grey-world statistics."""
    pixels = _turned(pixels, turns)
    md = metadata.with_(grey_world_neutral=grey_world_neutral(pixels))
    return Image(pixels, CAMERA_RAW, md)


@dataclass(frozen=True, eq=False)
class Mosaic:
    """A Bayer file's visible CFA samples in the stored frame, not yet demosaiced, and what
    makes them camera RGB: sample v of 2 x 2 phase p is clip((v - black[p]) scale[p], 0, 1)
    (LibRaw's 16-bit scaling; ``scale`` = 1 / (white - black)); the demosaic runs on it
    divided by ``neutral`` (white-balanced) and its result is multiplied back. ``turns``
    make the stored frame upright (:data:`LIBRAW_FLIP_TURNS`)."""

    samples: np.ndarray  # H x W unsigned integers
    pattern: np.ndarray  # 2 x 2 colour indices (0 R, 1 G, 2 B) of the top-left repeat
    black: np.ndarray  # 2 x 2 float32
    scale: np.ndarray  # 2 x 2 float32
    neutral: np.ndarray  # 3 float32, camera RGB of grey
    turns: tuple[int, bool]
    metadata: Metadata

    @property
    def upright_shape(self) -> tuple[int, int]:
        """(height, width) of the upright image."""
        h, w = self.samples.shape
        return (w, h) if self.turns[0] % 2 else (h, w)

    def white_balanced(self) -> np.ndarray:
        """The CFA scaled to [0, 1] and divided by the neutral (H x W float32)."""
        cfa = self.samples.astype(np.float32)
        for dy in (0, 1):
            for dx in (0, 1):
                phase = cfa[dy::2, dx::2]
                phase -= self.black[dy, dx]
                phase *= self.scale[dy, dx]
                np.clip(phase, 0.0, 1.0, out=phase)
                phase /= self.neutral[self.pattern[dy, dx]]
        return cfa

    def camera_rgb(self, cfa_demosaic) -> np.ndarray:
        """Demosaiced by ``cfa_demosaic`` (cfa H x W, pattern -> H x W x 3), multiplied back
        by the neutral, clipped to [0, 1]: camera RGB in the stored frame."""
        if cfa_demosaic is None:
            raise UnsupportedError(
                self.metadata.source_path, "lsquared's own demosaic needs the engine"
            )
        rgb = cfa_demosaic(self.white_balanced(), self.pattern)
        rgb *= self.neutral
        np.clip(rgb, 0.0, 1.0, out=rgb)
        return rgb

    def demosaiced(self, cfa_demosaic) -> Image:
        """The upright camera RGB image :meth:`RawFile.decode` gives."""
        return _upright_image(self.camera_rgb(cfa_demosaic), self.turns, self.metadata)


#: EXIF Orientation -> (quarter turns counter-clockwise, mirror left-right first)
ORIENTATION_TURNS = {1: (0, False), 2: (0, True), 3: (2, False), 4: (2, True),
                     5: (1, True), 6: (3, False), 7: (3, True), 8: (1, False)}  # fmt: skip
#: LibRaw's ``flip`` -> the same (0 none, 3 half turn, 5 counter-clockwise, 6 clockwise)
LIBRAW_FLIP_TURNS = {0: (0, False), 3: (2, False), 5: (1, False), 6: (3, False)}


def _turned(pixels: np.ndarray, turns: tuple[int, bool]) -> np.ndarray:
    quarter, mirror = turns
    if mirror:
        pixels = pixels[:, ::-1]
    if quarter:
        pixels = np.rot90(pixels, quarter)
    return np.ascontiguousarray(pixels) if (quarter or mirror) else pixels


def _check_path(path: Path) -> None:
    if not path.exists():
        raise InputError(path, "file not found")
    if path.is_dir():
        raise InputError(path, "is a folder, not a RAW file")


def open_raw(path: str | Path) -> RawFile:
    """Open a RAW and read its metadata; raises InputError for missing, non-RAW or
    truncated files. Use as a context manager."""
    return RawFile(Path(path))


def read_raw(path: str | Path, demosaic: str = "AHD", cfa_demosaic=None) -> Image:
    """Open and decode a RAW file (see :meth:`RawFile.decode`)."""
    with open_raw(path) as f:
        return f.decode(demosaic, cfa_demosaic)


def is_raw_path(path: str | Path) -> bool:
    return Path(path).suffix.lower() in RAW_SUFFIXES
