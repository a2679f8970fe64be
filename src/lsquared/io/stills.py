"""Still-image output: TIFF (8/16-bit, float32), PNG (8/16-bit), JPEG, OpenEXR (half/float),
with the ICC profile of the output space embedded and EXIF copied from the source.

Everything is written to a temporary file beside the target and renamed (``io.atomic``).
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from lsquared.errors import InputError, OutputError, UnsupportedError
from lsquared.io import meta
from lsquared.io.atomic import atomic_output

#: format -> file suffix
SUFFIX = {
    "tif8": ".tif", "tif16": ".tif", "tif32": ".tif", "png8": ".png", "png16": ".png",
    "jpg": ".jpg", "exr": ".exr", "exr-half": ".exr",
}  # fmt: skip
#: output file suffix -> the format written for it
SUFFIX_FORMATS = {".tif": "tif16", ".tiff": "tif16", ".png": "png16", ".jpg": "jpg",
                  ".jpeg": "jpg", ".exr": "exr"}  # fmt: skip
#: CLI names -> formats
FORMAT_ALIASES = {"tif": "tif16", "tiff": "tif16", "png": "png16", "jpeg": "jpg"}
FLOAT_FORMATS = ("tif32", "exr", "exr-half")
EXR_FORMATS = ("exr", "exr-half")


def format_name(fmt: str, where: str = "--format") -> str:
    """A format as users type it (``JPG``, ``tiff``, ``png``) -> its canonical name."""
    name = FORMAT_ALIASES.get(fmt.lower(), fmt.lower())
    if name not in SUFFIX:
        valid = ", ".join([*SUFFIX, *FORMAT_ALIASES])
        raise UnsupportedError(where, f"unknown format {fmt!r}; choose one of {valid}")
    return name


def format_for(out: Path, fmt: str | None = None, preferred: str | None = None) -> str:
    """The format to write ``out`` in: ``fmt`` when given (it must suit the extension),
    else ``preferred`` when it suits the extension, else the extension's own format.
    An unknown extension, or a format that contradicts it (``-o m.png --format jpg``), is
    an :class:`OutputError`, so that a file's name never lies about its content."""
    suffix = Path(out).suffix.lower()
    if suffix not in SUFFIX_FORMATS:
        raise OutputError(
            out,
            f"unknown extension {suffix or '(none)'!r}; name a {', '.join(SUFFIX_FORMATS)} file",
        )
    family = SUFFIX[SUFFIX_FORMATS[suffix]]
    if fmt is not None:
        fmt = format_name(fmt)
        if SUFFIX[fmt] != family:
            raise OutputError(
                out, f"format {fmt} writes {SUFFIX[fmt]} files, not {suffix}; rename or drop it"
            )
        return fmt
    if preferred is not None and SUFFIX.get(preferred) == family:
        return preferred
    return SUFFIX_FORMATS[suffix]


#: format -> integer bits (0 = float)
BITS = {"tif8": 8, "tif16": 16, "png8": 8, "png16": 16, "jpg": 8, "tif32": 0, "exr": 0,
        "exr-half": 0}  # fmt: skip


def quantize(pixels: np.ndarray, bits: int) -> np.ndarray:
    """[0, 1] float -> unsigned integers with round-half-up, clipped; integer input of the
    right width (already quantised, e.g. by the fused kernel) passes through."""
    if pixels.dtype == (np.uint8 if bits == 8 else np.uint16):
        return pixels
    top = float(2**bits - 1)
    dtype = np.uint8 if bits == 8 else np.uint16
    out = np.clip(pixels, 0.0, 1.0) * np.float32(top)
    out += np.float32(0.5)
    return out.astype(dtype)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _png_with_icc(png: bytes, icc: bytes | None) -> bytes:
    """Insert an ``iCCP`` chunk after IHDR (PNG specification, 3rd ed., 11.3.3.3)."""
    if not icc:
        return png
    ihdr_end = 8 + 8 + 13 + 4
    chunk = _png_chunk(b"iCCP", b"ICC profile\0\0" + zlib.compress(icc))
    return png[:ihdr_end] + chunk + png[ihdr_end:]


