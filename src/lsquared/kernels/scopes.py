"""Video scopes on display code values (numba, one pass over the pixels each).

All scopes read 8-bit R'G'B' code values (what the page shows) and the luma weights of
the matrix they are set to: ITU-R BT.709-6 (Kr 0.2126, Kb 0.0722) or ITU-R BT.2020-2
(Kr 0.2627, Kb 0.0593), with Y' = Kr R' + (1 - Kr - Kb) G' + Kb B',
Cb = (B' - Y') / (2 (1 - Kb)), Cr = (R' - Y') / (2 (1 - Kr)) (BT.709-6 items 3.2-3.3,
on full-range R'G'B' in [0, 1]).

- waveform: for each scope column (a band of image columns), how many pixels sit at each
  code level 0..255, of luma or of each channel (parade);
- vectorscope: a density over (Cb, Cr) on a square of ``size`` px, Cb to the right and Cr
  up, the scope's radius (half the side) being 0.5 of chroma; targets of 75 % and 100 %
  colour bars (ITU-R BT.801 / SMPTE RP 219 bars: one or two of R', G', B' at the level,
  the rest 0) and the skin-tone line (the +I axis of NTSC, 123 degrees from +Cb);
- histogram: counts of code values per channel and of rounded luma;
- false colour: luma in IRE (100 Y') painted by ARRI's published bands (ALEXA false
  colour: purple <= 2.5, blue 2.5-4, green 38-42, pink 52-56, yellow 97-99, red >= 99),
  other levels as grey luma;
- zebras: diagonal stripes over pixels whose luma is at or above a level in IRE.
"""

from __future__ import annotations

import math

import numba
import numpy as np

#: matrix -> (Kr, Kb)
LUMA_WEIGHTS = {"rec709": (0.2126, 0.0722), "rec2020": (0.2627, 0.0593)}
#: ARRI ALEXA false colour: (low IRE, high IRE, R, G, B); a level in [low, high) is painted
FALSE_COLOUR_BANDS = (
    (-1e9, 2.5, 128, 0, 160),  # purple: black clipping
    (2.5, 4.0, 0, 80, 255),  # blue: just above black
    (38.0, 42.0, 0, 200, 0),  # green: 18 % grey
    (52.0, 56.0, 255, 130, 180),  # pink: skin, one stop over grey
    (97.0, 99.0, 255, 230, 0),  # yellow: just below white clipping
    (99.0, 1e9, 230, 0, 0),  # red: white clipping
)
SKIN_TONE_DEGREES = 123.0
BAR_COLOURS = ((1, 0, 0), (1, 1, 0), (0, 1, 0), (0, 1, 1), (0, 0, 1), (1, 0, 1))
BAR_NAMES = ("R", "Yl", "G", "Cy", "B", "Mg")


def weights(matrix: str) -> tuple[float, float]:
    try:
        return LUMA_WEIGHTS[matrix]
    except KeyError:
        raise ValueError(f"unknown matrix {matrix!r}; choose {', '.join(LUMA_WEIGHTS)}") from None


