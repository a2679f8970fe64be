"""Least-squares fits of lensfun's models to measured positions and intensities.

The forward models are lensfun's own maps as ``optics.profile`` evaluates them (checked
against lensfun's Modifier): a corrected point u goes to the recorded point
``source_coordinates(profile, u)``, so a fit needs no inverse and uses lensfun's coordinate
normalisation (r = 1 at half the shorter side, centre (W - 1)/2, (H - 1)/2) by
construction. The profile is fitted for the frame it was shot on (calibration crop and
aspect W / H, as the XML records them); lensfun's crop scaling ``cc`` is then 1 to within
1e-4 (it takes the image's aspect as (W - 1) / (H - 1)), and the forward model includes it.

- Distortion from a planar chart (Zhang 2000, "A flexible new technique for camera
  calibration", with lensfun's radial model in place of Brown's): every shot's board plane
  maps to the corrected image by a homography; the recorded corners are the lens model
  applied to those points. The homographies and the model's terms are fitted jointly
  (Levenberg-Marquardt, MINPACK through scipy), then corners beyond 4 sigma are dropped
  and the fit repeated.
- TCA: lensfun scales the red and blue recorded positions about the centre by
  ``f(r) = v + c r + b r^2`` (r of the green position), so per corner
  ``p_red = f(|p_green|) p_green``: linear least squares in (v, c, b).
- Vignetting: lensfun's ``pa`` model, intensity ``A (1 + k1 r^2 + k2 r^4 + k3 r^6)`` with
  r = 1 at the half diagonal, fitted to radial bins of the flat field as lensfun's
  ``tools/calibrate/lens_calibrate.py`` does (linear here: A, A k1, A k2, A k3).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import optimize

from lsquared.optics.profile import LensProfile, source_coordinates

MODEL_TERMS = {"ptlens": 3, "poly3": 1}
OUTLIER_SIGMA = 4.0


@dataclass(frozen=True)
class Frame:
    """The recorded frame a fit works in: size and crop factor."""

    width: int
    height: int
    crop: float = 1.0

    def profile(self, distortion=None, tca=None) -> LensProfile:
        return LensProfile(
            "calibration",
            "profile",
            distortion=distortion,
            tca=tca,
            calibration_crop=self.crop,
            calibration_aspect=self.width / self.height,
        )

    def recorded(self, distortion, u: np.ndarray, channel: int = 1, tca=None) -> np.ndarray:
        """Recorded positions (N, 2) of corrected positions u (N, 2)."""
        sx, sy = source_coordinates(
            self.profile(distortion, tca), self.width, self.height, self.crop, u[:, 0], u[:, 1]
        )
        return np.stack([sx[channel], sy[channel]], axis=-1)

    @property
    def scale(self) -> float:
        """Pixels per normalised unit (r = 1 at half the shorter side)."""
        return (min(self.width, self.height) - 1) / 2

    def normalised(self, p: np.ndarray) -> np.ndarray:
        centre = np.array([(self.width - 1) / 2, (self.height - 1) / 2])
        return (p - centre) / self.scale


@dataclass(frozen=True)
class DistortionFit:
    model: str
    terms: tuple[float, ...]
    rms_px: float
    max_px: float
    used: int  # corners kept
    dropped: int  # outliers
    positions: np.ndarray  # recorded positions (N, 2) of the kept points
    residuals: np.ndarray  # measured - model (N, 2)


def _project(h8: np.ndarray, index: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """Points (N, 2) through the homography of their view: ``h8`` holds each view's
    first 8 entries (h33 = 1), ``index`` each point's view."""
    h = np.concatenate([h8.reshape(-1, 8), np.ones((len(h8) // 8, 1))], axis=1)[index]
    x, y = pts[:, 0], pts[:, 1]
    w = h[:, 6] * x + h[:, 7] * y + h[:, 8]
    return np.stack([(h[:, 0] * x + h[:, 1] * y + h[:, 2]) / w,
                     (h[:, 3] * x + h[:, 4] * y + h[:, 5]) / w], axis=-1)  # fmt: skip


def _solve(
    residual: Callable[[np.ndarray], np.ndarray], x0: np.ndarray, sparsity=None, loss="linear"
) -> np.ndarray:
    """Least squares: Levenberg-Marquardt (MINPACK) for plain squares, which converges in a
    few iterations here; the trust-region method with the block-sparse Jacobian for robust
    losses."""
    if loss == "linear":
        result = optimize.least_squares(residual, x0, method="lm", x_scale="jac",
                                        xtol=1e-12, ftol=1e-12)  # fmt: skip
    else:
        result = optimize.least_squares(
            residual, x0, method="trf", jac_sparsity=sparsity, x_scale="jac", loss=loss,
            f_scale=1.0, max_nfev=100,
        )  # fmt: skip
    return result.x


def corrected(frame: Frame, distortion, p: np.ndarray, iterations: int = 8) -> np.ndarray:
    """Corrected positions of recorded points p (N, 2): the forward model inverted by
    fixed-point iteration ``u <- u + p - recorded(u)`` (a contraction: the model's
    Jacobian is within a few per cent of the identity for real lenses)."""
    u = p.copy()
    for _ in range(iterations):
        u = u + (p - frame.recorded(distortion, u))
    return u


def straightness(u: np.ndarray, index: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Signed distances of points u (N, 2) from the total-least-squares line through the
    points of their line (``index``: each point's line), and the lines' unit normals."""
    n = np.bincount(index, minlength=count)
    mean = np.stack([np.bincount(index, u[:, k], count) for k in (0, 1)], -1) / n[:, None]
    d = u - mean[index]
    sxx, syy, sxy = (np.bincount(index, w, count) for w in (d[:, 0] ** 2, d[:, 1] ** 2,
                                                            d[:, 0] * d[:, 1]))  # fmt: skip
    theta = 0.5 * np.arctan2(2 * sxy, sxx - syy)  # direction of the largest spread
    normal = np.stack([-np.sin(theta), np.cos(theta)], -1)
    return np.sum(d * normal[index], axis=1), normal


def fit_distortion(
    frame: Frame,
    views: list[tuple[np.ndarray, np.ndarray]],
    lines: list[np.ndarray] = (),
    model: str = "ptlens",
) -> DistortionFit:
    """Distortion terms from chart views and straight lines, fitted jointly. A chart view
    is (board points (N, 2) in board units, recorded corners (N, 2) in pixels, green); a
    line is its recorded edge points (N, 2): after correction they must lie on a straight
    line (its position and direction are eliminated by the total-least-squares fit, so the
    residual is the points' distance from it, in pixels)."""
    import cv2

    nterms = MODEL_TERMS[model]
    board = np.concatenate([b for b, _ in views]) if views else np.empty((0, 2))
    corners = np.concatenate([c for _, c in views]) if views else np.empty((0, 2))
    index = np.repeat(np.arange(len(views)), [len(b) for b, _ in views]).astype(int)
    edge = np.concatenate(lines) if len(lines) else np.empty((0, 2))
    line_of = np.repeat(np.arange(len(lines)), [len(p) for p in lines]).astype(int)
    hs = []
    for b, c in views:
        h, _ = cv2.findHomography(b.astype(np.float64), c.astype(np.float64))
        hs.append((h / h[2, 2]).ravel()[:8])
    x = np.concatenate([np.zeros(nterms), *hs])

    def residuals(x, keep, keep_edge):
        terms = (model, tuple(x[:nterms]))
        u = _project(x[nterms:], index[keep], board[keep])
        corner_res = corners[keep] - frame.recorded(terms, u)
        dist, normal = straightness(corrected(frame, terms, edge[keep_edge]),
                                    line_of[keep_edge], len(lines))  # fmt: skip
        return corner_res, dist, normal[line_of[keep_edge]]

    def flat(x, keep, keep_edge):
        corner_res, dist, _ = residuals(x, keep, keep_edge)
        return np.concatenate([corner_res.ravel(), dist])

    keep, keep_edge = np.ones(len(board), bool), np.ones(len(edge), bool)
    for _ in range(3):
        x = _solve(lambda v, k=keep, ke=keep_edge: flat(v, k, ke), x)
        corner_res, dist, _ = residuals(x, np.ones(len(board), bool), keep_edge)
        err, edge_err = np.hypot(*corner_res.T), np.abs(dist)
        sigma = np.sqrt(np.mean(np.concatenate([err[keep], edge_err]) ** 2))
        new_keep = err <= max(OUTLIER_SIGMA * sigma, 1e-3)
        new_edge = keep_edge.copy()
        new_edge[keep_edge] = edge_err <= max(OUTLIER_SIGMA * sigma, 1e-3)
        if (new_keep == keep).all() and (new_edge == keep_edge).all():
            break
        keep, keep_edge = new_keep, new_edge
    corner_res, dist, normal = residuals(x, keep, keep_edge)
    res = np.concatenate([corner_res, dist[:, None] * normal])
    err = np.hypot(*res.T)
    return DistortionFit(
        model, tuple(float(t) for t in x[:nterms]), float(np.sqrt(np.mean(err**2))),
        float(err.max()), len(err), int((~keep).sum() + (~keep_edge).sum()),
        np.concatenate([corners[keep], edge[keep_edge]]), res,
    )  # fmt: skip


@dataclass(frozen=True)
class TcaFit:
    model: str
    terms: tuple[float, ...]  # lensfun order: linear (kr, kb); poly3 (vr, vb, cr, cb, br, bb)
    rms_px: float  # red and blue residuals after the fit
    used: int
    #: red's and blue's largest shift against green over the frame (pixels, along the
    #: radius), and the standard error of each from the fit's residuals
    peak_px: tuple[float, float] = (0.0, 0.0)
    peak_sigma_px: tuple[float, float] = (0.0, 0.0)
    floor_px: float = 0.0  # TCA_MIN of the frame's half diagonal

    @property
    def significant(self) -> bool:
        """A peak shift of at least ``TCA_MIN`` of the half diagonal and ``TCA_SIGMAS``
        standard errors, in red or blue."""
        return any(
            abs(s) >= max(self.floor_px, TCA_SIGMAS * e)
            for s, e in zip(self.peak_px, self.peak_sigma_px, strict=True)
        )


TCA_MIN = 5e-5  # 0.18 px on a 6000 x 4000 frame
TCA_SIGMAS = 5.0


def fit_tca(
    frame: Frame, green: np.ndarray, red: np.ndarray, blue: np.ndarray, model: str = "poly3"
) -> TcaFit:
    """lensfun's TCA terms from matching recorded positions (N, 2) of the three channels;
    the peak shifts' standard errors from the least-squares covariance
    ``sigma^2 (A^T A)^-1`` (sigma from the residuals)."""
    g = frame.normalised(green)
    r = np.hypot(*g.T)
    powers = 1 if model == "linear" else 3
    design = np.concatenate(
        [g[:, :1] * r[:, None] ** np.arange(powers), g[:, 1:] * r[:, None] ** np.arange(powers)]
    )
    half_diagonal = np.hypot(frame.width - 1, frame.height - 1) / 2
    radii = np.linspace(0, half_diagonal / frame.scale, 64)
    # radial shift (f(r) - 1) r in pixels per unit of each term (v - 1, c, b)
    along = radii[:, None] ** np.arange(1, powers + 1) * frame.scale
    coefs, residuals, shifts, sigmas = [], [], [], []
    for other in (red, blue):
        target = frame.normalised(other)
        rhs = np.concatenate([target[:, 0], target[:, 1]])
        c, *_ = np.linalg.lstsq(design, rhs, rcond=None)
        coefs.append(c)
        res = rhs - design @ c
        residuals.append(res * frame.scale)
        cov = (
            np.linalg.pinv(design.T @ design)
            * np.mean(res**2)
            * len(rhs)
            / max(len(rhs) - powers, 1)
        )
        shift = along @ (c - np.eye(powers)[0])
        peak = int(np.argmax(np.abs(shift)))
        shifts.append(float(shift[peak]))
        sigmas.append(float(np.sqrt(along[peak] @ cov @ along[peak])))
    terms = (
        (coefs[0][0], coefs[1][0])
        if model == "linear"
        else (coefs[0][0], coefs[1][0], coefs[0][1], coefs[1][1], coefs[0][2], coefs[1][2])
    )
    res = np.concatenate(residuals)
    return TcaFit(
        model, tuple(float(t) for t in terms), float(np.sqrt(np.mean(res**2)) * np.sqrt(2)),
        len(g), (shifts[0], shifts[1]), (sigmas[0], sigmas[1]), TCA_MIN * half_diagonal,
    )  # fmt: skip


@dataclass(frozen=True)
class VignettingFit:
    terms: tuple[float, float, float]  # k1, k2, k3
    rms: float  # relative residual of the bins
    radii: np.ndarray  # bin radii (all shots)
    values: np.ndarray  # bin values divided by each shot's A


#: lensfun's script uses 16 bins; a ring's median sits off the curve at its mean radius
#: where the falloff is steep (1.1 % at the corner of a 24 mm f/1.8 with 32 rings), 128
#: rings bring that below 0.05 %
VIGNETTING_BINS = 128


def block_means(grey: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Means of square blocks (at most ``size`` blocks on the long side) and each block's
    radius in lensfun's vignetting normalisation: r = 1 at the half diagonal, centre
    (W - 1)/2, (H - 1)/2 of the full image."""
    h, w = grey.shape
    f = max(1, max(h, w) // size)
    hh, ww = h // f * f, w // f * f
    small = grey[:hh, :ww].reshape(hh // f, f, ww // f, f).mean(axis=(1, 3))
    ys = np.arange(hh // f) * f + (f - 1) / 2
    xs = np.arange(ww // f) * f + (f - 1) / 2
    r = np.hypot(*np.meshgrid(xs - (w - 1) / 2, ys - (h - 1) / 2)) / (np.hypot(w - 1, h - 1) / 2)
    return small, r


def radial_bins(grey: np.ndarray, bins: int = VIGNETTING_BINS) -> tuple[np.ndarray, np.ndarray]:
    """Median intensity in rings of the normalised radius and each ring's mean radius,
    from block means of the image (vignetting is smooth)."""
    small, r = block_means(grey, 512)
    index = np.minimum((r * bins).astype(int), bins - 1).ravel()
    radii, values = [], []
    for i in range(bins):
        sel = index == i
        if sel.any():
            radii.append(float(r.ravel()[sel].mean()))
            values.append(float(np.median(small.ravel()[sel])))
    return np.array(radii), np.array(values)


def radial_misfit(grey: np.ndarray, radii: np.ndarray, values: np.ndarray) -> float:
    """RMS relative departure of the image (block means) from its fitted radial falloff:
    a flat field is radially symmetric, a blurred chart or unevenly lit wall is not."""
    a, ks = fit_pa(radii, values)
    small, r = block_means(grey, 128)
    model = a * (_pa_design(r) @ np.array([1.0, *ks]))
    return float(np.sqrt(np.mean((small / model - 1) ** 2)))


def _pa_design(r: np.ndarray) -> np.ndarray:
    r2 = r * r
    return np.stack([np.ones_like(r), r2, r2**2, r2**3], axis=-1)


def fit_pa(r: np.ndarray, value: np.ndarray) -> tuple[float, tuple[float, float, float]]:
    """A and (k1, k2, k3) of ``A (1 + k1 r^2 + k2 r^4 + k3 r^6)`` by linear least squares."""
    c, *_ = np.linalg.lstsq(_pa_design(r), value, rcond=None)
    return float(c[0]), (float(c[1] / c[0]), float(c[2] / c[0]), float(c[3] / c[0]))


def fit_vignetting(shots: list[tuple[np.ndarray, np.ndarray]]) -> VignettingFit:
    """One ``pa`` model for flat fields at one setting: each shot's (radii, bin values) is
    divided by its own fitted A (exposure differs between shots), then all are fitted
    together."""
    radii = np.concatenate([r for r, _ in shots])
    values = np.concatenate([v / fit_pa(r, v)[0] for r, v in shots])
    a, ks = fit_pa(radii, values)
    model = a * (_pa_design(radii) @ np.array([1.0, *ks]))
    return VignettingFit(ks, float(np.sqrt(np.mean((values / model - 1) ** 2))), radii, values / a)
