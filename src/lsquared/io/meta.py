"""Metadata in and out of files, through pyexiv2 (Exiv2): EXIF and maker notes, the DNG
colour tags, lens identification, and copying EXIF to outputs."""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path
from typing import Any

from lsquared.errors import InputError
from lsquared.metadata import ColorCalibration, Metadata

#: EXIF keys copied from the RAW to developed outputs
COPIED_EXIF = (
    "Exif.Image.Make", "Exif.Image.Model", "Exif.Image.DateTime", "Exif.Image.Artist",
    "Exif.Image.Copyright", "Exif.Photo.ExposureTime", "Exif.Photo.FNumber",
    "Exif.Photo.ISOSpeedRatings", "Exif.Photo.ExposureProgram", "Exif.Photo.ExposureBiasValue",
    "Exif.Photo.DateTimeOriginal", "Exif.Photo.DateTimeDigitized", "Exif.Photo.OffsetTime",
    "Exif.Photo.SubSecTimeOriginal", "Exif.Photo.FocalLength", "Exif.Photo.FocalLengthIn35mmFilm",
    "Exif.Photo.MeteringMode", "Exif.Photo.Flash", "Exif.Photo.LensMake", "Exif.Photo.LensModel",
    "Exif.Photo.LensSpecification", "Exif.Photo.LensSerialNumber", "Exif.Photo.BodySerialNumber",
    "Exif.Photo.SubjectDistance", "Exif.Photo.WhiteBalance",
)  # fmt: skip


def _exiv2():
    import pyexiv2

    pyexiv2.set_log_level(4)  # errors only reach us as exceptions, not on stderr
    return pyexiv2


def read_exif(path: str | Path) -> dict[str, Any]:
    """All EXIF tags of a file as Exiv2 key -> string; raises InputError if unreadable."""
    path = Path(path)
    try:
        with _exiv2().Image(str(path)) as img:
            return img.read_exif()
    except (RuntimeError, OSError, UnicodeDecodeError) as e:
        raise InputError(path, f"cannot read metadata: {e}") from None


def read_exif_data(data: bytes, where: str | Path) -> dict[str, Any]:
    """All EXIF tags of an image held in memory (e.g. a JPEG block inside a video box), as
    :func:`read_exif`; ``where`` names it in the error."""
    try:
        with _exiv2().ImageData(data) as img:
            return img.read_exif()
    except (RuntimeError, OSError, UnicodeDecodeError, ValueError) as e:
        raise InputError(where, f"cannot read metadata: {e}") from None


def rationals(text: str | None) -> list[float]:
    """Parse an Exiv2 value such as ``'7546/10000 -1435/10000'`` into floats."""
    if not text:
        return []
    out = []
    for part in str(text).split():
        try:
            value = Fraction(part)
        except (ValueError, ZeroDivisionError):
            return []
        out.append(float(value))
    return out


def _first(exif: dict[str, Any], *keys: str) -> float | None:
    for key in keys:
        vals = rationals(exif.get(key))
        if vals:
            return vals[0]
    return None


def _text(exif: dict[str, Any], *keys: str) -> str | None:
    for key in keys:
        value = str(exif.get(key, "")).strip().strip("\x00").strip()
        if value:
            return value
    return None


def dng_calibration(exif: dict[str, Any]) -> ColorCalibration | None:
    """The DNG colour tags (DNG 1.6, chapter 4/6), or None when the file has none."""
    cms, illums, ccs = [], [], []
    for i in (1, 2):
        cm = rationals(exif.get(f"Exif.Image.ColorMatrix{i}"))
        if len(cm) == 9:
            cms.append(tuple(cm))
            illums.append(int(_first(exif, f"Exif.Image.CalibrationIlluminant{i}") or 21))
            cc = rationals(exif.get(f"Exif.Image.CameraCalibration{i}"))
            if len(cc) == 9:
                ccs.append(tuple(cc))
    if not cms:
        return None
    ab = rationals(exif.get("Exif.Image.AnalogBalance"))
    asn = rationals(exif.get("Exif.Image.AsShotNeutral"))
    return ColorCalibration(
        color_matrices=tuple(cms),
        illuminants=tuple(illums),
        camera_calibrations=tuple(ccs) if len(ccs) == len(cms) else (),
        analog_balance=tuple(ab) if len(ab) == 3 else (1.0, 1.0, 1.0),
        as_shot_neutral=tuple(asn) if len(asn) == 3 else None,
        baseline_exposure_ev=_first(exif, "Exif.Image.BaselineExposure") or 0.0,
    )


def opcode_lists(path: Path, exif: dict[str, Any]) -> tuple:
    """The lens-correcting opcodes of a DNG's OpcodeList1/2/3 (in IFD0 or the raw SubIFD),
    parsed; malformed lists raise InputError naming the file and the list."""
    from lsquared.io import opcodes

    found = []
    for key, value in exif.items():
        name = key.rsplit(".", 1)[-1]
        if name in ("OpcodeList1", "OpcodeList2", "OpcodeList3"):
            try:
                data = bytes(int(b) for b in str(value).split())
            except ValueError:
                raise InputError(path, f"{name}: not a byte list") from None
            found += opcodes.decode(data, f"{path} {name}")
    return tuple(
        op for op in found if op.id in (opcodes.WARP_RECTILINEAR, opcodes.FIX_VIGNETTE_RADIAL)
    )