def chroma(rgb: np.ndarray, matrix: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(Y', Cb, Cr) of R'G'B' values in [0, 1] (last axis)."""
    kr, kb = weights(matrix)
    r, g, b = (np.asarray(rgb, np.float64)[..., i] for i in range(3))
    y = kr * r + (1.0 - kr - kb) * g + kb * b
    return y, (b - y) / (2.0 * (1.0 - kb)), (r - y) / (2.0 * (1.0 - kr))


def targets(matrix: str, level: float) -> list[dict]:
    """The colour-bar targets at ``level`` (0.75 or 1.0): name, Cb, Cr."""
    cb_cr = chroma(np.array(BAR_COLOURS, np.float64) * level, matrix)
    return [
        {"name": n, "cb": float(cb), "cr": float(cr)}
        for n, cb, cr in zip(BAR_NAMES, cb_cr[1], cb_cr[2], strict=True)
    ]


def scope_xy(cb: float, cr: float, size: int) -> tuple[float, float]:
    """Pixel position (x right, y down) of a chroma pair on a ``size`` px vectorscope."""
    return (cb + 0.5) * (size - 1), (0.5 - cr) * (size - 1)


@numba.njit(cache=True, inline="always")
def _luma(r, g, b, kr, kb):
    return kr * r + (1.0 - kr - kb) * g + kb * b


@numba.njit(cache=True, inline="always")
def _pixel_luma(codes, y, x, kr, kb):
    return _luma(float(codes[y, x, 0]), float(codes[y, x, 1]), float(codes[y, x, 2]), kr, kb)


@numba.njit(cache=True, nogil=True)
def waveform(codes, columns, kr, kb, parade):
    """counts[channel, level, column] (channel 0: luma; with ``parade`` R, G, B)."""
    h, w = codes.shape[0], codes.shape[1]
    channels = 3 if parade else 1
    out = np.zeros((channels, 256, columns), np.uint32)
    for y in range(h):
        for x in range(w):
            col = x * columns // w
            r, g, b = codes[y, x, 0], codes[y, x, 1], codes[y, x, 2]
            if parade:
                out[0, r, col] += 1
                out[1, g, col] += 1
                out[2, b, col] += 1
            else:
                level = int(_luma(float(r), float(g), float(b), kr, kb) + 0.5)
                out[0, level, col] += 1
    return out


@numba.njit(cache=True, nogil=True)
def vectorscope(codes, size, kr, kb):
    """counts[row, column] over (Cb right, Cr up) on a ``size`` x ``size`` square."""
    out = np.zeros((size, size), np.uint32)
    h, w = codes.shape[0], codes.shape[1]
    span = size - 1
    for y in range(h):
        for x in range(w):
            r = codes[y, x, 0] / 255.0
            g = codes[y, x, 1] / 255.0
            b = codes[y, x, 2] / 255.0
            luma = _luma(r, g, b, kr, kb)
            cb = (b - luma) / (2.0 * (1.0 - kb))
            cr = (r - luma) / (2.0 * (1.0 - kr))
            col = math.floor((cb + 0.5) * span + 0.5)
            row = math.floor((0.5 - cr) * span + 0.5)
            if 0 <= row < size and 0 <= col < size:
                out[row, col] += 1
    return out


@numba.njit(cache=True, nogil=True)
def histogram(codes, kr, kb):
    """counts[channel, code] for R, G, B and rounded luma (channel 3)."""
    out = np.zeros((4, 256), np.int64)
    h, w = codes.shape[0], codes.shape[1]
    for y in range(h):
        for x in range(w):
            r, g, b = codes[y, x, 0], codes[y, x, 1], codes[y, x, 2]
            out[0, r] += 1
            out[1, g] += 1
            out[2, b] += 1
            out[3, int(_luma(float(r), float(g), float(b), kr, kb) + 0.5)] += 1
    return out


def _band_table() -> np.ndarray:
    return np.array(FALSE_COLOUR_BANDS, np.float64)


@numba.njit(cache=True, nogil=True)
def _false_colour(codes, kr, kb, bands):
    h, w = codes.shape[0], codes.shape[1]
    out = np.empty((h, w, 3), np.uint8)
    for y in range(h):
        for x in range(w):
            luma = _pixel_luma(codes, y, x, kr, kb)
            ire = luma * (100.0 / 255.0)
            grey = np.uint8(min(255.0, luma + 0.5))
            out[y, x, 0] = grey
            out[y, x, 1] = grey
            out[y, x, 2] = grey
            for k in range(bands.shape[0]):
                if bands[k, 0] <= ire < bands[k, 1]:
                    out[y, x, 0] = np.uint8(bands[k, 2])
                    out[y, x, 1] = np.uint8(bands[k, 3])
                    out[y, x, 2] = np.uint8(bands[k, 4])
                    break
    return out


def false_colour(codes: np.ndarray, matrix: str = "rec709") -> np.ndarray:
    """The image painted by :data:`FALSE_COLOUR_BANDS` of its luma in IRE."""
    kr, kb = weights(matrix)
    return _false_colour(np.ascontiguousarray(codes, np.uint8), kr, kb, _band_table())


@numba.njit(cache=True, nogil=True)
def _zebras(codes, level, kr, kb, period):
    out = codes.copy()
    h, w = codes.shape[0], codes.shape[1]
    for y in range(h):
        for x in range(w):
            luma = _pixel_luma(codes, y, x, kr, kb)
            if luma * (100.0 / 255.0) >= level and (x + y) % period < period // 2:
                out[y, x, 0] = 0
                out[y, x, 1] = 0
                out[y, x, 2] = 0
    return out


def zebras(codes: np.ndarray, level_ire: float, matrix: str = "rec709", period: int = 8):
    """The image with black diagonal stripes where luma >= ``level_ire``."""
    kr, kb = weights(matrix)
    return _zebras(np.ascontiguousarray(codes, np.uint8), float(level_ire), kr, kb, period)


def waveform_counts(codes: np.ndarray, columns: int, matrix: str = "rec709", parade=False):
    kr, kb = weights(matrix)
    return waveform(np.ascontiguousarray(codes, np.uint8), columns, kr, kb, parade)


def vectorscope_counts(codes: np.ndarray, size: int = 256, matrix: str = "rec709"):
    kr, kb = weights(matrix)
    return vectorscope(np.ascontiguousarray(codes, np.uint8), size, kr, kb)


def histogram_counts(codes: np.ndarray, matrix: str = "rec709") -> np.ndarray:
    kr, kb = weights(matrix)
    return histogram(np.ascontiguousarray(codes, np.uint8), kr, kb)
