"""Lens calibration: lensfun profiles from chessboard and flat-field shots, or from the
camera's own distortion-corrected JPEGs.

Shots are grouped by lens and focal length (distortion, TCA) and by lens, focal length and
aperture (vignetting); every group is fitted in lensfun's conventions (see ``fit``) and the
result is a lensfun XML file (``lensfunxml``). A shot that cannot be used is named with
its reason and the fit goes on with the rest.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lsquared.errors import LsqError
from lsquared.optics.calibrate import chart, fit, lines, shots
from lsquared.optics.calibrate.lensfunxml import LensCalibration

KINDS = ("distortion", "tca", "vignetting")
MIN_ZOOM_FOCALS = 3
DEFAULT_PATTERN = (9, 6)
DEFAULT_MOUNT = "Leica L"


@dataclass(frozen=True)
class Options:
    lens: str | None = None
    maker: str | None = None
    mount: str | None = None
    crop_factor: float | None = None
    focal: float | None = None
    aperture: float | None = None
    kind: str | None = None  # distortion | tca | vignetting; None: told from the pixels
    pattern: tuple[int, int] = DEFAULT_PATTERN
    distortion_model: str = "ptlens"
    tca_model: str = "poly3"

    def overrides(self) -> dict:
        return {
            "lens": self.lens,
            "maker": self.maker,
            "focal": self.focal,
            "aperture": self.aperture,
            "crop": self.crop_factor,
        }


@dataclass(frozen=True)
class Problem:
    path: str
    reason: str

    def line(self) -> str:
        return f"{self.path}: {self.reason}"


@dataclass(frozen=True)
class View:
    """What one usable shot leaves: where it came from and its measurement."""

    path: Path
    settings: shots.Settings
    size: tuple[int, int]


@dataclass(frozen=True)
class ChartView(View):
    corners: chart.Corners


@dataclass(frozen=True)
class LineView(View):
    lines: list[np.ndarray]  # recorded edge points (N, 2) of each straight line, green


@dataclass(frozen=True)
class FlatView(View):
    radii: np.ndarray
    values: np.ndarray


@dataclass
class LensResult:
    calibration: LensCalibration
    distortion: dict[float, fit.DistortionFit] = field(default_factory=dict)
    tca: dict[float, fit.TcaFit] = field(default_factory=dict)
    vignetting: dict[tuple[float, float], fit.VignettingFit] = field(default_factory=dict)
    shots: dict[str, list[Path]] = field(default_factory=dict)  # chart | flat-field -> used
    pairs: list = field(default_factory=list)  # from-JPEG: fromjpeg.PairFit per pair used
    #: from-JPEG: focal lengths whose JPEGs do not correct TCA: (RAW's fit, JPEG's fit)
    tca_not_corrected: dict[float, tuple[fit.TcaFit, fit.TcaFit]] = field(default_factory=dict)


@dataclass
class Result:
    lenses: list[LensResult]
    problems: list[Problem]

    @property
    def fitted(self) -> bool:
        return any(not r.calibration.empty for r in self.lenses)


@dataclass
class _Measured:
    settings: shots.Settings
    size: tuple[int, int]
    charts: list[ChartView] = field(default_factory=list)
    lines: list[LineView] = field(default_factory=list)
    flats: list[FlatView] = field(default_factory=list)


def _kind_of(shot: shots.Shot, options: Options) -> str:
    if options.kind:
        return "vignetting" if options.kind == "vignetting" else "chart"
    return "vignetting" if shots.structure(shot.preview) < shots.FLAT_STRUCTURE else "chart"


def _measure_flat(shot: shots.Shot) -> tuple[np.ndarray, np.ndarray]:
    clipped = shots.clipped_fraction(shot.rgb)
    if clipped > shots.CLIPPED_FRACTION:
        raise LsqError(
            shot.path,
            f"flat field clipped: {clipped:.1%} of the pixels at white "
            "(expose about one stop lower)",
        )
    grey = shot.rgb.mean(axis=-1)
    texture = shots.structure(shot.preview)
    radii, values = fit.radial_bins(grey)
    uneven = fit.radial_misfit(grey, radii, values)
    if texture >= shots.FLAT_STRUCTURE or uneven >= shots.FLAT_UNEVEN:
        raise LsqError(
            shot.path,
            f"not a flat field: local contrast {texture:.1%}, {uneven:.1%} RMS off a radial "
            "falloff (shoot an evenly lit surface through a diffuser, out of focus)",
        )
    return radii, values


def _measure_chart(shot: shots.Shot, pattern: tuple[int, int]) -> chart.Corners | list:
    """A chessboard's corners, or else the shot's long straight edges (a line chart or
    architecture)."""
    small = chart.grey8(shot.preview)
    sharp = chart.sharpness(small)
    if sharp < chart.SHARPNESS_MIN:
        raise LsqError(
            shot.path,
            f"too blurred for a chart (edge sharpness {sharp:.2f} < {chart.SHARPNESS_MIN}); "
            "focus on the board",
        )
    found = chart.find_corners(shot.rgb, pattern, small, shot.preview_factor)
    if found is not None:
        return found
    straight = lines.find_lines(shot.rgb)
    if len(straight) < lines.MIN_LINES:
        cols, rows = pattern
        raise LsqError(
            shot.path,
            f"no chessboard with {cols} x {rows} inner corners found (the whole board must "
            f"be in the frame; see --board) and {len(straight)} long straight lines (a line "
            f"shot needs {lines.MIN_LINES}, each across a quarter of the frame)",
        )
    return straight


def check_settings(shot: shots.Shot, kind: str) -> None:
    s = shot.settings
    if not s.lens:
        raise LsqError(shot.path, "no lens model in EXIF: give --lens")
    if s.focal is None:
        raise LsqError(shot.path, "no focal length in EXIF: give --focal")
    if kind == "vignetting" and s.aperture is None:
        raise LsqError(shot.path, "no aperture in EXIF: give --aperture")


def measure_one(path: Path, options: Options) -> View | Problem:
    """One shot's measurement (corners, lines or radial profile), or why it cannot be
    used."""
    try:
        shot = shots.load(path, options.overrides())
        kind = _kind_of(shot, options)
        check_settings(shot, kind)
        if kind == "vignetting":
            return FlatView(path, shot.settings, shot.size, *_measure_flat(shot))
        found = _measure_chart(shot, options.pattern)
        if isinstance(found, chart.Corners):
            return ChartView(path, shot.settings, shot.size, found)
        return LineView(path, shot.settings, shot.size, found)
    except LsqError as e:
        return Problem(str(e.path), e.problem)


def measure(
    paths: list[Path],
    options: Options,
    progress: Callable[[Path], None] | None = None,
    workers: int = 2,
) -> tuple[dict[str, _Measured], list[Problem]]:
    """Read every shot once (``workers`` processes; a 24 MP shot is ~0.3 GB in memory) and
    keep only its measurements, grouped by lens."""
    from concurrent.futures import ProcessPoolExecutor

    groups: dict[str, _Measured] = {}
    problems: list[Problem] = []
    with ProcessPoolExecutor(max_workers=max(1, min(workers, len(paths)))) as pool:
        for path, item in zip(
            paths, pool.map(measure_one, paths, [options] * len(paths)), strict=True
        ):
            if progress:
                progress(path)
            if isinstance(item, Problem):
                problems.append(item)
                continue
            group = groups.setdefault(item.settings.lens, _Measured(item.settings, item.size))
            if item.size != group.size:
                problems.append(
                    Problem(
                        str(path),
                        f"size {item.size[0]} x {item.size[1]} "
                        "differs from the other shots of this lens "
                        f"({group.size[0]} x {group.size[1]})",
                    )
                )
            elif isinstance(item, FlatView):
                group.flats.append(item)
            elif isinstance(item, LineView):
                group.lines.append(item)
            else:
                group.charts.append(item)
    problems += _drop_other_bodies(groups)
    return groups, problems


def _drop_other_bodies(groups: dict[str, _Measured]) -> list[Problem]:
    """Calibrations are per body (sensor size, crop): shots from a body other than the most
    common one are left out, each named."""
    views = [v for g in groups.values() for v in (*g.charts, *g.lines, *g.flats)]
    known = Counter(v.settings.body for v in views if v.settings.body)
    if len(known) <= 1:
        return []
    main = known.most_common(1)[0][0]
    other = {v.path: v.settings.body for v in views if v.settings.body not in (None, main)}
    for g in groups.values():
        g.charts = [v for v in g.charts if v.path not in other]
        g.lines = [v for v in g.lines if v.path not in other]
        g.flats = [f for f in g.flats if f.path not in other]
    return [
        Problem(
            str(path),
            f"taken with {body}, the other shots with {main}: mixed "
            "bodies; calibrate each body separately",
        )
        for path, body in other.items()
    ]


def crop_and_mount(s: shots.Settings, options: Options) -> tuple[float | None, str]:
    from lsquared.optics import lensdb

    crop = options.crop_factor or s.crop or lensdb.camera_crop(s.make, s.model)
    mount = lensdb.mount_name(options.mount) if options.mount else None
    if mount is None and s.make and s.model:
        cams = lensdb.load_database().find_cameras(s.make, s.model, loose_search=True)
        mount = cams[0].mount if cams else None
    return crop, mount or DEFAULT_MOUNT


def _zoom_range(name: str) -> tuple[float, float] | None:
    m = re.search(r"(\d+(?:\.\d+)?)\s*-\s*(\d+(?:\.\d+)?)\s*(?:mm|/|\s|$)", name)
    return (float(m.group(1)), float(m.group(2))) if m else None


def fit_group(
    key: str, group: _Measured, options: Options
) -> tuple[LensResult | None, list[Problem]]:
    problems: list[Problem] = []
    crop, mount = crop_and_mount(group.settings, options)
    if crop is None:
        crop = 1.0
        problems.append(
            Problem(
                key,
                "crop factor unknown (no 35 mm equivalent focal length in "
                "EXIF, body not in lensfun): 1.0 written; give --crop-factor",
            )
        )
    w, h = group.size
    frame = fit.Frame(w, h, crop)
    cal = LensCalibration(
        options.maker or group.settings.lens_maker or group.settings.make or "Unknown",
        key,
        mount,
        crop,
        w,
        h,
    )
    result = LensResult(cal)
    by_focal: dict[float, list[ChartView | LineView]] = defaultdict(list)
    for view in (*group.charts, *group.lines):
        by_focal[view.settings.focal].append(view)
    for focal, both in sorted(by_focal.items()):
        views = [v for v in both if isinstance(v, ChartView)]
        line_views = [v for v in both if isinstance(v, LineView)]
        if options.kind != "tca":
            d = fit.fit_distortion(
                frame,
                [(v.corners.board, v.corners.channels[1]) for v in views],
                [line for v in line_views for line in v.lines],
                options.distortion_model,
            )
            result.distortion[focal] = d
            cal.distortion[focal] = (d.model, d.terms)
        if options.kind != "distortion" and views:
            stacked = [np.concatenate([v.corners.channels[c] for v in views]) for c in range(3)]
            t = fit.fit_tca(frame, stacked[1], stacked[0], stacked[2], options.tca_model)
            result.tca[focal] = t
            cal.tca[focal] = (t.model, t.terms)
        for kind, used in (("chart", views), ("lines", line_views)):
            if used:
                result.shots.setdefault(kind, []).extend(v.path for v in used)
    by_setting: dict[tuple[float, float], list[FlatView]] = defaultdict(list)
    for flat in group.flats:
        by_setting[(flat.settings.focal, flat.settings.aperture)].append(flat)
    for setting, flats in sorted(by_setting.items()):
        vf = fit.fit_vignetting([(f.radii, f.values) for f in flats])
        result.vignetting[setting] = vf
        cal.vignetting[setting] = vf.terms
        result.shots.setdefault("flat-field", []).extend(f.path for f in flats)
    zoom = _zoom_range(key)
    if zoom and zoom[0] != zoom[1] and 0 < len(by_focal) < MIN_ZOOM_FOCALS:
        focals = ", ".join(f"{f:g}" for f in sorted(by_focal))
        problems.append(
            Problem(
                key,
                f"too few focal lengths: a {zoom[0]:g}-{zoom[1]:g} mm zoom "
                f"calibrated at {focals} mm only; lensfun interpolates between "
                f"calibrations, shoot at least {MIN_ZOOM_FOCALS} across the range",
            )
        )
    return (result if not cal.empty else None), problems


def calibrate(
    paths: list[Path], options: Options, progress: Callable[[Path], None] | None = None
) -> Result:
    """Measure every shot, fit every lens; the caller writes ``Result.lenses`` when
    ``Result.fitted``."""
    groups, problems = measure([Path(p) for p in paths], options, progress)
    lenses = []
    for key, group in groups.items():
        lens, more = fit_group(key, group, options)
        problems += more
        if lens is not None:
            lenses.append(lens)
    return Result(lenses, problems)
