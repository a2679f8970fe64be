"""Distortion from RAW + in-camera corrected JPEG pairs, without a chart.

The JPEG is the camera's corrected image, resized (and often slightly zoomed) from the
recorded frame. Features (SIFT, Lowe 2004, with his ratio test) are matched between the
uncorrected RAW and the JPEG; a RANSAC similarity rejects false matches. Then a JPEG point
q maps to the corrected frame by ``u = c + s (q - c_jpeg) + t`` and to the recorded frame by
lensfun's distortion model, and the model's terms (shared by all pairs of a focal length)
and every pair's s, t are fitted by robust least squares (soft L1), matches beyond 3 sigma
dropped and the fit repeated.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse

from lsquared.errors import LsqError
from lsquared.io import stills
from lsquared.optics import calibrate as cal
from lsquared.optics.calibrate import chart, fit, shots
from lsquared.optics.calibrate.lensfunxml import LensCalibration

FEATURE_SIZE = 2400  # longest side features are found at
MIN_MATCHES = 200
RATIO = 0.75


@dataclass(frozen=True)
class Pair:
    raw: Path
    jpeg: Path
    settings: shots.Settings
    size: tuple[int, int]
    raw_points: np.ndarray  # (N, 2) recorded pixels
    jpeg_points: np.ndarray  # (N, 2) JPEG pixels
    jpeg_size: tuple[int, int]


@dataclass(frozen=True)
class PairFit:
    raw: Path
    jpeg: Path
    matches: int
    used: int
    rms_px: float


def pairs_of(paths: list[Path]) -> tuple[list[tuple[Path, Path]], list[cal.Problem]]:
    """RAW (or uncorrected TIFF/PNG) and JPEG files of the same name."""
    jpegs = {p.stem.lower(): p for p in paths if p.suffix.lower() in shots.JPEG_SUFFIXES}
    others = [p for p in paths if p.suffix.lower() not in shots.JPEG_SUFFIXES]
    pairs, problems = [], []
    for p in others:
        j = jpegs.pop(p.stem.lower(), None)
        if j is None:
            problems.append(cal.Problem(str(p), "no JPEG of the same name beside it: left out"))
        else:
            pairs.append((p, j))
    problems += [cal.Problem(str(j), "no RAW of the same name: left out") for j in jpegs.values()]
    return pairs, problems


def match(raw_rgb: np.ndarray, jpeg_rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Matched points (recorded pixels, JPEG pixels), RANSAC inliers of a similarity."""
    import cv2

    a, fa = chart.reduced_grey(raw_rgb, FEATURE_SIZE, linear=True)
    b, fb = chart.reduced_grey(jpeg_rgb, FEATURE_SIZE, linear=False)
    sift = cv2.SIFT_create(nfeatures=20000)
    ka, da = sift.detectAndCompute(a, None)
    kb, db = sift.detectAndCompute(b, None)
    if da is None or db is None:
        return np.empty((0, 2)), np.empty((0, 2))
    knn = cv2.BFMatcher(cv2.NORM_L2).knnMatch(db, da, k=2)
    good = [m[0] for m in knn if len(m) == 2 and m[0].distance < RATIO * m[1].distance]
    pa = np.array([ka[m.trainIdx].pt for m in good], np.float64).reshape(-1, 2)
    pb = np.array([kb[m.queryIdx].pt for m in good], np.float64).reshape(-1, 2)
    # keypoint coordinates: pixel centres at integers in the reduced image
    pa = (pa + 0.5) / fa - 0.5
    pb = (pb + 0.5) / fb - 0.5
    if len(pa) < 3:
        return pa, pb
    threshold = 0.02 * max(raw_rgb.shape[:2])
    _, inliers = cv2.estimateAffinePartial2D(
        pb, pa, method=cv2.RANSAC, ransacReprojThreshold=threshold
    )
    keep = inliers.ravel().astype(bool) if inliers is not None else np.zeros(len(pa), bool)
    return pa[keep], pb[keep]


def _residuals(frame: fit.Frame, pairs: list[Pair], keep, model: str, x: np.ndarray):
    n = fit.MODEL_TERMS[model]
    terms = tuple(x[:n])
    centre = np.array([(frame.width - 1) / 2, (frame.height - 1) / 2])
    out = []
    for i, (pair, k) in enumerate(zip(pairs, keep, strict=True)):
        s, tx, ty = x[n + 3 * i : n + 3 * i + 3]
        cj = (np.array(pair.jpeg_size, float) - 1) / 2
        u = centre + s * (pair.jpeg_points[k] - cj) + np.array([tx, ty])
        out.append(pair.raw_points[k] - frame.recorded((model, terms), u))
    return out


