"""Reading and writing LUT files by suffix (.cube, .vlt), atomically."""

from __future__ import annotations

from pathlib import Path

from lsquared.errors import LutError
from lsquared.io.atomic import atomic_output
from lsquared.looks import cube, vlt
from lsquared.looks.lut import VLT_SIZE, Lut, resample

FORMATS = (".cube", ".vlt")


def read_lut(path: str | Path) -> Lut:
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".cube":
        return cube.read(path)
    if suffix == ".vlt":
        return vlt.read(path)
    raise LutError(
        path, f"unknown LUT format {suffix or '(none)'}; supported: {', '.join(FORMATS)}"
    )


def write_lut(lut: Lut, path: str | Path, size: int | None = None) -> tuple[Path, int, list[str]]:
    """Write ``lut`` as .cube or .vlt (chosen by suffix), resampling to ``size`` when it
    differs. Returns (path, values clamped, notes for the user)."""
    path = Path(path)
    suffix = path.suffix.lower()
    notes: list[str] = []
    clamped = 0
    if suffix == ".vlt":
        if size not in (None, VLT_SIZE):
            raise LutError(
                path, f"a .vlt is always {VLT_SIZE} points; --size {size} is not possible"
            )
        if lut.nodes != "vlt12":
            if (
                lut.size != VLT_SIZE
                or lut.shaper is not None
                or lut.domain_min != (0.0,) * 3
                or lut.domain_max != (1.0,) * 3
            ):
                lut = resample(lut, VLT_SIZE, "vlt12")
                notes.append(f"resampled to {VLT_SIZE} points on the .vlt's 12-bit nodes")
            else:
                notes.append("17-point uniform lattice mapped node for node onto the .vlt lattice")
        if lut.comments:
            notes.append(f"{len(lut.comments)} comment line(s) dropped: the .vlt header is fixed")
        text, clamped = vlt.dumps(lut)
    elif suffix == ".cube":
        if lut.nodes == "vlt12":
            lut = lut.with_(nodes="uniform")
            notes.append(".vlt nodes written one to one as a uniform 17-point lattice")
        if size is not None and size != lut.size:
            lut = resample(lut, size)
            notes.append(f"resampled to {size} points")
        text = cube.dumps(lut)
    else:
        raise LutError(
            path, f"unknown LUT format {suffix or '(none)'}; supported: {', '.join(FORMATS)}"
        )
    with atomic_output(path, [Path(lut.source)] if lut.source else []) as tmp:
        tmp.write_bytes(text.encode("ascii"))
    if clamped:
        notes.append(f"{clamped} value(s) outside [0, 1] clamped")
    return path, clamped, notes
