"""A calibrated lens as a lensfun database file.

Elements and attributes follow lensfun's ``data/db/lensfun-database.dtd``: ``<lens>`` with
``<maker>``, ``<model>``, ``<mount>``, ``<cropfactor>``, ``<aspect-ratio>`` and one
``<calibration>`` holding ``<distortion>`` (ptlens a, b, c or poly3 k1), ``<tca>`` (linear kr,
kb or poly3 vr, vb, cr, cb, br, bb) per focal length and ``<vignetting>`` (pa k1, k2, k3)
per focal length and aperture. Version 1 is what lensfun 0.3.4 (lensfunpy) reads; version 2
is upstream lensfun's, whose elements used here are the same (lensfun's own v2 -> v1
converter only changes the version number). lensfun interpolates vignetting over focus
distance too; flat fields are shot at one distance, so each is written for 10 m and
1000 m as lensfun's ``lens_calibrate.py`` does.
"""

from __future__ import annotations

import math
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from lsquared.io.atomic import atomic_output

TCA_NAMES = {"linear": ("kr", "kb"), "poly3": ("vr", "vb", "cr", "cb", "br", "bb")}
DISTORTION_NAMES = {"ptlens": ("a", "b", "c"), "poly3": ("k1",)}
VIGNETTING_DISTANCES = (10, 1000)


@dataclass
class LensCalibration:
    maker: str
    model: str
    mount: str
    crop_factor: float
    width: int
    height: int
    distortion: dict[float, tuple[str, tuple[float, ...]]] = field(default_factory=dict)
    tca: dict[float, tuple[str, tuple[float, ...]]] = field(default_factory=dict)
    vignetting: dict[tuple[float, float], tuple[float, float, float]] = field(default_factory=dict)

    @property
    def aspect_ratio(self) -> str:
        g = math.gcd(self.width, self.height)
        return f"{self.width // g}:{self.height // g}"

    @property
    def empty(self) -> bool:
        return not (self.distortion or self.tca or self.vignetting)


def _num(v: float) -> str:
    return f"{v:.8g}"


def to_xml(cals: list[LensCalibration], version: int = 1) -> bytes:
    root = ET.Element("lensdatabase", version=str(version))
    for cal in cals:
        _lens_element(root, cal)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def _lens_element(root: ET.Element, cal: LensCalibration) -> None:
    lens = ET.SubElement(root, "lens")
    for tag, text in (
        ("maker", cal.maker),
        ("model", cal.model),
        ("mount", cal.mount),
        ("cropfactor", _num(cal.crop_factor)),
        ("aspect-ratio", cal.aspect_ratio),
    ):
        ET.SubElement(lens, tag).text = text
    calib = ET.SubElement(lens, "calibration")
    for element, fits, names in (("distortion", cal.distortion, DISTORTION_NAMES),
                                 ("tca", cal.tca, TCA_NAMES)):  # fmt: skip
        for focal, (model, terms) in sorted(fits.items()):
            attrs = {n: _num(t) for n, t in zip(names[model], terms, strict=True)}
            ET.SubElement(calib, element, model=model, focal=_num(focal), **attrs)
    for (focal, aperture), ks in sorted(cal.vignetting.items()):
        for distance in VIGNETTING_DISTANCES:
            ET.SubElement(
                calib,
                "vignetting",
                model="pa",
                focal=_num(focal),
                aperture=_num(aperture),
                distance=str(distance),
                k1=_num(ks[0]),
                k2=_num(ks[1]),
                k3=_num(ks[2]),
            )


def write(cals: list[LensCalibration], path: str | Path, inputs=(), version: int = 1) -> Path:
    path = Path(path)
    with atomic_output(path, inputs) as tmp:
        tmp.write_bytes(to_xml(cals, version))
    return path
