"""Synthetic calibration shots whose truth is lensfun's own Modifier.

A pinhole camera (the lens's focal length on a 36 mm wide sensor) sees a chessboard at 3D
poses; the ideal (corrected) image position of every board point is exact. The recorded
image is the corrected one seen through the lens: lensfun's Modifier maps a corrected
pixel to its recorded position per channel (distortion, then TCA), queried one point at a
time (its exact scalar path) on a grid and interpolated with cubic splines; the renderer
inverts that map by fixed-point iteration. Blur (Gaussian), photon-like noise and lensfun's
vignetting (Modifier's colour correction applied to ones, inverted) are added.
Nothing here uses lsquared's maps.
"""

from __future__ import annotations

import functools

import numpy as np
from scipy import interpolate, ndimage

lensfunpy = __import__("pytest").importorskip("lensfunpy")

ZOOM = "Lumix S 20-60/F3.5-5.6"
PRIMES = ("Lumix S 24/F1.8", "Lumix S 85/F1.8")
CASES = [(ZOOM, 20.0), (ZOOM, 40.0), (ZOOM, 60.0), (PRIMES[0], 24.0), (PRIMES[1], 85.0)]
PATTERN = (11, 7)  # inner corners: a board of 12 x 8 squares


@functools.cache
def lens(name: str):
    return next(x for x in lensfunpy.Database().lenses if x.model == name)


def modifier(name, focal: float, w: int, h: int, aperture=4.0, flags=None):
    """lensfun's Modifier for a lens (a lensfunpy lens, or a model name in the bundled
    database) on a w x h frame."""
    lf = lens(name) if isinstance(name, str) else name
    mod = lensfunpy.Modifier(lf, lf.crop_factor, w, h)
    mod.initialize(
        focal,
        aperture,
        1000.0,
        pixel_format=np.float32,
        flags=flags or (lensfunpy.ModifyFlags.DISTORTION | lensfunpy.ModifyFlags.TCA),
    )
    return mod


def true_coordinates(name, focal: float, w: int, h: int, x, y, flags=None) -> np.ndarray:
    """Modifier's recorded positions (..., 3 channels, 2) of corrected points, one call
    per point (lensfun's scalar path)."""
    mod = modifier(name, focal, w, h, flags=flags)
    xs, ys = np.broadcast_arrays(np.asarray(x, float), np.asarray(y, float))
    out = np.empty((*xs.shape, 3, 2))
    for idx in np.ndindex(xs.shape):
        out[idx] = mod.apply_subpixel_geometry_distortion(float(xs[idx]), float(ys[idx]), 1, 1)[
            0, 0
        ]
    return out


@functools.cache
def _forward_splines(name: str, focal: float, w: int, h: int):
    gx = np.linspace(-0.25 * w, 1.25 * w, 49)
    gy = np.linspace(-0.25 * h, 1.25 * h, 37)
    xx, yy = np.meshgrid(gx, gy)
    pts = true_coordinates(name, focal, w, h, xx, yy)  # (gy, gx, 3, 2)
    return [
        [interpolate.RectBivariateSpline(gy, gx, pts[..., c, k], kx=3, ky=3) for k in (0, 1)]
        for c in range(3)
    ]


@functools.cache
def inverse_maps(name: str, focal: float, w: int, h: int, step: int = 8) -> np.ndarray:
    """Corrected position of every recorded pixel, per channel: (3, 2, h, w)."""
    splines = _forward_splines(name, focal, w, h)
    gx = np.arange(0, w + step, step, dtype=float)
    gy = np.arange(0, h + step, step, dtype=float)
    py, px = np.meshgrid(gy, gx, indexing="ij")
    out = np.empty((3, 2, h, w))
    for c in range(3):
        ux, uy = px.copy(), py.copy()
        for _ in range(30):
            dx = px - splines[c][0].ev(uy, ux)
            dy = py - splines[c][1].ev(uy, ux)
            ux += dx
            uy += dy
            if max(np.abs(dx).max(), np.abs(dy).max()) < 1e-9:
                break
        for k, grid in enumerate((ux, uy)):
            s = interpolate.RectBivariateSpline(gy, gx, grid, kx=3, ky=3)
            out[c, k] = s(np.arange(h, dtype=float), np.arange(w, dtype=float))
    return out.astype(np.float32)  # 1e-4 px at these sizes


