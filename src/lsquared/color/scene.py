"""Spectral scene colours for the camera simulator and its ground truth: the ColorChecker
24 reflectances (colour-science's "ColorChecker N Ohta" spectral data) under CIE standard
illuminants or a Planckian radiator, integrated with the CIE 1931 2-degree observer."""

from __future__ import annotations

import functools
import warnings

import numpy as np

from lsquared.color._colour import colour
from lsquared.color.spaces import D65_XY, cat_matrix

CHECKER = "ColorChecker N Ohta"
STANDARD_ILLUMINANTS = ("D65", "D50", "D55", "D75", "A", "FL2", "FL11")


def illuminant_sd(illuminant: str | float):
    """A CIE standard illuminant by name, or a blackbody at a temperature in kelvin."""
    c = colour()
    if isinstance(illuminant, int | float):
        return c.sd_blackbody(float(illuminant))
    if illuminant not in STANDARD_ILLUMINANTS:
        raise ValueError(
            f"unknown illuminant {illuminant!r}; valid: {STANDARD_ILLUMINANTS} or kelvin"
        )
    return c.SDS_ILLUMINANTS[illuminant]


@functools.cache
def _checker_xyz_cached(illuminant: str | float) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    with warnings.catch_warnings():  # colour-science notes its own spectral re-alignment
        warnings.simplefilter("ignore")
        return _checker_xyz(illuminant)


def _checker_xyz(illuminant: str | float) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    c = colour()
    sd_illum = illuminant_sd(illuminant)
    cmfs = c.MSDS_CMFS["CIE 1931 2 Degree Standard Observer"]
    shape = c.SpectralShape(380, 780, 5)
    sd_illum = sd_illum.copy().align(shape)
    cmfs = cmfs.copy().align(shape)
    names = tuple(c.SDS_COLOURCHECKERS[CHECKER].keys())
    xyz = np.array(
        [
            c.sd_to_XYZ(sd.copy().align(shape), cmfs, sd_illum) / 100.0
            for sd in c.SDS_COLOURCHECKERS[CHECKER].values()
        ]
    )
    white = np.asarray(c.sd_to_XYZ(c.sd_ones(shape), cmfs, sd_illum) / 100.0)
    return names, xyz, white


def checker_xyz(illuminant: str | float = "D65") -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """(patch names, 24 x 3 XYZ, XYZ of the perfect white) under ``illuminant``; Y of the
    perfect reflecting diffuser is 1."""
    names, xyz, white = _checker_xyz_cached(illuminant)
    return names, xyz.copy(), white.copy()


def adapt_to_d65(xyz: np.ndarray, white_xyz: np.ndarray) -> np.ndarray:
    """Bradford adaptation (Lam 1985) of XYZ seen under ``white_xyz`` to D65."""
    white_xy = white_xyz[:2] / white_xyz.sum()
    return np.asarray(xyz) @ cat_matrix(white_xy, D65_XY, "Bradford").T


def xyz_to_lab_d65(xyz: np.ndarray) -> np.ndarray:
    """CIE L*a*b* relative to D65 (CIE 15:2004, eq. 8.1)."""
    c = colour()
    return c.XYZ_to_Lab(np.asarray(xyz), illuminant=np.array(D65_XY))


def delta_e_2000(lab1: np.ndarray, lab2: np.ndarray) -> np.ndarray:
    """CIEDE2000 colour difference (Sharma, Wu & Dalal 2005), via colour-science."""
    return np.asarray(colour().delta_E(lab1, lab2, method="CIE 2000"))
