"""Distortion from RAW + in-camera corrected JPEG pairs, without a chart.

The JPEG is the camera's corrected image, resized (and often slightly zoomed) from the
recorded frame. Features (SIFT, Lowe 2004, with his ratio test) are matched between the
uncorrected RAW and the JPEG; a RANSAC similarity rejects false matches. Then a JPEG point
q maps to the corrected frame by ``u = c + s (q - c_jpeg) + t`` and to the recorded frame by
lensfun's distortion model, and the model's terms (shared by all pairs of a focal length)
and every pair's s, t are fitted by robust least squares (soft L1), matches beyond 3 sigma
dropped and the fit repeated.

TCA, where the JPEG corrects it: around every match, red and blue are registered against
green in the RAW and in the JPEG (gradient-based, sub-pixel), and lensfun's TCA model is
fitted to each (``fit.fit_tca``). The RAW's shifts are the lens's lateral colour; the
JPEG's are what the camera left of it. The RAW's fit is written when it is significant and
the JPEG keeps at most a fifth of it (the camera corrects TCA); otherwise the lens is
reported as not corrected. The difference of the two is not used as the measurement: the
JPEG's chroma compression (4:2:0, quantised) alone removes about half of the lateral colour
an uncorrected JPEG shows, so it would read as a partial correction.
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
FEATURES = 8000  # SIFT keypoints per image (matching grows with their square)
MIN_MATCHES = 200
RATIO = 0.75
PATCH = 32  # side of the patches registered per channel (RAW pixels)
SMOOTH = 2.0  # Gaussian (pixels) before registering channels: a JPEG's chroma is subsampled
MAX_SHIFT = 2.0
COLOUR_POINTS = 2000  # matches per pair whose lateral colour is measured
#: a JPEG corrects TCA when its lateral colour is at most this part of the RAW's (JPEG
#: compression of the chroma alone takes ~half of it away from an uncorrected JPEG)
JPEG_RESIDUAL = 0.2  # red or blue shift against green beyond which a patch is an outlier


@dataclass(frozen=True)
class Pair:
    raw: Path
    jpeg: Path
    settings: shots.Settings
    size: tuple[int, int]
    raw_points: np.ndarray  # (N, 2) recorded pixels
    jpeg_points: np.ndarray  # (N, 2) JPEG pixels
    jpeg_size: tuple[int, int]
    #: lateral colour at up to COLOUR_POINTS matches: (recorded points (N, 2), red and
    #: blue shift against green (N, 2, 2) in the RAW, the same in the JPEG brought to RAW
    #: pixels), NaN where a patch could not be registered
    colour: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None


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
    sift = cv2.SIFT_create(nfeatures=FEATURES)
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


def _patches(plane: np.ndarray, centres: np.ndarray) -> np.ndarray:
    """Square patches (N, PATCH, PATCH) of ``plane`` around sub-pixel centres (bicubic),
    remapped a thousand at a time (OpenCV's maps are limited to 32767 rows)."""
    import cv2

    o = np.arange(PATCH, dtype=np.float32) - (PATCH - 1) / 2
    plane = np.ascontiguousarray(plane, np.float32)
    out = np.empty((len(centres), PATCH, PATCH))
    for i in range(0, len(centres), 1000):
        c = centres[i : i + 1000].astype(np.float32)
        mx = np.broadcast_to(c[:, 0, None, None] + o[None, None, :], (len(c), PATCH, PATCH))
        my = np.broadcast_to(c[:, 1, None, None] + o[None, :, None], (len(c), PATCH, PATCH))
        out[i : i + len(c)] = cv2.remap(
            plane, np.ascontiguousarray(mx.reshape(-1, PATCH)),
            np.ascontiguousarray(my.reshape(-1, PATCH)), cv2.INTER_CUBIC,
            borderMode=cv2.BORDER_REFLECT,
        ).reshape(len(c), PATCH, PATCH)  # fmt: skip
    return out


def channel_shifts(rgb: np.ndarray, points: np.ndarray, iterations: int = 3) -> np.ndarray:
    """Red's and blue's shift (N, 2, 2) against green around each point: the d minimising
    ``sum w (C(x + d) - a G(x) - b)^2`` over a Hann-windowed patch (Lucas and Kanade 1981,
    with a gain and offset per patch), by Gauss-Newton from d = 0. NaN where the patch has
    too little texture or leaves the image."""
    import cv2

    rgb = cv2.GaussianBlur(np.ascontiguousarray(rgb, np.float32), (0, 0), SMOOTH)
    h, w = rgb.shape[:2]
    n = len(points)
    out = np.full((n, 2, 2), np.nan)
    margin = PATCH
    inside = ((points[:, 0] > margin) & (points[:, 0] < w - margin)
              & (points[:, 1] > margin) & (points[:, 1] < h - margin))  # fmt: skip
    centres = points[inside]
    window = np.outer(np.hanning(PATCH), np.hanning(PATCH)).ravel()
    green = _patches(rgb[..., 1], centres).reshape(len(centres), -1)
    for k, c in enumerate((0, 2)):
        d = np.zeros((len(centres), 2))
        ok = np.ones(len(centres), bool)
        for _ in range(iterations):
            moving = _patches(rgb[..., c], centres + d)
            gy, gx = np.gradient(moving, axis=(1, 2))
            cols = np.stack([gx.reshape(len(centres), -1), gy.reshape(len(centres), -1),
                             -green, -np.ones_like(green)], axis=-1)  # fmt: skip
            a = cols * window[None, :, None]
            normal = np.einsum("npi,npj->nij", a, cols)
            rhs = -np.einsum("npi,np->ni", a, moving.reshape(len(centres), -1))
            good = np.linalg.cond(normal) < 1e8
            ok &= good
            step = np.zeros_like(d)
            step[good] = np.linalg.solve(normal[good], rhs[good][..., None])[..., :2, 0]
            d += step
        ok &= np.abs(d).max(axis=1) < MAX_SHIFT
        shifts = np.where(ok[:, None], d, np.nan)
        out[np.flatnonzero(inside), k] = shifts
    return out


def colour(
    raw_rgb: np.ndarray, jpeg_rgb: np.ndarray, raw_pts: np.ndarray, jpeg_pts: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lateral colour at (up to COLOUR_POINTS evenly chosen) matches: the points, the RAW's
    red and blue shifts against green, and the JPEG's at the same matches, brought to RAW
    pixels by the linear part of the matches' similarity."""
    import cv2

    a, _ = cv2.estimateAffinePartial2D(jpeg_pts, raw_pts)  # JPEG -> RAW, least squares
    pick = np.unique(np.linspace(0, len(raw_pts) - 1, min(len(raw_pts), COLOUR_POINTS)).astype(int))
    ours = channel_shifts(raw_rgb, raw_pts[pick])
    theirs = channel_shifts(shots.srgb_to_linear(jpeg_rgb), jpeg_pts[pick]) @ a[:, :2].T
    return raw_pts[pick], ours, theirs


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


def _fit_shifts(frame: fit.Frame, green: np.ndarray, shifts: np.ndarray, model: str):
    """lensfun's TCA fitted to red and blue shifts (N, 2, 2) at recorded green points,
    twice: points beyond 3 sigma of the first fit are dropped."""
    red, blue = green + shifts[:, 0], green + shifts[:, 1]
    t = fit.fit_tca(frame, green, red, blue, model)
    err = np.hypot(*(red - frame.recorded(None, green, 0, (t.model, t.terms))).T) + np.hypot(
        *(blue - frame.recorded(None, green, 2, (t.model, t.terms))).T
    )
    keep = err <= 3 * np.sqrt(np.mean(err**2))
    return fit.fit_tca(frame, green[keep], red[keep], blue[keep], model)


def fit_colour(
    frame: fit.Frame, pairs: list[Pair], model: str
) -> tuple[fit.TcaFit, fit.TcaFit] | None:
    """lensfun's TCA of the lens from the RAWs' lateral colour, and the same model fitted
    to the JPEGs' (what the camera left); None when too few patches registered."""
    measured = [p.colour for p in pairs if p.colour is not None]
    if not measured:
        return None
    green, ours, theirs = (np.concatenate(m) for m in zip(*measured, strict=True))
    ok = np.isfinite(ours).all(axis=(1, 2)) & np.isfinite(theirs).all(axis=(1, 2))
    if ok.sum() < MIN_MATCHES // 4:
        return None
    return (_fit_shifts(frame, green[ok], ours[ok], model),
            _fit_shifts(frame, green[ok], theirs[ok], model))  # fmt: skip


def jpeg_corrects(raw: fit.TcaFit, jpeg: fit.TcaFit) -> bool:
    """The RAW has significant lateral colour and the JPEG keeps at most JPEG_RESIDUAL of
    it."""
    ours = max(abs(v) for v in raw.peak_px)
    return raw.significant and max(abs(v) for v in jpeg.peak_px) <= JPEG_RESIDUAL * ours


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
        colour(shot.rgb, jpeg, raw_pts, jpeg_pts) if options.kind != "distortion" else None,
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
        frame = fit.Frame(w, h, crop or 1.0)
        dist, per_pair = fit_pairs(frame, group, options.distortion_model)
        result.distortion[focal] = dist
        result.calibration.distortion[focal] = (dist.model, dist.terms)
        result.pairs.extend(per_pair)
        fits = fit_colour(frame, group, options.tca_model) if options.kind != "distortion" else None
        if fits is not None and jpeg_corrects(*fits):
            result.tca[focal] = fits[0]
            result.calibration.tca[focal] = (fits[0].model, fits[0].terms)
        elif fits is not None:
            result.tca_not_corrected[focal] = fits
    return cal.Result(list(lenses.values()), problems)