def _rotation(ax: float, ay: float, az: float) -> np.ndarray:
    cx, sx, cy, sy, cz, sz = np.cos(ax), np.sin(ax), np.cos(ay), np.sin(ay), np.cos(az), np.sin(az)
    rx = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
    ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    rz = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
    return rx @ ry @ rz


# (box the board with its white margin fills, as fractions of the frame (x0, y0, x1, y1),
#  tilt about x, tilt about y, roll in degrees): the frame is covered to its corners
POSES = [
    ((0.03, 0.04, 0.97, 0.96), 0, 0, 2),
    ((-0.03, -0.04, 0.45, 0.5), 20, -25, 5),
    ((0.55, -0.04, 1.03, 0.5), 20, 25, -4),
    ((-0.03, 0.5, 0.45, 1.04), -20, -25, -6),
    ((0.55, 0.5, 1.03, 1.04), -20, 25, 3),
    ((0.2, 0.01, 0.8, 0.55), 30, 0, 0),
    ((0.2, 0.45, 0.8, 0.99), -30, 0, 1),
    ((0.01, 0.15, 0.55, 0.85), 0, -35, 0),
    ((0.45, 0.15, 0.99, 0.85), 0, 35, 0),
]


def _outline(hom: np.ndarray) -> np.ndarray:
    cols, rows = PATTERN
    b = np.array([[-2, -2], [cols + 1, -2], [-2, rows + 1], [cols + 1, rows + 1]], float)
    q = np.c_[b, np.ones(4)] @ hom.T
    return q[:, :2] / q[:, 2:]


def _pose_homography(focal, w, h, centre_px, frac, angles) -> np.ndarray:
    f = focal / 36.0 * w
    k = np.array([[f, 0, (w - 1) / 2], [0, f, (h - 1) / 2], [0, 0, 1]])
    cols, rows = PATTERN
    bw = cols + 3  # squares across, with the margin
    r = _rotation(*np.radians(angles))
    z = f * bw / (frac * w)
    centre = np.array(
        [(centre_px[0] - (w - 1) / 2) * z / f, (centre_px[1] - (h - 1) / 2) * z / f, z]
    )
    offset = np.array([-(cols - 1) / 2, -(rows - 1) / 2, 0.0])  # board centre at the origin
    return k @ np.column_stack([r[:, 0], r[:, 1], centre + r @ offset])


@functools.cache
def board_homography(focal: float, w: int, h: int, pose) -> np.ndarray:
    """Board (square units, origin at the first inner corner) -> corrected pixels, for a
    pinhole camera of the lens's focal length on a 36 mm wide sensor, placed so that the
    board with its margin fills the pose's box (in corrected coordinates, shrunk by 8 %
    for the lens's barrel or pincushion)."""
    box, ax, ay, az = pose
    x0, y0, x1, y1 = box
    cx0, cy0 = (x0 + x1) / 2, (y0 + y1) / 2
    shrink = 0.92
    target = np.array(
        [
            [(cx0 + (x - cx0) * shrink) * w, (cy0 + (y - cy0) * shrink) * h]
            for x, y in ((x0, y0), (x1, y1))
        ]
    )
    centre, frac = np.array([cx0 * w, cy0 * h]), x1 - x0
    for _ in range(40):
        hom = _pose_homography(focal, w, h, centre, frac, (ax, ay, az))
        o = _outline(hom)
        lo, hi = o.min(0), o.max(0)
        centre = centre + ((target[0] + target[1]) - (lo + hi)) / 2
        frac *= min((target[1] - target[0]) / (hi - lo))
    return hom


def board_corners(hom: np.ndarray) -> np.ndarray:
    cols, rows = PATTERN
    b = np.stack(np.meshgrid(np.arange(cols), np.arange(rows)), -1).reshape(-1, 2).astype(float)
    q = np.c_[b, np.ones(len(b))] @ hom.T
    return q[:, :2] / q[:, 2:]


