"""The public API: load a source, compile a Recipe against it, develop files.

This is the facade above ``pipeline`` and ``kernels``: it picks the renderer, supplies the
stages owned by other layers, and wires decoding, processing and atomic writing together.
The CLI and the batch runner call only this.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from lsquared.color import icc, spaces
from lsquared.errors import InputError, OutputError
from lsquared.image import Encoding, Image
from lsquared.io import raw, stills
from lsquared.io.atomic import check_writable_target
from lsquared.kernels import get_renderer
from lsquared.metadata import Metadata
from lsquared.pipeline.compiler import INPUT_ENCODINGS, Processor, compile_recipe
from lsquared.pipeline.recipe import Recipe

STILL_SUFFIXES = (".tif", ".tiff", ".png", ".jpg", ".jpeg", ".exr")


def compile(
    recipe: Recipe,
    source: Metadata | Image,
    source_encoding: Encoding | None = None,
    renderer: str = "cpu",
) -> Processor:
    """Compile ``recipe`` against a source (its Metadata, or an Image that carries it)."""
    if isinstance(source, Image):
        source_encoding = source_encoding or source.encoding
        source = source.metadata
    if source_encoding is None:
        raise ValueError("source_encoding is needed when compiling against bare Metadata")
    return compile_recipe(recipe, source, source_encoding, get_renderer(renderer))


def load_source(path: str | Path, recipe: Recipe = Recipe()) -> Image:
    """Decode a RAW (through LibRaw) or a still image, in the encoding the recipe declares."""
    path = Path(path)
    if not path.exists():
        raise InputError(path, "file not found")
    declared = recipe.input.encoding
    if raw.is_raw_path(path) or declared == "raw":
        return raw.read_raw(path, recipe.demosaic.algorithm)
    if path.suffix.lower() not in STILL_SUFFIXES:
        raise InputError(path, f"unknown file type {path.suffix or '(none)'}; not a RAW or image")
    encoding = INPUT_ENCODINGS["srgb" if declared == "auto" else declared]
    if encoding.primaries == "camera":
        raise InputError(path, "a still image cannot be declared as camera RAW")
    return Image(stills.read_image(path), encoding, Metadata(source_path=str(path)))


def output_encoding_tags(encoding: Encoding) -> tuple[bytes | None, tuple[float, ...] | None]:
    """(ICC profile, EXR chromaticities) for an output encoding."""
    profile = icc.profile(encoding.primaries, encoding.transfer)
    prim = spaces.primaries_xy(encoding.primaries).ravel()
    white = spaces.white_xy(encoding.primaries)
    return profile, (*prim, *white)


@dataclass(frozen=True)
class DevelopResult:
    source: Path
    output: Path
    processor: Processor
    width: int
    height: int


def write_developed(
    pixels: np.ndarray,
    encoding: Encoding,
    metadata: Metadata,
    out: Path,
    recipe: Recipe,
    source_path: Path | None = None,
) -> Path:
    """Write processed pixels with the output space's ICC profile and the source's EXIF."""
    profile, chroma = output_encoding_tags(encoding)
    return stills.write_image(
        out,
        pixels,
        recipe.output.format,
        icc=profile,
        chromaticities=chroma,
        exif=metadata.exif,
        quality=recipe.output.quality,
        inputs=[source_path] if source_path else [],
    )


def output_path_for(source: Path, out: Path, recipe: Recipe, many: bool) -> Path:
    """``out`` itself for one input, else ``out/<stem><suffix>`` (out must be a folder)."""
    suffix = stills.SUFFIX[recipe.output.format]
    if many or out.is_dir():
        if not out.is_dir():
            raise OutputError(out, "output folder does not exist (several inputs need a folder)")
        return out / f"{source.stem}{suffix}"
    return out


def _decode_and_compile(source: Path, recipe: Recipe, renderer: str) -> tuple[Image, Processor]:
    """Decode and compile; for RAWs the Processor is compiled from the metadata while LibRaw
    demosaics in another thread (it releases the GIL), unless auto white balance needs the
    pixels first."""
    if not (raw.is_raw_path(source) or recipe.input.encoding == "raw"):
        image = load_source(source, recipe)
        return image, compile(recipe, image, renderer=renderer)
    with raw.open_raw(source) as rawfile:
        if recipe.white_balance.mode == "auto":
            image = rawfile.decode(recipe.demosaic.algorithm)
            return image, compile(recipe, image, renderer=renderer)
        with ThreadPoolExecutor(1, thread_name_prefix="lsq-decode") as pool:
            decoding = pool.submit(rawfile.decode, recipe.demosaic.algorithm)
            try:
                processor = compile(recipe, rawfile.metadata, raw.CAMERA_RAW, renderer)
            finally:
                image = decoding.result()
    return image, processor


def develop_file(
    source: str | Path, out: str | Path, recipe: Recipe = Recipe(), renderer: str = "cpu"
) -> DevelopResult:
    """Develop one file: decode, compile, apply (quantising in the same pass for integer
    formats), write atomically with ICC profile and EXIF."""
    source, out = Path(source), Path(out)
    check_writable_target(out, [source])
    image, processor = _decode_and_compile(source, recipe, renderer)
    pixels = processor.apply_array(image.pixels, stills.BITS[recipe.output.format])
    height, width = image.height, image.width
    metadata = image.metadata
    del image
    write_developed(pixels, processor.output_encoding, metadata, out, recipe, source)
    return DevelopResult(source, out, processor, width, height)


def develop_array(pixels: np.ndarray, processor: Processor) -> np.ndarray:
    """Apply a processor to a bare array (frames, tests)."""
    return processor.apply_array(pixels)