def _write_tiff(
    path: Path, pixels: np.ndarray, fmt: str, icc: bytes | None, exif: dict[str, Any] | None
) -> None:
    """The pixels as one strip, with the ICC profile and the EXIF tags. Exiv2 adds EXIF to a
    TIFF by rewriting the whole file in memory (the file mapped plus its new copy: ~280 MB
    for 24 MP at 16 bits), so it writes them while the file holds one pixel; the image is
    then appended (:func:`_append_strip`)."""
    import tifffile

    data = {"tif8": lambda p: quantize(p, 8), "tif16": lambda p: quantize(p, 16)}.get(
        fmt, lambda p: p.astype(np.float32, copy=False)
    )(pixels)
    later = bool(exif) and data.nbytes < 2**31  # classic TIFF offsets are 32-bit
    tifffile.imwrite(path, data[:1, :1] if later else data, photometric="rgb",
                     iccprofile=icc, metadata=None, software="lsquared")  # fmt: skip
    if exif:
        meta.write_exif(path, exif)
    if later:
        _append_strip(path, data)


def _append_strip(path: Path, data: np.ndarray) -> None:
    """Append ``data`` to a one-strip TIFF (at a 16-byte boundary) and point IFD0's size and
    strip tags (TIFF 6.0, section 3) at it; the old strip stays, unreferenced."""
    import tifffile

    with tifffile.TiffFile(path, mode="r+b") as tif:
        handle, tags = tif.filehandle, tif.pages.first.tags
        end = handle.seek(0, 2)
        offset = end + -end % 16
        handle.write(bytes(offset - end))
        handle.write_array(data.astype(data.dtype.newbyteorder(tif.byteorder), copy=False))
        height, width = data.shape[:2]
        for name, value in (("ImageWidth", width), ("ImageLength", height),
                            ("RowsPerStrip", height), ("StripOffsets", offset),
                            ("StripByteCounts", data.nbytes)):  # fmt: skip
            tags[name].overwrite(value, dtype=4)  # LONG


def _write_png(path: Path, pixels: np.ndarray, fmt: str, icc: bytes | None) -> None:
    import imagecodecs

    data = quantize(pixels, 8 if fmt == "png8" else 16)
    path.write_bytes(_png_with_icc(bytes(imagecodecs.png_encode(data, level=6)), icc))


def _write_jpeg(path: Path, pixels: np.ndarray, quality: int, icc: bytes | None) -> None:
    from PIL import Image as PILImage

    PILImage.fromarray(quantize(pixels, 8), "RGB").save(
        path,
        "JPEG",
        quality=quality,
        icc_profile=icc or None,
        subsampling=0 if quality >= 90 else 2,
    )


def _write_exr(
    path: Path, pixels: np.ndarray, fmt: str, chromaticities, attributes: dict[str, str]
) -> None:
    import OpenEXR

    header: dict[str, Any] = {"compression": OpenEXR.ZIP_COMPRESSION, "type": OpenEXR.scanlineimage}
    if chromaticities is not None:
        header["chromaticities"] = tuple(float(v) for v in chromaticities)
    header.update(attributes)
    dtype = np.float16 if fmt == "exr-half" else np.float32
    OpenEXR.File(header, {"RGB": np.ascontiguousarray(pixels, dtype=dtype)}).write(str(path))


def write_image(
    out: str | Path,
    pixels: np.ndarray,
    fmt: str,
    *,
    icc: bytes | None = None,
    chromaticities: Iterable[float] | None = None,
    exif: dict[str, Any] | None = None,
    quality: int = 95,
    inputs: Iterable[Path] = (),
    exr_attributes: dict[str, str] | None = None,
) -> Path:
    """Write ``pixels`` (H x W x 3, already in the output encoding) atomically: float32 in
    [0, 1] or, for integer formats, already quantised to the format's bit depth.

    ``chromaticities`` (x, y of R, G, B and white) and ``exr_attributes`` (string header
    attributes) go into EXR headers; ``icc`` into the others. ``exif`` is copied into TIFF,
    PNG and JPEG outputs. The format must suit ``out``'s extension (:func:`format_for`).
    """
    out = Path(out)
    fmt = format_for(out, format_name(fmt, str(out)))
    with atomic_output(out, inputs) as tmp:
        try:
            if fmt.startswith("tif"):
                _write_tiff(tmp, pixels, fmt, icc, exif)
            elif fmt.startswith("png"):
                _write_png(tmp, pixels, fmt, icc)
            elif fmt == "jpg":
                _write_jpeg(tmp, pixels, quality, icc)
            else:
                _write_exr(tmp, pixels, fmt, chromaticities, exr_attributes or {})
            if exif and fmt.startswith(("png", "jpg")):
                meta.write_exif(tmp, exif)
        except OSError as e:
            raise OutputError(out, f"cannot write: {e.strerror or e}") from None
    return out