def _checker(bx: np.ndarray, by: np.ndarray, wx: np.ndarray, wy: np.ndarray) -> np.ndarray:
    """Anti-aliased board: squares of +-1 with soft edges of the pixel's footprint, a white
    margin of one square, grey beyond."""
    cols, rows = PATTERN

    def wave(t, width):
        d = np.abs(t - np.round(t))
        sign = np.where(np.floor(t) % 2 == 0, 1.0, -1.0)
        return sign * np.clip(d / np.maximum(width, 1e-6), 0, 1)

    v = wave(bx, wx) * wave(by, wy)
    inside = (bx > -1) & (bx < cols) & (by > -1) & (by < rows)
    margin = (bx > -2) & (bx < cols + 1) & (by > -2) & (by < rows + 1)
    return np.where(inside, 0.5 + 0.4 * v, np.where(margin, 0.9, 0.45))


def render_chart(name, focal, w, h, pose, blur=1.4, noise=0.004, seed=0) -> np.ndarray:
    """A recorded chessboard shot (h, w, 3) in linear [0, 1]."""
    inv = np.linalg.inv(board_homography(focal, w, h, pose)).astype(np.float32)
    maps = inverse_maps(name, focal, w, h)
    out = np.empty((h, w, 3), np.float32)
    for c in range(3):
        ux, uy = maps[c]
        q = [inv[i, 0] * ux + inv[i, 1] * uy + inv[i, 2] for i in range(3)]
        bx, by = q[0] / q[2], q[1] / q[2]
        if c == 0:  # half a pixel's footprint on the board, the same for all channels
            wx = 0.5 * np.hypot(*np.gradient(bx))
            wy = 0.5 * np.hypot(*np.gradient(by))
        out[..., c] = ndimage.gaussian_filter(_checker(bx, by, wx, wy), blur)
    rng = np.random.default_rng(seed)
    out += rng.normal(0, 1, out.shape).astype(np.float32) * noise * np.sqrt(out)
    return np.clip(out, 0, 1)


def texture(w: int, h: int, seed: int = 0, edges: bool = False):
    """A scene with detail at several scales over the corrected plane (x from -0.25 w to
    1.25 w): a function sampling it (cubic) at corrected positions. ``edges``: the detail
    pushed through a steep sigmoid, shapes with sharp, high-contrast outlines (objects)."""
    rng = np.random.default_rng(seed)
    tw, th = int(0.75 * w), int(0.75 * h)  # half the resolution over 1.5 times the frame
    t = sum(wt * ndimage.gaussian_filter(rng.normal(size=(th, tw)), s)
            for s, wt in ((1.0, 0.5), (3.0, 1.5), (10.0, 4.0)))  # fmt: skip
    if edges:
        t = np.tanh(6 * (t - t.mean()) / t.std())
    t = 0.15 + 0.7 * (t - t.min()) / (t.max() - t.min())

    def sample(ux, uy):
        coords = [(uy + 0.25 * h) / 2, (ux + 0.25 * w) / 2]
        return ndimage.map_coordinates(t, coords, order=3, mode="nearest")

    return sample


def render_scene(name, focal, w, h, sample, blur=0.7, noise=0.003, seed=0) -> np.ndarray:
    """The uncorrected (recorded) view of a scene, with lateral CA, blur and noise."""
    maps = inverse_maps(name, focal, w, h)
    out = np.stack([ndimage.gaussian_filter(sample(*maps[c]), blur) for c in range(3)], -1)
    rng = np.random.default_rng(seed)
    return np.clip(out + rng.normal(0, noise, out.shape), 0, 1).astype(np.float32)


