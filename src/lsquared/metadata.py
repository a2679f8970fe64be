"""Metadata that travels with an image: camera, lens, exposure and colour calibration."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any


@dataclass(frozen=True)
class HueSatMap:
    """A DNG 1.6 ``ProfileHueSatMap`` or ``ProfileLookTable`` (tags 50937-50939, 50981-50982,
    51107-51108, 52537): ``dims`` = (hue, saturation, value) divisions; ``data`` holds, for
    each value division, then hue, then saturation (innermost), the triple (hue shift in
    degrees, saturation scale, value scale); ``srgb_value`` says the value axis is indexed
    by the sRGB encoding of V (``...Encoding`` = 1) rather than V itself."""

    dims: tuple[int, int, int]
    data: tuple[float, ...]
    srgb_value: bool = False


@dataclass(frozen=True)
class ColorCalibration:
    """The camera's colour calibration as the DNG specification 1.6, chapter 6, defines it.

    ``color_matrices`` map CIE XYZ to reference camera space, one per calibration illuminant
    (``illuminants`` holds their EXIF LightSource codes, e.g. 17 = Standard A, 21 = D65;
    ``illuminant_data`` what an ``IlluminantData`` tag says of a code 255, "other": (0, x,
    y) or (1, first wavelength nm, spacing nm, *spectral samples), else None);
    ``camera_calibrations`` and ``analog_balance`` complete ``XYZtoCamera = AB * CC * CM``.
    ``forward_matrices`` (white-balanced camera -> XYZ D50; () for an illuminant without
    one) take precedence over the colour matrices for rendering. ``as_shot_neutral`` is the
    camera-space value of a neutral under the shooting illuminant, ``as_shot_white_xy`` the
    same white as a chromaticity (a file records one or the other). ``hue_sat_maps`` (one
    per illuminant, or one) are part of the colorimetric profile; ``look_table`` is the
    profile's optional look. ``tags`` names the DNG tags these values came from.
    """

    color_matrices: tuple[tuple[float, ...], ...]
    illuminants: tuple[int, ...]
    camera_calibrations: tuple[tuple[float, ...], ...] = ()
    analog_balance: tuple[float, float, float] = (1.0, 1.0, 1.0)
    as_shot_neutral: tuple[float, float, float] | None = None
    baseline_exposure_ev: float = 0.0
    forward_matrices: tuple[tuple[float, ...], ...] = ()
    illuminant_data: tuple[tuple[float, ...] | None, ...] = ()
    as_shot_white_xy: tuple[float, float] | None = None
    baseline_exposure_offset_ev: float = 0.0
    hue_sat_maps: tuple[HueSatMap, ...] = ()
    look_table: HueSatMap | None = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Metadata:
    """What is known about the source of an image. Unknown values are ``None``."""

    source_path: str = ""
    make: str | None = None
    model: str | None = None
    lens_model: str | None = None
    focal_length_mm: float | None = None
    aperture_f: float | None = None
    focus_distance_m: float | None = None
    exposure_time_s: float | None = None
    iso: float | None = None
    datetime_original: str | None = None
    orientation: int = 1
    crop_factor: float | None = None
    calibration: ColorCalibration | None = None
    grey_world_neutral: tuple[float, float, float] | None = None
    image_size: tuple[int, int] | None = None  # (width, height) of the decoded image
    lens_opcodes: tuple[Any, ...] = ()  # parsed DNG opcodes that correct the lens
    #: a, b, c of a Panasonic RW2 DistortionInfo (tag 0x0119) whose correction flag is on
    rw2_distortion: tuple[float, float, float] | None = None
    camera_corrected_vignetting: bool = False  # e.g. Lumix "shading compensation" was on
    exif: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def with_(self, **changes: Any) -> Metadata:
        """A copy with some fields changed."""
        return replace(self, **changes)
