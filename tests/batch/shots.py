"""Real shots differ from one another in what the camera records per shot; the tests
make such a shot from a simulated DNG with Exiv2 (pyexiv2), not with ``io.dngwrite``."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyexiv2


def reshoot(src: Path, dst: Path, when: str, exposure: str) -> Path:
    """A copy of ``src`` as if shot at another time (``YYYY:MM:DD HH:MM:SS``) and shutter
    speed (``1/500``): DateTimeOriginal and ExposureTime changed in IFD0 and the EXIF IFD."""
    shutil.copy(src, dst)
    with pyexiv2.Image(str(dst)) as img:
        img.modify_exif({
            f"Exif.{ifd}.{tag}": value
            for ifd in ("Image", "Photo")
            for tag, value in (("DateTimeOriginal", when), ("ExposureTime", exposure))
        })  # fmt: skip
    return dst
