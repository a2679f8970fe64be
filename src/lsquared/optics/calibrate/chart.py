"""Chessboard corners in a recorded shot, per colour channel (OpenCV).

Detection runs on a reduced grey image (``findChessboardCornersSB``, Duda and Frese 2018,
"Accurate detection and localization of checkerboard corners for calibration"); the
corners are then refined at full resolution in each channel separately with
``cornerSubPix`` (Förstner's saddle-point criterion: image gradients in a window are
orthogonal to the vectors from the corner), so the red and blue positions carry the lens's
lateral colour against green.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DETECT_SIZE = 1000  # longest side of the image the board is searched in
SHARPNESS_MIN = 0.3  # below this a shot is too blurred (a chart at 1.4 px blur gives 2)


@dataclass(frozen=True)
class Corners:
    board: np.ndarray  # (N, 2) board coordinates in squares
    channels: np.ndarray  # (3, N, 2) recorded positions in pixels, R G B


def preview(rgb: np.ndarray, size: int) -> tuple[np.ndarray, float]:
    """The image area-averaged to at most ``size`` pixels on the long side, and the factor
    (a reduced pixel centre q is at (q + 0.5) / f - 0.5 in the full image)."""
    import cv2

    h, w = rgb.shape[:2]
    f = min(1.0, size / max(h, w))
    if f == 1:
        return rgb, f
    return cv2.resize(rgb, (round(w * f), round(h * f)), interpolation=cv2.INTER_AREA), f


def grey8(small: np.ndarray, linear: bool = True) -> np.ndarray:
    """8-bit grey of a preview's green channel, scaled to its 99.5th percentile, with gamma
    1/2.2 when the data are linear."""
    g = np.clip(small[..., 1] / max(float(np.percentile(small[..., 1], 99.5)), 1e-6), 0, 1)
    if linear:
        g = g ** (1 / 2.2)
    return (g * 255 + 0.5).astype(np.uint8)


def reduced_grey(rgb: np.ndarray, size: int, linear: bool = True) -> tuple[np.ndarray, float]:
    """``grey8`` of the image reduced to at most ``size`` pixels, and the factor."""
    small, f = preview(rgb, size)
    return grey8(small, linear), f


def sharpness(grey: np.ndarray) -> float:
    """The 99.5th percentile of the Sobel gradient magnitude of the detection image (grey
    in [0, 1]): the steepness of a chart's strongest edges, small when they are soft."""
    import cv2

    g = grey.astype(np.float32) / 255
    mag = np.hypot(cv2.Sobel(g, cv2.CV_32F, 1, 0), cv2.Sobel(g, cv2.CV_32F, 0, 1))
    return float(np.percentile(mag, 99.5))


def find_corners(
    rgb: np.ndarray, pattern: tuple[int, int], small: np.ndarray, f: float
) -> Corners | None:
    """The inner corners of a chessboard with ``pattern`` = (columns, rows) of inner
    corners, searched in ``small`` (the 8-bit reduced image, factor ``f``) and refined in
    ``rgb``; None when no complete board is found."""
    import cv2

    flags = cv2.CALIB_CB_NORMALIZE_IMAGE
    found, corners = cv2.findChessboardCornersSB(small, pattern, flags=flags)
    if not found:
        return None
    corners = corners.reshape(-1, 2).astype(np.float64)
    corners = (corners + 0.5) / f - 0.5
    cols, rows = pattern
    board = (
        np.stack(np.meshgrid(np.arange(cols), np.arange(rows)), -1)
        .reshape(-1, 2)
        .astype(np.float64)
    )
    spacing = np.median(np.hypot(*np.diff(corners.reshape(rows, cols, 2), axis=1).reshape(-1, 2).T))
    half = int(np.clip(round(spacing * 0.35), 3, 25))
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 60, 1e-4)
    reach = 2 * half + 4  # the window plus room for the refinement to move
    channels = np.empty((3, len(corners), 2))
    for i, (x, y) in enumerate(corners):
        x0, y0 = max(0, int(x) - reach), max(0, int(y) - reach)
        patch = rgb[y0 : int(y) + reach + 1, x0 : int(x) + reach + 1]
        for c in range(3):
            pts = np.array([[[x - x0, y - y0]]], np.float32)
            plane = np.ascontiguousarray(patch[..., c], dtype=np.float32)
            cv2.cornerSubPix(plane, pts, (half, half), (-1, -1), criteria)
            channels[c, i] = pts[0, 0] + (x0, y0)
    return Corners(board, channels)