def camera_jpeg(path, w, h, sample, jw, jh, zoom=1.03, blur=0.8, quality=90, keeps_tca=None):
    """The camera's corrected JPEG of the same scene: the ideal image, zoomed by ``zoom``
    to hide the borders, resized to jw x jh, defocused, sRGB-encoded, JPEG-compressed
    (Pillow, 4:2:0 chroma). ``keeps_tca`` = (lens, focal): the camera corrects only the
    distortion (green's map applied to every channel), so each channel keeps the lens's
    lateral colour."""
    from PIL import Image as PILImage

    k = (w / jw) / zoom
    qy, qx = np.mgrid[0:jh, 0:jw].astype(float)
    ux = (w - 1) / 2 + k * (qx - (jw - 1) / 2)
    uy = (h - 1) / 2 + k * (qy - (jh - 1) / 2)
    if keeps_tca is None:
        channels = [sample(ux, uy)] * 3
    else:
        green = _forward_splines(*keeps_tca, w, h)[1]
        px, py = green[0].ev(uy, ux), green[1].ev(uy, ux)  # recorded green position
        maps = inverse_maps(*keeps_tca, w, h)  # what each channel recorded there
        channels = [
            sample(*(ndimage.map_coordinates(maps[c, i], [py, px], order=1) for i in (0, 1)))
            for c in range(3)
        ]
    v = np.stack([ndimage.gaussian_filter(ch, blur) for ch in channels], axis=-1)
    srgb = np.where(v <= 0.0031308, 12.92 * v, 1.055 * np.clip(v, 0, 1) ** (1 / 2.4) - 0.055)
    rgb = (np.clip(srgb, 0, 1) * 255 + 0.5).astype(np.uint8)
    PILImage.fromarray(rgb).save(path, quality=quality, subsampling=2)  # 4:2:0
    return path


def true_gain(name, focal: float, aperture: float, w: int, h: int) -> np.ndarray:
    """lensfun's vignetting correction gain at every pixel (Modifier on ones)."""
    mod = modifier(name, focal, w, h, aperture, flags=lensfunpy.ModifyFlags.VIGNETTING)
    ones = np.ones((h, w, 3), np.float32)
    mod.apply_color_modification(ones)
    return ones[..., 1].astype(np.float64)


def render_flat(name, focal, aperture, w, h, level=0.6, noise=0.004, seed=0) -> np.ndarray:
    flat = level / true_gain(name, focal, aperture, w, h)
    rng = np.random.default_rng(seed)
    img = flat[..., None] * np.ones(3) + rng.normal(0, noise, (h, w, 3))
    return np.clip(img, 0, 1).astype(np.float32)


def write_shot(path, rgb, lens_name, focal, aperture, make="Panasonic", model="DC-S5"):
    """A 16-bit TIFF with the EXIF a camera writes (pyexiv2, not lsquared's writer)."""
    import pyexiv2
    import tifffile

    tifffile.imwrite(path, (np.clip(rgb, 0, 1) * 65535 + 0.5).astype(np.uint16), photometric="rgb")
    with pyexiv2.Image(str(path)) as img:
        img.modify_exif({
            "Exif.Image.Make": make, "Exif.Image.Model": model,
            "Exif.Photo.LensModel": lens_name,
            "Exif.Photo.FocalLength": f"{round(focal * 10)}/10",
            "Exif.Photo.FocalLengthIn35mmFilm": str(round(focal)),
            "Exif.Photo.FNumber": f"{round(aperture * 10)}/10",
        })  # fmt: skip
    return path


#: line-chart shots: (angle of the lines in degrees, phase of the first line in spacings);
#: four directions, so that every part of the frame has lines across its radius
LINE_SHOTS = [(0.0, 0.0), (90.0, 0.3), (30.0, 0.6), (-60.0, 0.1)]


def render_lines(
    name, focal, w, h, angle, phase=0.0, spacing=0.06, width=0.012, blur=1.4, noise=0.004, seed=0
) -> np.ndarray:
    """A recorded shot of a printed chart of parallel dark lines (straight in the corrected
    image) at ``angle`` degrees, ``spacing`` and ``width`` as fractions of the frame width,
    filling the frame; anti-aliased over the pixel's footprint, blurred, with noise."""
    maps = inverse_maps(name, focal, w, h)
    t = np.radians(angle)
    normal = np.array([-np.sin(t), np.cos(t)])
    out = np.empty((h, w, 3), np.float32)
    for c in range(3):
        ux, uy = maps[c]
        d = ((ux - (w - 1) / 2) * normal[0] + (uy - (h - 1) / 2) * normal[1]) / (spacing * w)
        d = d - phase
        dist = np.abs(d - np.round(d)) * spacing * w  # pixels from the nearest line's axis
        ink = np.clip(width * w / 2 - dist + 0.5, 0, 1)  # box of the line's width, 1 px ramp
        out[..., c] = ndimage.gaussian_filter(0.85 - 0.75 * ink, blur)
    rng = np.random.default_rng(seed)
    out += rng.normal(0, 1, out.shape).astype(np.float32) * noise * np.sqrt(out)
    return np.clip(out, 0, 1)
