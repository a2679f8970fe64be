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


def reduced_grey(rgb: np.ndarray, size: int, linear: bool = True) -> tuple[np.ndarray, float]:
    """8-bit grey of the green channel at most ``size`` pixels on the long side (area
    averaging), scaled to its 99.5th percentile, with gamma 1/2.2 when the data are linear;
    and the reduction factor (a reduced pixel centre q is at (q + 0.5) / f - 0.5)."""
    import cv2

    g = rgb[..., 1]
    h, w = g.shape
    f = min(1.0, size / max(h, w))
    if f < 1:
        small = cv2.resize(np.ascontiguousarray(g), (round(w * f), round(h * f)),
                           interpolation=cv2.INTER_AREA)  # fmt: skip
    else:
        small = g
    small = np.clip(small / max(float(np.percentile(small, 99.5)), 1e-6), 0, 1)
    if linear:
        small = small ** (1 / 2.2)
    return (small * 255 + 0.5).astype(np.uint8), f


def sharpness(grey: np.ndarray) -> float:
    """The 99.5th percentile of the Sobel gradient magnitude of the detection image (grey
    in [0, 1]): the steepness of a chart's strongest edges, small when they are soft."""
    import cv2

    g = grey.astype(np.float32) / 255
    mag = np.hypot(cv2.Sobel(g, cv2.CV_32F, 1, 0), cv2.Sobel(g, cv2.CV_32F, 0, 1))
    return float(np.percentile(mag, 99.5))


def find_corners(rgb: np.ndarray, pattern: tuple[int, int]) -> Corners | None:
    """The inner corners of a chessboard with ``pattern`` = (columns, rows) of inner
    corners, or None when no complete board is found."""
    import cv2

    small, f = reduced_grey(rgb, DETECT_SIZE)
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
    channels = []
    for c in range(3):
        plane = np.ascontiguousarray(rgb[..., c], dtype=np.float32)
        pts = corners.astype(np.float32).reshape(-1, 1, 2).copy()
        cv2.cornerSubPix(plane, pts, (half, half), (-1, -1), criteria)
        channels.append(pts.reshape(-1, 2).astype(np.float64))
    return Corners(board, np.stack(channels))
