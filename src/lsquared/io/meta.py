"""Metadata in and out of files, through pyexiv2 (Exiv2): EXIF and maker notes, the DNG
colour tags, lens identification, and copying EXIF to outputs."""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path
from typing import Any

from lsquared.errors import InputError
from lsquared.metadata import ColorCalibration, HueSatMap, Metadata

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


#: DNG colour tags read per calibration illuminant (DNG 1.6 adds the third)
ILLUMINANT_INDICES = (1, 2, 3)
IDENTITY9 = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0)


def _tag(exif: dict[str, Any], name: str, found: list[str], count: int | None = None):
    """The numbers of ``Exif.Image.<name>`` (all of them, or None unless exactly ``count``),
    noting the tag's name in ``found`` when it is used."""
    values = rationals(exif.get(f"Exif.Image.{name}"))
    if not values or (count is not None and len(values) != count):
        return None
    found.append(name)
    return values


def illuminant_data(data: bytes) -> tuple[float, ...] | None:
    """An ``IlluminantData`` tag (DNG 1.6, tags 52533-52535) as (0, x, y) or (1, first
    wavelength, spacing, *samples): a 16-bit type, then for type 0 x and y, for type 1 a
    sample count, the first wavelength, the spacing and the samples, all RATIONAL. The byte
    order is the file's; the type word tells it (it reads as 0 or 1 only one way round)."""
    import struct

    for order in "<>":
        if len(data) < 18:
            return None
        kind = struct.unpack(order + "H", data[:2])[0]
        if kind == 0:
            xn, xd, yn, yd = struct.unpack(order + "4I", data[2:18])
            if xd and yd and 0 < xn / xd < 1 and 0 < yn / yd < 1:
                return (0.0, xn / xd, yn / yd)
        elif kind == 1 and len(data) >= 22:
            n = struct.unpack(order + "I", data[2:6])[0]
            if n < 2 or len(data) < 22 + 8 * n:
                continue
            words = struct.unpack(order + f"{4 + 2 * n}I", data[6 : 22 + 8 * n])
            if 0 in words[1::2]:
                continue
            return (1.0, *(words[i] / words[i + 1] for i in range(0, len(words), 2)))
    return None


def hue_sat_map(
    exif: dict[str, Any], dims_tag: str, data_tag: str, encoding_tag: str, found: list[str]
) -> HueSatMap | None:
    """A ProfileHueSatMap or ProfileLookTable; InputError when its data and dims disagree."""
    dims = _tag(exif, dims_tag, [])
    data = _tag(exif, data_tag, found)
    if data is None:
        return None
    if dims is None or len(dims) not in (2, 3):
        raise InputError("", f"{data_tag} without a valid {dims_tag}")
    hue, sat, val = (int(d) for d in (*dims, 1)[:3])
    found.append(dims_tag)
    if hue < 1 or sat < 2 or val < 1 or len(data) != hue * sat * val * 3:
        raise InputError(
            "", f"{data_tag}: {len(data)} values do not fill {dims_tag} {hue} x {sat} x {val}"
        )
    encoding = _tag(exif, encoding_tag, found, 1)
    return HueSatMap((hue, sat, val), tuple(data), bool(encoding and encoding[0] == 1))


def dng_calibration(exif: dict[str, Any]) -> ColorCalibration | None:
    """The DNG colour tags (DNG 1.6, chapters 4 and 6), or None when the file has none.

    Matrices of illuminant 2 count only after illuminant 1's, 3 only after 2's;
    CameraCalibration applies only when CameraCalibrationSignature equals
    ProfileCalibrationSignature (both absent counts as equal), as chapter 6 says."""
    found: list[str] = []
    cms, illums, ccs, fms, lights = [], [], [], [], []
    signature_ok = _text(exif, "Exif.Image.CameraCalibrationSignature") == _text(
        exif, "Exif.Image.ProfileCalibrationSignature"
    )
    for i in ILLUMINANT_INDICES:
        cm = _tag(exif, f"ColorMatrix{i}", found, 9)
        if cm is None:
            break
        cms.append(tuple(cm))
        code = _tag(exif, f"CalibrationIlluminant{i}", found, 1)
        illums.append(int(code[0]) if code else 0)
        data = exif.get(f"Exif.Image.IlluminantData{i}")
        light = illuminant_data(bytes(int(b) for b in str(data).split())) if data else None
        if light is not None:
            found.append(f"IlluminantData{i}")
        lights.append(light)
        cc = _tag(exif, f"CameraCalibration{i}", found if signature_ok else [], 9)
        if cc and not signature_ok:
            found.append(f"CameraCalibration{i} (ignored: its signature is not the profile's)")
            cc = None
        ccs.append(tuple(cc) if cc else IDENTITY9)
        fm = _tag(exif, f"ForwardMatrix{i}", found, 9)
        fms.append(tuple(fm) if fm else ())
    if not cms:
        return None
    ab = _tag(exif, "AnalogBalance", found, 3)
    asn = _tag(exif, "AsShotNeutral", found, 3)
    white = _tag(exif, "AsShotWhiteXY", found, 2)
    maps = [
        hue_sat_map(exif, "ProfileHueSatMapDims", f"ProfileHueSatMapData{i}",
                    "ProfileHueSatMapEncoding", found)
        for i in ILLUMINANT_INDICES[: len(cms)]
    ]  # fmt: skip
    look = hue_sat_map(
        exif, "ProfileLookTableDims", "ProfileLookTableData", "ProfileLookTableEncoding", found
    )
    exposure = _tag(exif, "BaselineExposure", found, 1)
    offset = _tag(exif, "BaselineExposureOffset", found, 1)
    return ColorCalibration(
        color_matrices=tuple(cms),
        illuminants=tuple(illums),
        camera_calibrations=tuple(ccs) if any(cc != IDENTITY9 for cc in ccs) else (),
        analog_balance=tuple(ab) if ab else (1.0, 1.0, 1.0),
        as_shot_neutral=tuple(asn) if asn else None,
        baseline_exposure_ev=exposure[0] if exposure else 0.0,
        forward_matrices=tuple(fms) if any(fms) else (),
        illuminant_data=tuple(lights) if any(lights) else (),
        as_shot_white_xy=tuple(white) if white else None,
        baseline_exposure_offset_ev=offset[0] if offset else 0.0,
        hue_sat_maps=tuple(m for m in maps if m is not None),
        look_table=look,
        tags=tuple(dict.fromkeys(found)),
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