def _read_data(path: Path) -> np.ndarray:
    """The stored samples of a TIFF, PNG, JPEG or EXR as H x W x 3, in the file's type."""
    if not path.is_file():
        raise InputError(path, "file not found")
    suffix = path.suffix.lower()
    try:
        if suffix == ".exr":
            import OpenEXR

            with OpenEXR.File(str(path)) as f:
                channels = f.channels()
                if "RGB" in channels:
                    data = channels["RGB"].pixels
                else:
                    data = np.stack([channels[c].pixels for c in "RGB"], axis=-1)
        elif suffix in (".tif", ".tiff"):
            import tifffile

            data = tifffile.imread(path)
        else:
            import imagecodecs

            data = imagecodecs.imread(str(path))
    except Exception as e:  # any decoder's failure is a bad input file
        raise InputError(path, f"cannot read image: {e}") from None
    if data.ndim == 2:
        data = np.repeat(data[..., None], 3, axis=2)
    return data[..., :3]


#: integer code values that readers of stored samples take as code / max themselves
CODE_TYPES = (np.dtype(np.uint8), np.dtype(np.uint16))


def _as_float(data: np.ndarray) -> np.ndarray:
    """Integers as code / max, floats as they are, in float32 (one pass, one new array)."""
    if np.issubdtype(data.dtype, np.integer):
        return np.divide(data, np.float32(np.iinfo(data.dtype).max), dtype=np.float32)
    return data.astype(np.float32)


def read_image(path: str | Path) -> np.ndarray:
    """Read a TIFF, PNG, JPEG or EXR into H x W x 3 float32 (integers scaled to [0, 1])."""
    return _as_float(_read_data(Path(path)))


#: ``--depth`` names -> the format for each output suffix that stores that depth
DEPTH_FORMATS = {
    "8": {".tif": "tif8", ".png": "png8", ".jpg": "jpg"},
    "16": {".tif": "tif16", ".png": "png16"},
    "float": {".tif": "tif32", ".exr": "exr"},
    "half": {".exr": "exr-half"},
}


def depth_format(suffix: str, depth: str) -> str:
    """The format storing ``depth`` (8, 16, float, half) in a ``suffix`` file; ValueError
    when that file type cannot hold it."""
    suffix = {".tiff": ".tif", ".jpeg": ".jpg"}.get(suffix.lower(), suffix.lower())
    if depth not in DEPTH_FORMATS:
        raise ValueError(f"--depth {depth!r}: choose {', '.join(DEPTH_FORMATS)}")
    fmt = DEPTH_FORMATS[depth].get(suffix)
    if fmt is None:
        fits = [s for s, table in DEPTH_FORMATS.items() if suffix in table]
        raise ValueError(f"a {suffix} file cannot hold --depth {depth}; it holds {', '.join(fits)}")
    return fmt


DEPTH_NAMES = {"8": "8-bit", "16": "16-bit", "float": "32-bit float", "half": "half float"}


def keeping_format(suffix: str, dtype: np.dtype) -> tuple[str, str]:
    """(format, note): the format that stores samples of ``dtype`` in a ``suffix`` file as
    they are (float stays float, EXR half stays half, 8-bit stays 8-bit, other integers
    16-bit), or the nearest it can hold (widest first), with a note when data is lost."""
    if np.issubdtype(dtype, np.floating):
        depth = "half" if dtype == np.float16 else "float"
    else:
        depth = "8" if np.dtype(dtype).itemsize == 1 else "16"
    for tried in (depth, "float", "16", "8"):
        try:
            fmt = depth_format(suffix, tried)
        except ValueError:
            continue
        if tried == "float" or tried == depth:
            return fmt, ""
        clipped = ", values outside [0, 1] clipped" if depth in ("float", "half") else ""
        return fmt, (
            f"{DEPTH_NAMES[depth]} input written as {DEPTH_NAMES[tried]} "
            f"(the most a {suffix} file holds{clipped})"
        )
    raise ValueError(f"unknown image suffix {suffix or '(none)'}")


def read_image_stored(path: str | Path) -> np.ndarray:
    """The samples of a TIFF, PNG, JPEG or EXR as stored (H x W x 3 in the file's type: no
    conversion, no copy a reader did not make), for code that takes integers itself."""
    return _read_data(Path(path))


def in_place_pixels(data: np.ndarray, bits: int) -> np.ndarray:
    """Stored samples as an array to process in place and write at ``bits`` (0 = float):
    unsigned integers of that width as they are (native byte order, contiguous, copied only
    when they are not), anything else in float32 (integers as code / max)."""
    if bits and data.dtype.kind == "u" and data.dtype.itemsize * 8 == bits:
        return np.require(data, data.dtype.newbyteorder("="), ["C_CONTIGUOUS", "WRITEABLE"])
    if np.issubdtype(data.dtype, np.integer):
        return _as_float(data)
    return np.require(data, np.float32, ["C_CONTIGUOUS", "WRITEABLE"])