def image_data_end(exif: dict[str, Any]) -> int | None:
    """The largest byte offset that the file's image data (strips or tiles) reaches, from
    the TIFF tags of every IFD (TIFF 6.0 sections 3 and 15; Panasonic's RawDataOffset)."""
    ends = []
    groups = {key.rsplit(".", 1)[0] for key in exif}
    for group in groups:
        for offsets_tag, counts_tag in (
            ("StripOffsets", "StripByteCounts"),
            ("TileOffsets", "TileByteCounts"),
            ("RawDataOffset", "StripByteCounts"),
        ):
            offsets = rationals(exif.get(f"{group}.{offsets_tag}"))
            counts = rationals(exif.get(f"{group}.{counts_tag}"))
            if offsets and len(offsets) == len(counts) and max(offsets) < 2**32 - 1:
                ends.append(int(max(o + c for o, c in zip(offsets, counts, strict=True))))
    return max(ends) if ends else None


def check_complete(path: Path, exif: dict[str, Any]) -> None:
    """Raise InputError if the file is shorter than its own tags say its image data is."""
    end = image_data_end(exif)
    size = os.path.getsize(path)
    if end is not None and end > size:
        raise InputError(
            path,
            f"truncated: image data should reach byte {end} but the file has {size} bytes",
        )


#: maker-note keys saying the camera already corrected vignetting (Panasonic 0x008a,
#: "ShadingCompensation" in ExifTool's Panasonic table: 0 off, 1 on)
SHADING_KEYS = ("Exif.Panasonic.ShadingCompensation", "Exif.Panasonic.0x008a")


def recorded_crop_factor(exif: dict[str, Any]) -> float | None:
    """Crop factor of the recorded frame from the 35 mm-equivalent focal length (EXIF
    0xA405 / 0x920A): an S5 in APS-C mode records about 1.5, not the body's 1.0."""
    f35 = _first(exif, "Exif.Photo.FocalLengthIn35mmFilm")
    focal = _first(exif, "Exif.Photo.FocalLength", "Exif.Image.FocalLength")
    return f35 / focal if f35 and focal else None


def metadata_from_exif(path: Path, exif: dict[str, Any]) -> Metadata:
    """The :class:`Metadata` fields that EXIF gives (lens details are refined by optics)."""
    return Metadata(
        source_path=str(path),
        make=_text(exif, "Exif.Image.Make", "Exif.PanasonicRaw.Make"),
        model=_text(exif, "Exif.Image.Model", "Exif.PanasonicRaw.Model"),
        lens_model=_text(
            exif, "Exif.Photo.LensModel", "Exif.Panasonic.LensType", "Exif.Image.LensModel"
        ),
        focal_length_mm=_first(exif, "Exif.Photo.FocalLength", "Exif.Image.FocalLength"),
        aperture_f=_first(exif, "Exif.Photo.FNumber", "Exif.Image.FNumber"),
        focus_distance_m=_first(exif, "Exif.Photo.SubjectDistance"),
        exposure_time_s=_first(exif, "Exif.Photo.ExposureTime", "Exif.Image.ExposureTime"),
        iso=_first(exif, "Exif.Photo.ISOSpeedRatings", "Exif.PanasonicRaw.ISOSpeed"),
        datetime_original=_text(exif, "Exif.Photo.DateTimeOriginal", "Exif.Image.DateTime"),
        orientation=int(_first(exif, "Exif.Image.Orientation") or 1),
        crop_factor=recorded_crop_factor(exif),
        camera_corrected_vignetting=any(_first(exif, k) == 1 for k in SHADING_KEYS),
        rw2_distortion=_rw2_distortion(path, exif),
        calibration=dng_calibration(exif),
        exif={k: exif[k] for k in COPIED_EXIF if k in exif},
    )


def _rw2_distortion(path: Path, exif: dict[str, Any]) -> tuple[float, float, float] | None:
    """a, b, c of the RW2 DistortionInfo when its checksums match and the camera's
    correction flag is on; a damaged tag is skipped here (``lsq lens identify`` reports it)."""
    from lsquared.io import rw2

    try:
        info = rw2.from_exif(exif, f"{path} 0x0119")
    except InputError:
        return None
    return info.abc if info is not None and info.correction_on else None


def add_exif(path: Path, tags: dict[str, Any]) -> None:
    """Add or change EXIF tags in a file this program writes (never an input)."""
    with _exiv2().Image(str(path)) as img:
        img.modify_exif(tags)


def write_exif(path: Path, exif: dict[str, Any]) -> None:
    """Write EXIF tags into an existing output file (orientation is set to 1: the pixels
    are already upright)."""
    add_exif(path, dict(exif) | {"Exif.Image.Orientation": "1", "Exif.Image.Software": "lsquared"})
