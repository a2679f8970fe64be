"""Calibration shots: pixels (linear RGB) and the settings they were taken at.

RAWs are decoded by LibRaw to linear camera RGB (no white balance, no lens correction);
TIFF, PNG and EXR are read as linear data, JPEG is decoded from sRGB (IEC 61966-2-1) so
that flat-field intensities are linear. Settings come from EXIF, with the user's values
filling what the EXIF lacks.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lsquared.errors import InputError
from lsquared.io import meta, raw, stills
from lsquared.optics.calibrate import chart

JPEG_SUFFIXES = (".jpg", ".jpeg")
FLAT_STRUCTURE = 0.03  # relative local contrast below which a shot is a flat field
FLAT_UNEVEN = 0.02  # RMS departure from a radial falloff a flat field may have
CLIPPED_LEVEL = 0.995
CLIPPED_FRACTION = 0.001


@dataclass(frozen=True)
class Settings:
    body: str | None
    lens: str | None
    lens_maker: str | None
    focal: float | None
    aperture: float | None
    crop: float | None
    make: str | None = None
    model: str | None = None


@dataclass(frozen=True)
class Shot:
    path: Path
    rgb: np.ndarray  # (H, W, 3) float32, linear
    settings: Settings
    preview: np.ndarray  # rgb area-averaged to chart.DETECT_SIZE on the long side
    preview_factor: float

    @property
    def size(self) -> tuple[int, int]:
        return self.rgb.shape[1], self.rgb.shape[0]


def srgb_to_linear(v: np.ndarray) -> np.ndarray:
    """IEC 61966-2-1 decoding."""
    return np.where(v <= 0.04045, v / 12.92, ((v + 0.055) / 1.055) ** 2.4).astype(np.float32)


def _settings(md, exif: dict, overrides: dict) -> Settings:
    def pick(name, value):
        return value if value is not None else overrides.get(name)

    body = " ".join(x for x in (md.make, md.model) if x) or None
    lens_maker = exif.get("Exif.Photo.LensMake") if exif else None
    return Settings(
        body=body,
        lens=overrides.get("lens") or md.lens_model,
        lens_maker=overrides.get("maker") or lens_maker,
        focal=pick("focal", md.focal_length_mm or None),
        aperture=pick("aperture", md.aperture_f or None),
        crop=overrides.get("crop") or md.crop_factor,
        make=md.make,
        model=md.model,
    )


def load(path: str | Path, overrides: dict) -> Shot:
    """A shot's linear pixels and settings; InputError when it cannot be read."""
    path = Path(path)
    if raw.is_raw_path(path):
        image = raw.read_raw(path)
        md = image.metadata
        return _shot(path, image.pixels, _settings(md, md.exif, overrides))
    rgb = stills.read_image(path)
    if path.suffix.lower() in JPEG_SUFFIXES:
        rgb = srgb_to_linear(rgb)
    try:
        exif = meta.read_exif(path)
    except InputError:
        exif = {}
    md = meta.metadata_from_exif(path, exif)
    return _shot(path, np.ascontiguousarray(rgb, dtype=np.float32), _settings(md, exif, overrides))


def _shot(path: Path, rgb: np.ndarray, settings: Settings) -> Shot:
    small, f = chart.preview(rgb, chart.DETECT_SIZE)
    return Shot(path, rgb, settings, small, f)


def structure(rgb: np.ndarray) -> float:
    """Local contrast of the green channel at 256 pixels on the long side, relative to
    its mean: ~0 for a flat field, large for a chart or a scene."""
    from scipy import ndimage

    small = chart.preview(rgb, 256)[0][..., 1]
    smooth = ndimage.gaussian_filter(small, 4, mode="nearest")
    return float(np.std(small - smooth) / max(float(np.mean(small)), 1e-9))


def clipped_fraction(rgb: np.ndarray) -> float:
    return float(np.mean(np.max(rgb[::2, ::2], axis=-1) >= CLIPPED_LEVEL))