def fit_pairs(frame: fit.Frame, pairs: list[Pair], model: str):
    """Shared distortion terms and per-pair scale and shift; returns (DistortionFit,
    [PairFit])."""
    n = fit.MODEL_TERMS[model]
    x0 = [np.zeros(n)]
    for pair in pairs:
        s = frame.width / pair.jpeg_size[0]
        x0.append(np.array([s, 0.0, 0.0]))
    x = np.concatenate(x0)
    keep = [np.ones(len(p.raw_points), bool) for p in pairs]
    for loss in ("soft_l1", "linear", "linear"):
        counts = [int(k.sum()) for k in keep]
        pattern = sparse.lil_matrix((2 * sum(counts), len(x)), dtype=np.int8)
        pattern[:, :n] = 1
        start = 0
        for i, c in enumerate(counts):
            pattern[start : start + 2 * c, n + 3 * i : n + 3 * i + 3] = 1
            start += 2 * c

        def residual(v, keep=keep):
            return np.concatenate([r.ravel() for r in _residuals(frame, pairs, keep, model, v)])

        x = fit._solve(residual, x, pattern, loss=loss)
        full = _residuals(frame, pairs, [np.ones(len(p.raw_points), bool) for p in pairs], model, x)
        err = [np.hypot(*r.T) for r in full]
        kept = np.concatenate([e[k] for e, k in zip(err, keep, strict=True)])
        sigma = float(np.sqrt(np.mean(kept**2)))
        keep = [e <= 3 * sigma for e in err]
    res = _residuals(frame, pairs, keep, model, x)
    all_res = np.concatenate(res)
    e = np.hypot(*all_res.T)
    positions = np.concatenate([p.raw_points[k] for p, k in zip(pairs, keep, strict=True)])
    dist = fit.DistortionFit(
        model,
        tuple(float(t) for t in x[:n]),
        float(np.sqrt(np.mean(e**2))),
        float(e.max()),
        len(e),
        int(sum((~k).sum() for k in keep)),
        positions,
        all_res,
    )
    per_pair = [
        PairFit(
            p.raw,
            p.jpeg,
            len(p.raw_points),
            int(k.sum()),
            float(np.sqrt(np.mean(np.sum(r**2, axis=1)))),
        )
        for p, k, r in zip(pairs, keep, res, strict=True)
    ]
    return dist, per_pair


def measure_pair(raw_path: Path, jpeg_path: Path, options: cal.Options) -> Pair:
    shot = shots.load(raw_path, options.overrides())
    cal.check_settings(shot, "distortion")
    jpeg = stills.read_image(jpeg_path)
    raw_pts, jpeg_pts = match(shot.rgb, jpeg)
    if len(raw_pts) < MIN_MATCHES:
        raise LsqError(
            jpeg_path,
            f"only {len(raw_pts)} feature matches with {raw_path.name} "
            f"(need {MIN_MATCHES}): not the same picture, or too little detail",
        )
    return Pair(
        raw_path,
        jpeg_path,
        shot.settings,
        shot.size,
        raw_pts,
        jpeg_pts,
        (jpeg.shape[1], jpeg.shape[0]),
    )


def calibrate(
    paths: list[Path], options: cal.Options, progress: Callable[[Path], None] | None = None
) -> cal.Result:
    paths = [Path(p) for p in paths]
    pairs, problems = pairs_of(paths)
    measured: dict[tuple[str, float], list[Pair]] = defaultdict(list)
    for raw_path, jpeg_path in pairs:
        if progress:
            progress(raw_path)
            progress(jpeg_path)
        try:
            pair = measure_pair(raw_path, jpeg_path, options)
            measured[(pair.settings.lens, pair.settings.focal)].append(pair)
        except LsqError as e:
            problems.append(cal.Problem(str(e.path), e.problem))
    lenses: dict[str, cal.LensResult] = {}
    for (name, focal), group in sorted(measured.items()):
        first = group[0]
        crop, mount = cal.crop_and_mount(first.settings, options)
        w, h = first.size
        if name not in lenses:
            maker = options.maker or first.settings.lens_maker or first.settings.make or "Unknown"
            lenses[name] = cal.LensResult(LensCalibration(maker, name, mount, crop or 1.0, w, h))
        result = lenses[name]
        dist, per_pair = fit_pairs(fit.Frame(w, h, crop or 1.0), group, options.distortion_model)
        result.distortion[focal] = dist
        result.calibration.distortion[focal] = (dist.model, dist.terms)
        result.pairs.extend(per_pair)
    return cal.Result(list(lenses.values()), problems)
