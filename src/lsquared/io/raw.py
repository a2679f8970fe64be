"""RAW decoding through rawpy (LibRaw): demosaic only. White balance and the colour matrix
are applied later by lsquared's own pipeline from the file's metadata, so that photos and
video share one colour path; LibRaw is asked for demosaiced *camera* RGB with unit white
balance, linear, unscaled (black subtracted, white level mapped to 1.0).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from lsquared.errors import InputError, UnsupportedError
from lsquared.image import Encoding, Image
from lsquared.io import meta
from lsquared.metadata import ColorCalibration, Metadata

DEMOSAIC = ("AHD", "AAHD", "DCB", "DHT", "PPG", "VNG", "LINEAR")
CAMERA_RAW = Encoding("camera", "linear", "scene")
RAW_SUFFIXES = (
    ".dng", ".rw2", ".raw", ".rwl", ".cr2", ".cr3", ".nef", ".nrw", ".arw", ".srf", ".sr2",
    ".orf", ".raf", ".pef", ".srw", ".3fr", ".fff", ".iiq", ".x3f", ".mos", ".kdc", ".erf",
)  # fmt: skip


def _rawpy():
    import rawpy

    return rawpy


def supported_demosaic() -> tuple[str, ...]:
    """Demosaic algorithms that this rawpy wheel supports, AHD first."""
    rawpy = _rawpy()
    return tuple(a for a in DEMOSAIC if rawpy.DemosaicAlgorithm[a].isSupported)


def _open_checked(path: Path):
    rawpy = _rawpy()
    if not path.exists():
        raise InputError(path, "file not found")
    if path.is_dir():
        raise InputError(path, "is a folder, not a RAW file")
    try:
        return rawpy.imread(str(path))
    except rawpy.LibRawFileUnsupportedError:
        raise InputError(path, "not a RAW file LibRaw can read") from None
    except rawpy.LibRawIOError as e:
        raise InputError(path, f"cannot read: {e}") from None
    except (rawpy.LibRawError, OSError) as e:
        raise InputError(path, f"cannot open RAW: {e}") from None


def _libraw_calibration(raw, exif_cal: ColorCalibration | None) -> ColorCalibration:
    """The DNG tags when present, else LibRaw's built-in matrix (Adobe's D65 ColorMatrix)
    and the camera's white balance multipliers."""
    if exif_cal is not None:
        if exif_cal.as_shot_neutral is None:
            mul = np.asarray(raw.camera_whitebalance[:3], dtype=np.float64)
            if mul.min() > 0:
                from dataclasses import replace

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
    neither clipped nor near black, on a 1-in-4 subsample."""
    sample = rgb[::4, ::4].reshape(-1, 3)
    ok = (sample.max(axis=1) < 0.95) & (sample.min(axis=1) > 0.002)
    if ok.sum() < 16:
        ok = np.ones(len(sample), dtype=bool)
    mean = sample[ok].astype(np.float64).mean(axis=0) + 1e-9
    return tuple(float(v) for v in mean / mean.max())


def read_raw(path: str | Path, demosaic: str = "AHD") -> Image:
    """Decode a RAW file into linear camera RGB in [0, 1] (1.0 = the white level).

    Raises :class:`InputError` for a missing, non-RAW, truncated or empty file.
    """
    rawpy = _rawpy()
    path = Path(path)
    if demosaic not in supported_demosaic():
        raise UnsupportedError(
            path, f"demosaic {demosaic!r} not supported; choose {', '.join(supported_demosaic())}"
        )
    with _open_checked(path) as raw:
        exif = meta.read_exif(path)
        meta.check_complete(path, exif)
        try:
            visible = raw.raw_image_visible
            if visible.size == 0 or not np.any(visible):
                raise InputError(path, "truncated or missing image data (all samples are zero)")
            rgb16 = raw.postprocess(
                demosaic_algorithm=rawpy.DemosaicAlgorithm[demosaic],
                output_color=rawpy.ColorSpace.raw,
                gamma=(1, 1),
                no_auto_bright=True,
                use_camera_wb=False,
                use_auto_wb=False,
                user_wb=[1.0, 1.0, 1.0, 1.0],
                output_bps=16,
                highlight_mode=rawpy.HighlightMode.Clip,
            )
        except rawpy.LibRawError as e:
            raise InputError(path, f"corrupt or truncated image data: {e}") from None
        try:
            calibration = _libraw_calibration(raw, meta.dng_calibration(exif))
        except InputError as e:
            raise InputError(path, e.problem) from None
    pixels = rgb16.astype(np.float32)
    pixels *= np.float32(1.0 / 65535.0)
    md: Metadata = meta.metadata_from_exif(path, exif).with_(
        calibration=calibration, grey_world_neutral=grey_world_neutral(pixels)
    )
    return Image(pixels, CAMERA_RAW, md)


def is_raw_path(path: str | Path) -> bool:
    return Path(path).suffix.lower() in RAW_SUFFIXES
