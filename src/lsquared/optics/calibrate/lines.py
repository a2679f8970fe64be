"""Straight lines in a recorded shot: the edges of a printed line chart, or a building's.

Edges are found by Canny (1986) in the 8-bit grey image and placed to sub-pixel accuracy
in the linear green channel (smoothed by a Gaussian of 1 px): its profile across the edge
is sampled (bicubic) at nine points two pixels either side along the gradient, a cubic is
fitted by least squares and the edge put at its inflection, where the second derivative
along the gradient crosses zero (the Marr-Hildreth edge, 1980; a parabola through the
gradient magnitude, as in Devernay 1995, is biased by the sampling and gave lines 4 times
less accurate here). Edge pixels are chained by 8-connectivity; a chain is a line when it is long
(a quarter of the shorter side), thin (about one pixel per pixel of length) and straight to
a few per cent of its length (a lens bends a line by far less), so corners, branches and
texture are left out. The distortion fit (``fit.fit_distortion``) then asks every line to
be straight after correction (the plumb-line method, Brown 1971, "Close-range camera
calibration").
"""

from __future__ import annotations

import numpy as np

MIN_LINES = 4  # a shot with fewer long straight edges is not a line shot
MIN_LENGTH = 0.25  # of the shorter side
MAX_BEND = 0.03  # largest distance from the chord, as a fraction of the length
MAX_THICKNESS = 1.6  # edge pixels per pixel of length (a thin chain, no branches)
POINTS_PER_LINE = 300  # the fit uses at most this many points of a line, evenly spread
BORDER = 4  # pixels at the frame's edge, where the filters see the border
SIZE = 2000  # longest side lines are found and placed at (area-averaged; a linear,
# symmetric filter keeps edge positions, and Canny's fixed thresholds see soft 24 MP edges)


def _edges(green: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Canny edge map of the gamma-encoded grey (the green smoothed by a Gaussian of 1 px)
    and the smoothed green's gradients."""
    import cv2

    smooth = cv2.GaussianBlur(green.astype(np.float32), (0, 0), 1.0)
    gx = cv2.Sobel(smooth, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(smooth, cv2.CV_32F, 0, 1, ksize=3)
    top = max(float(np.percentile(smooth, 99.5)), 1e-6)
    grey = ((np.clip(smooth / top, 0, 1) ** (1 / 2.2)) * 255 + 0.5).astype(np.uint8)
    return cv2.Canny(grey, 30, 90, L2gradient=True), gx, gy


PROFILE = np.arange(-2.0, 2.01, 0.5)  # samples across an edge, in steps along the gradient


def _subpixel(points: np.ndarray, normals: np.ndarray, smooth: np.ndarray, step: float):
    """Edge points (N, 2) moved along their normals to the inflection of a cubic fitted to
    the intensity profile across the edge, sampled (bicubic, one call) every ``step``
    pixels (at most one step)."""
    from scipy import ndimage

    t = PROFILE[:, None] * step
    xs = points[None, :, 0] + t * normals[None, :, 0]
    ys = points[None, :, 1] + t * normals[None, :, 1]
    samples = ndimage.map_coordinates(smooth, [ys, xs], order=3, mode="nearest")
    a3, a2, _, _ = np.linalg.lstsq(np.vander(PROFILE, 4), samples, rcond=None)[0]
    steep = np.abs(a3) > 1e-12
    offset = np.clip(np.where(steep, -a2 / (3 * np.where(steep, a3, 1)), 0), -1, 1) * step
    return points + offset[:, None] * normals


def _is_line(points: np.ndarray, min_length: float) -> bool:
    centred = points - points.mean(axis=0)
    _, _, vt = np.linalg.svd(centred, full_matrices=False)
    along, across = centred @ vt[0], centred @ vt[1]
    length = float(along.max() - along.min())
    return (
        length >= min_length
        and len(points) <= MAX_THICKNESS * length
        and float(np.abs(across).max()) <= MAX_BEND * length
    )


def find_lines(rgb: np.ndarray) -> list[np.ndarray]:
    """Long straight-ish edges of the green channel: each (N, 2) recorded pixels (x, y),
    at most ``POINTS_PER_LINE`` evenly spread points. Chains are found in the image
    reduced to at most ``SIZE`` pixels on the long side; the points are placed at full
    resolution (profile steps and smoothing scaled to match)."""
    import cv2

    from lsquared.optics.calibrate.chart import preview

    small, f = preview(rgb[..., 1], SIZE)
    chains, normals = _chains(small)
    if not chains:
        return []
    smooth = cv2.GaussianBlur(np.ascontiguousarray(rgb[..., 1], np.float32), (0, 0), 1.0 / f)
    points = (np.concatenate(chains) + 0.5) / f - 0.5
    placed = _subpixel(points, np.concatenate(normals), smooth, 1.0 / f)
    return np.split(placed, np.cumsum([len(c) for c in chains])[:-1])


def _chains(green: np.ndarray) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Pixel positions (x, y) of the long straight edge chains of an image, and the unit
    gradient direction at each."""
    import cv2

    edges, gx, gy = _edges(green)
    count, labels = cv2.connectedComponents(edges, connectivity=8)
    ys, xs = np.nonzero(labels)
    h, w = labels.shape
    inside = (ys >= BORDER) & (ys < h - BORDER) & (xs >= BORDER) & (xs < w - BORDER)
    ys, xs = ys[inside], xs[inside]
    ids = labels[ys, xs]
    order = np.argsort(ids, kind="stable")
    ys, xs, ids = ys[order], xs[order], ids[order]
    starts = np.searchsorted(ids, np.arange(1, count + 1))
    min_length = MIN_LENGTH * min(green.shape)
    chains, normals = [], []
    for i in range(count - 1):
        if starts[i + 1] - starts[i] < min_length:
            continue
        sel = np.arange(starts[i], starts[i + 1])
        pts = np.stack([xs[sel], ys[sel]], axis=-1).astype(np.float64)
        if _is_line(pts, min_length):
            keep = slice(None, None, max(1, len(sel) // POINTS_PER_LINE))
            g = np.stack([gx[ys[sel], xs[sel]], gy[ys[sel], xs[sel]]], axis=-1)[keep]
            chains.append(pts[keep])
            normals.append(g / np.maximum(np.hypot(*g.T), 1e-12)[:, None])
    return chains, normals
