"""Writing CFA DNG files (Adobe DNG specification 1.6) with tifffile, for the simulator.

Only what a valid Bayer DNG needs: IFD0 holds the raw image (uncompressed 16-bit,
PhotometricInterpretation CFA), the CFA layout, levels, the colour tags, TIFF/EP exposure
tags and, on request, opcode lists. The EXIF sub-IFD (lens model) is added with Exiv2.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np

from lsquared.io import opcodes

SHORT, LONG, RATIONAL, SRATIONAL, BYTE, ASCII, UNDEFINED = 3, 4, 5, 10, 1, 2, 7


@dataclass(frozen=True)
class DngTags:
    make: str
    model: str
    color_matrix: np.ndarray  # XYZ(D65) -> camera, ColorMatrix1 with illuminant D65
    as_shot_neutral: np.ndarray
    baseline_exposure_ev: float
    black_level: int
    white_level: int
    lens_model: str = ""
    focal_length_mm: float = 50.0
    f_number: float = 4.0
    exposure_time_s: float = 1 / 125
    iso: int = 100
    datetime: str = "2026:11:25 12:00:00"
    warp: tuple | None = None
    vignetting: tuple | None = None
    #: a dual-illuminant profile (DNG 1.2+): ColorMatrix2, ForwardMatrix1/2, one
    #: CameraCalibration for both illuminants, AnalogBalance; CalibrationIlluminant1/2
    illuminants: tuple[int, ...] = (21,)
    color_matrix2: np.ndarray | None = None
    forward_matrices: tuple[np.ndarray, ...] = ()
    camera_calibration: np.ndarray | None = None
    analog_balance: tuple[float, float, float] | None = None


def _rational(values, signed: bool = False, denominator: int = 1_000_000) -> tuple[int, ...]:
    out: list[int] = []
    for v in np.atleast_1d(values):
        f = Fraction(float(v)).limit_denominator(denominator)
        if not signed and f < 0:
            raise ValueError("negative value in an unsigned RATIONAL")
        out += [f.numerator, f.denominator]
    return tuple(out)


def _profile_tags(tags: DngTags) -> list[tuple]:
    """The second illuminant's and the individual camera's colour tags (DNG 1.6 ch. 6)."""
    out: list[tuple] = []
    if tags.color_matrix2 is not None:
        out.append((50722, SRATIONAL, 9, _rational(tags.color_matrix2.ravel(), True, 10000), True))
        out.append((50779, SHORT, 1, (tags.illuminants[1],), True))  # CalibrationIlluminant2
    for i, fm in enumerate(tags.forward_matrices):
        out.append((50964 + i, SRATIONAL, 9, _rational(fm.ravel(), True, 10000), True))
    if tags.camera_calibration is not None:
        cc = _rational(tags.camera_calibration.ravel(), True, 10000)
        out += [(50723 + i, SRATIONAL, 9, cc, True) for i in range(len(tags.illuminants))]
    if tags.analog_balance is not None:
        out.append((50727, RATIONAL, 3, _rational(tags.analog_balance), True))
    return out


def write_cfa_dng(path: Path, raw: np.ndarray, tags: DngTags) -> None:
    """Write an RGGB Bayer mosaic ``raw`` (H x W uint16) and its tags as a DNG."""
    import tifffile

    from lsquared.io.meta import add_exif

    extratags = [
        (33421, SHORT, 2, (2, 2), True),  # CFARepeatPatternDim
        (33422, BYTE, 4, (0, 1, 1, 2), True),  # CFAPattern RGGB
        (50706, BYTE, 4, (1, 4, 0, 0), True),  # DNGVersion
        (50707, BYTE, 4, (1, 1, 0, 0), True),  # DNGBackwardVersion
        (50708, ASCII, 0, f"{tags.make} {tags.model}", True),  # UniqueCameraModel
        (50714, LONG, 1, (tags.black_level,), True),  # BlackLevel
        (50717, LONG, 1, (tags.white_level,), True),  # WhiteLevel
        (50721, SRATIONAL, 9, _rational(tags.color_matrix.ravel(), True, 10000), True),
        (50778, SHORT, 1, (tags.illuminants[0],), True),  # CalibrationIlluminant1
        (50728, RATIONAL, 3, _rational(tags.as_shot_neutral), True),  # AsShotNeutral
        (50730, SRATIONAL, 1, _rational([tags.baseline_exposure_ev], True), True),
        (33434, RATIONAL, 1, _rational([tags.exposure_time_s]), True),  # ExposureTime
        (33437, RATIONAL, 1, _rational([tags.f_number]), True),  # FNumber
        (37386, RATIONAL, 1, _rational([tags.focal_length_mm]), True),  # FocalLength
        (34855, SHORT, 1, (tags.iso,), True),  # ISOSpeedRatings
        (36867, ASCII, 0, tags.datetime, True),  # DateTimeOriginal
        (50736, RATIONAL, 4, _rational([tags.focal_length_mm] * 2 + [tags.f_number] * 2), True),
    ]
    extratags += _profile_tags(tags)
    if tags.vignetting is not None:
        data = opcodes.encode([opcodes.fix_vignette_radial(tags.vignetting)])
        extratags.append((51009, UNDEFINED, len(data), data, True))  # OpcodeList2
    if tags.warp is not None:
        data = opcodes.encode([opcodes.warp_rectilinear(tags.warp)])
        extratags.append((51022, UNDEFINED, len(data), data, True))  # OpcodeList3
    tifffile.imwrite(
        path,
        raw,
        photometric=32803,  # CFA
        subfiletype=0,
        metadata=None,
        software="lsquared simulator",
        extratags=extratags,
    )
    add_exif(
        path,
        {
            "Exif.Image.Make": tags.make,
            "Exif.Image.Model": tags.model,
            "Exif.Image.Orientation": "1",
            "Exif.Photo.LensModel": tags.lens_model,
            "Exif.Photo.FocalLength": f"{round(tags.focal_length_mm * 10)}/10",
            "Exif.Photo.FNumber": f"{round(tags.f_number * 10)}/10",
            "Exif.Photo.ExposureTime": f"1/{round(1 / tags.exposure_time_s)}",
            "Exif.Photo.ISOSpeedRatings": str(tags.iso),
            "Exif.Photo.DateTimeOriginal": tags.datetime,
        },
    )
