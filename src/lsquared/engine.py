"""The public API: load a source, compile a Recipe against it, develop files.

This is the facade above ``pipeline`` and ``kernels``: it picks the renderer, supplies the
stages owned by other layers, and wires decoding, processing and atomic writing together.
The CLI and the batch runner call only this.
"""

from __future__ import annotations

import hashlib
import pickle
import warnings
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from lsquared import __version__
from lsquared.color import icc, spaces
from lsquared.errors import (
    InputError,
    LensError,
    LsqWarning,
    OutputError,
    RecipeError,
)
from lsquared.image import Encoding, Image
from lsquared.io import raw, stills
from lsquared.io.atomic import check_writable_target
from lsquared.kernels import get_renderer
from lsquared.kernels.demosaic import malvar2004
from lsquared.looks import catalog
from lsquared.looks.files import read_lut
from lsquared.looks.lut import Lut, fit_nodes_to_interpolation, vlt_node_positions
from lsquared.metadata import Metadata
from lsquared.optics import lensdb
from lsquared.optics import profile as optics_profile
from lsquared.pipeline.compiler import (
    INPUT_ENCODINGS,
    LensCorrection,
    Processor,
    compile_recipe,
    lut_ops,
)
from lsquared.pipeline.ops import Lut3DOp, Program
from lsquared.pipeline.recipe import Recipe, with_look

STILL_SUFFIXES = (".tif", ".tiff", ".png", ".jpg", ".jpeg", ".exr")


def resolve_look(recipe: Recipe) -> Recipe:
    """Merge the built-in look named by ``[look] name`` into the recipe."""
    if not recipe.look.name:
        return recipe
    look = catalog.get(recipe.look.name)
    return with_look(recipe, look.name, look.table(), f"look {look.name}")


def validate_recipe(recipe: Recipe) -> None:
    """Raise the error a compile would raise for the recipe itself (an unknown look, a
    missing or malformed LUT file), before any file is touched."""
    resolve_look(recipe)
    if recipe.look.lut:
        read_lut(recipe.look.lut)


def with_look_name(recipe: Recipe, name: str) -> Recipe:
    """The recipe with the built-in look ``name`` applied."""
    return resolve_look(recipe.replace("look", name=name))


def compile(
    recipe: Recipe,
    source: Metadata | Image,
    source_encoding: Encoding | None = None,
    renderer: str = "cpu",
) -> Processor:
    """Compile ``recipe`` against a source (its Metadata, or an Image that carries it).
    A built-in look named in the recipe is merged in and a LUT file it names is read."""
    if isinstance(source, Image):
        source_encoding = source_encoding or source.encoding
        source = source.metadata
    if source_encoding is None:
        raise ValueError("source_encoding is needed when compiling against bare Metadata")
    recipe = resolve_look(recipe)
    lut = read_lut(recipe.look.lut) if recipe.look.lut else None
    lens = resolve_lens(recipe, source)
    return compile_recipe(recipe, source, source_encoding, get_renderer(renderer), lut, lens)


class ProcessorCache:
    """Processors compiled once per distinct (recipe, camera, lens, settings) and reused.

    The key is everything ``compile`` reads: the recipe, the source encoding, the renderer
    and the source's metadata minus what differs from shot to shot without changing the
    processing (path, time, exposure, ISO, EXIF, and image statistics unless white balance
    is auto). Warnings raised while compiling (an unknown
    lens) are kept and raised again on every reuse, so each file still reports them.
    """

    def __init__(self, size: int = 32) -> None:
        self.size = size
        self.compiled = 0
        self._entries: OrderedDict[bytes, tuple[Processor, str, list[str]]] = OrderedDict()

    @staticmethod
    def key(recipe: Recipe, source: Metadata, encoding: Encoding, renderer: str) -> bytes:
        shot = source.with_(source_path="", datetime_original=None, exposure_time_s=None, iso=None)
        if recipe.white_balance.mode != "auto":  # image statistics matter only to auto WB
            shot = shot.with_(grey_world_neutral=None)
        return hashlib.sha256(pickle.dumps((recipe, shot, encoding, renderer))).digest()

    def _entry(self, key: bytes, make) -> tuple[Processor, str, list[str]]:
        """The entry for ``key``, made by ``make()`` on a miss; least recently used out."""
        if key not in self._entries:
            self._entries[key] = make()
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)
        self._entries.move_to_end(key)
        return self._entries[key]

    def _compile_noting(
        self, recipe: Recipe, source: Metadata, encoding: Encoding, renderer: str
    ) -> tuple[Processor, str, list[str]]:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", LsqWarning)
            processor = compile(recipe, source, encoding, renderer)
        self.compiled += 1
        notes = [str(w.message) for w in caught if issubclass(w.category, LsqWarning)]
        return processor, source.source_path, notes

    def compile(
        self, recipe: Recipe, source: Metadata, encoding: Encoding, renderer: str = "cpu"
    ) -> Processor:
        key = self.key(recipe, source, encoding, renderer)
        processor, first_path, notes = self._entry(
            key, lambda: self._compile_noting(recipe, source, encoding, renderer)
        )
        for note in notes:  # said again for this file, under its own name
            if first_path:
                note = note.replace(first_path, source.source_path, 1)
            warnings.warn(note, LsqWarning, stacklevel=2)
        return processor

    def baked(
        self, recipe: Recipe, source: Metadata, encoding: Encoding, input_name: str
    ) -> Processor:
        """:func:`baked_processor` of the compiled Processor, baked once per key too."""
        processor = self.compile(recipe, source, encoding)
        key = self.key(recipe, source, encoding, "cpu") + b"baked"
        return self._entry(key, lambda: (baked_processor(processor, recipe, input_name), "", []))[0]


def resolve_lens(recipe: Recipe, source: Metadata) -> LensCorrection:
    """The lens correction the recipe's ``[lens] source`` asks for. Under ``auto`` an
    unknown lens is a warning and no correction; an explicit source must succeed."""
    spec = recipe.lens
    if spec.source == "none":
        return LensCorrection(None, 1.0, "lens: no correction (source none)")
    if spec.source in ("embedded", "auto") and source.lens_opcodes:
        profile = optics_profile.from_dng_opcodes(source.lens_opcodes)
        names = ", ".join(op.name for op in source.lens_opcodes)
        return LensCorrection(profile, 1.0, f"lens: embedded in the file ({names})")
    if spec.source in ("embedded", "auto") and source.rw2_distortion:
        a, b, c = source.rw2_distortion
        return LensCorrection(
            optics_profile.from_rw2(source.rw2_distortion), 1.0,
            f"lens: embedded in the file (RW2 DistortionInfo: a {a:.5g}, b {b:.5g}, c {c:.5g};"
            " radius normalised to the half diagonal, an assumption)",
        )  # fmt: skip
    if spec.source == "embedded":
        raise LensError(
            source.source_path,
            "the file embeds no lens correction (DNG WarpRectilinear, FixVignetteRadial, "
            "RW2 DistortionInfo with the camera's correction on)",
        )
    try:
        if spec.source == "profile":
            lens = lensdb.lookup_in_file(spec.profile, source.lens_model)
            origin = f"profile {spec.profile}"
        else:
            lens = lensdb.fixed_lens(source.make, source.model) if not source.lens_model else None
            if lens is None and not source.lens_model:
                if spec.source == "auto":  # nothing recorded is not an unknown lens: no warning
                    return LensCorrection(None, 1.0, "lens: none recorded; no lens correction")
                raise LensError(source.source_path, "the file names no lens (EXIF LensModel)")
            lens = lens or lensdb.lookup(source.lens_model)
            origin = "lensfun database"
    except LensError as e:
        if spec.source != "auto":
            raise
        note = f"lens: {source.lens_model or 'unknown lens'}: not found; no lens correction"
        warnings.warn(
            f"{source.source_path}: {e.problem}; no lens correction", LsqWarning, stacklevel=2
        )
        return LensCorrection(None, 1.0, note)
    focal = source.focal_length_mm or float(lens.min_focal)
    aperture = source.aperture_f or float(lens.min_aperture or 8.0)
    distance = source.focus_distance_m or 1000.0
    crop = (
        source.crop_factor
        or lensdb.camera_crop(source.make, source.model)
        or float(lens.crop_factor)
    )
    profile = optics_profile.from_lensfun(lens, focal, aperture, distance)
    note = (
        f"lens: {profile.name} from the {origin} at {focal:g} mm f/{aperture:g}, "
        f"{distance:g} m, crop {crop:.2f}"
    )
    return LensCorrection(profile, crop, note)


#: display output space -> (primaries, transfer, matrix) tags written into video
VIDEO_TAGS = {
    "rec709": ("bt709", "bt709", "bt709"),
    "srgb": ("bt709", "srgb", "bt709"),
    "rec2020": ("bt2020", "bt2020", "bt2020nc"),
    "p3": ("p3", "srgb", "bt709"),
}


@dataclass(frozen=True)
class GradeResult:
    source: Path
    output: Path
    processor: Processor
    frames: int
    input_name: str


def grade_file(
    source: str | Path,
    out: str | Path,
    recipe: Recipe = Recipe(),
    input_name: str = "auto",
    codec: str = "h265",
    crf: int | None = None,
    preset: str = "medium",
    start_s: float = 0.0,
    duration_s: float | None = None,
    on_frame=None,
    cache: ProcessorCache | None = None,
    fast: bool = False,
) -> GradeResult:
    """Grade a V-Log, L-Log or Rec.709 clip: one Processor compiled for the clip, frames
    streamed through it, encoded with the output space's colour tags, audio copied. With
    ``fast`` the frames go through the recipe baked into a 65^3 LUT instead
    (:func:`baked_processor`), which goes Y'CbCr to Y'CbCr in one pass (``kernels.video``)."""
    from lsquared.io import video
    from lsquared.kernels.video import lut_on_planes

    source, out = Path(source), Path(out)
    check_writable_target(out, [source])
    info = video.probe(source)
    if input_name == "auto":  # camera log is not signalled in the stream's tags
        input_name = (
            recipe.input.encoding if recipe.input.encoding not in ("auto", "raw") else "rec709"
        )
    if recipe.output.space not in VIDEO_TAGS:
        raise RecipeError(
            "[output] space",
            f"{recipe.output.space} is not a video display space; choose {', '.join(VIDEO_TAGS)}",
        )
    metadata = Metadata(source_path=str(source), image_size=(info.width, info.height))
    if recipe.lens.source == "auto":
        recipe = recipe.replace("lens", source="none")  # clips carry no lens metadata
    encoding = input_encoding(input_name)
    cache = cache if cache is not None else ProcessorCache()  # one clip: compiled once anyway
    if fast:
        processor = cache.baked(recipe, metadata, encoding, input_name)
    else:
        processor = cache.compile(recipe, metadata, encoding)
    tags = video.EncodeTags(*VIDEO_TAGS[recipe.output.space])
    planes = lut_on_planes(processor.program) if processor.renderer.name == "cpu" else None
    frames = video.grade_video(
        source, out, processor.apply_array, codec, crf, preset, tags, start_s, duration_s,
        on_frame, planes,
    )  # fmt: skip
    return GradeResult(source, out, processor, frames, input_name)


def identify_lens(path: str | Path) -> list[str]:
    """What lsquared knows of a file's lens, from its metadata alone (no pixels are read):
    camera, lens, settings, crop factor, the correction source ``--lens auto`` would use,
    and any embedded correction data."""
    from lsquared.io import meta, rw2

    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file not found")
    exif = meta.read_exif(path)
    source = meta.metadata_from_exif(path, exif).with_(lens_opcodes=meta.opcode_lists(path, exif))
    lens = resolve_lens(Recipe(), source)
    lines = [
        f"file:    {path}",
        f"camera:  {source.make or '?'} {source.model or '?'}",
        f"lens:    {source.lens_model or 'not recorded'}",
        f"setting: {source.focal_length_mm or '?'} mm, f/{source.aperture_f or '?'}",
        f"source:  {lens.note}",
    ]
    panasonic = rw2.from_exif(exif, f"{path} 0x0119")
    if panasonic is not None:
        use = (
            "applied under --lens auto or embedded"
            if panasonic.correction_on
            else "not applied: the camera recorded its correction as off"
        )
        lines.append(
            f"rw2 0x0119: correction {'on' if panasonic.correction_on else 'off'}, scale "
            f"{panasonic.scale:g}, params 02 {panasonic.param02} 04 {panasonic.param04} "
            f"08 {panasonic.param08} 09 {panasonic.param09} 11 {panasonic.param11}; "
            f"a, b, c = {', '.join(f'{v:.6g}' for v in panasonic.abc)} "
            f"(checksum verified; {use})"
        )
    return lines


def input_encoding(name: str) -> Encoding:
    """The encoding of an input name (vlog, llog, rec709, ...)."""
    try:
        return INPUT_ENCODINGS[name]
    except KeyError:
        raise RecipeError(
            "[input] encoding", f"{name!r} is not valid; choose one of {', '.join(INPUT_ENCODINGS)}"
        ) from None


def bake_lut(
    recipe: Recipe, input_name: str, size: int, nodes: str = "uniform", fit: bool | None = None
) -> Lut:
    """Bake input decoding + the recipe's look + its display rendering and output encoding
    into one 3D LUT on ``size``^3 input code values (``nodes`` ``vlt12``: the .vlt's 12-bit
    nodes). With ``fit`` (default for uniform lattices) the node values are fitted so that
    tetrahedral interpolation follows the recipe more closely
    (:func:`~lsquared.looks.lut.fit_nodes_to_interpolation`); a .vlt keeps exact samples,
    since how a camera interpolates is not published."""
    source = Metadata(source_path=f"<{input_name}>")
    processor = compile(recipe, source, input_encoding(input_name), renderer="reference")
    g = vlt_node_positions(size) if nodes == "vlt12" else np.linspace(0.0, 1.0, size)

    def render(points: np.ndarray) -> np.ndarray:
        return processor.apply_array(points.astype(np.float32).reshape(-1, 1, 3))[:, 0]

    grid = np.stack(np.meshgrid(g, g, g, indexing="ij"), axis=-1)
    table = render(grid.reshape(-1, 3)).reshape(size, size, size, 3).astype(np.float64)
    if fit is None:
        fit = nodes == "uniform"
    if fit:
        table = fit_nodes_to_interpolation(table, g, render)
    name = recipe.look.name or "recipe"
    return Lut(
        table=table,
        nodes=nodes,
        title=f"lsquared {name}: {input_name} to {recipe.output.space}",
        comments=(
            f"# lsquared {__version__}: look {name}, input {input_name}, "
            f"output {recipe.output.space} (display-referred)",
        ),
    )


#: lattice size of ``lsq grade --fast``
FAST_LUT_SIZE = 65


def baked_processor(
    processor: Processor, recipe: Recipe, input_name: str, size: int = FAST_LUT_SIZE
) -> Processor:
    """``processor`` with its point ops replaced by the recipe baked into a ``size``^3 LUT
    (fitted nodes, tetrahedral; geometry kept): one LUT lookup per pixel instead of the
    exact pipeline. Measured at 65^3 over the V-Log cube: within 10/1023 of the exact
    recipe for every built-in look (tests/integration/s0004); input outside [0, 1] is
    clamped to the LUT's domain, where the exact pipeline would extrapolate."""
    lut = bake_lut(recipe, input_name, size)
    point = tuple(lut_ops(lut, f"the recipe baked into a {size}^3 LUT"))
    note = f"fast: the recipe baked into a {size}^3 LUT (tetrahedral), not run exactly"
    return replace(
        processor,
        program=Program(processor.program.geometry, point),
        notes=(*processor.notes, note),
    )


def apply_lut_to_image(
    source: Path, lut_path: Path, out: Path, method: str = "tetrahedral"
) -> Path:
    """Apply a LUT file to an image's code values (no colour management) and write it in
    the format its suffix names."""
    check_writable_target(out, [source, lut_path])
    lut = read_lut(lut_path)
    pixels = stills.read_image(source)
    ops = lut_ops(lut, str(lut_path))
    if method != "tetrahedral":
        ops = [replace(op, interpolation=method) if isinstance(op, Lut3DOp) else op for op in ops]
    fmt = stills.SUFFIX_FORMATS.get(out.suffix.lower())
    if fmt is None:
        raise OutputError(out, "choose a .tif, .png, .jpg or .exr output")
    result = get_renderer("cpu").run(Program((), tuple(ops)), pixels, stills.BITS[fmt])
    return stills.write_image(out, result, fmt, inputs=[source, lut_path])


def load_source(path: str | Path, recipe: Recipe = Recipe()) -> Image:
    """Decode a RAW (through LibRaw) or a still image, in the encoding the recipe declares."""
    path = Path(path)
    if not path.exists():
        raise InputError(path, "file not found")
    declared = recipe.input.encoding
    if raw.is_raw_path(path) or declared == "raw":
        return raw.read_raw(path, recipe.demosaic.algorithm, malvar2004)
    if path.suffix.lower() not in STILL_SUFFIXES:
        raise InputError(path, f"unknown file type {path.suffix or '(none)'}; not a RAW or image")
    encoding = INPUT_ENCODINGS["srgb" if declared == "auto" else declared]
    if encoding.primaries == "camera":
        raise InputError(path, "a still image cannot be declared as camera RAW")
    pixels = stills.read_image(path)
    size = (pixels.shape[1], pixels.shape[0])
    return Image(pixels, encoding, Metadata(source_path=str(path), image_size=size))


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


def _decode_and_compile(
    source: Path, recipe: Recipe, renderer: str, cache: ProcessorCache | None = None
) -> tuple[Image, Processor]:
    """Decode and compile (or take the compiled Processor from ``cache``); for RAWs the
    Processor is compiled from the metadata while LibRaw demosaics in another thread (it
    releases the GIL), unless auto white balance needs the pixels first."""
    build = cache.compile if cache is not None else compile
    if not (raw.is_raw_path(source) or recipe.input.encoding == "raw"):
        image = load_source(source, recipe)
        return image, build(recipe, image.metadata, image.encoding, renderer)
    with raw.open_raw(source) as rawfile:
        if recipe.white_balance.mode == "auto":
            image = rawfile.decode(recipe.demosaic.algorithm, malvar2004)
            processor = build(recipe, image.metadata, image.encoding, renderer)
        else:
            with ThreadPoolExecutor(1, thread_name_prefix="lsq-decode") as pool:
                decoding = pool.submit(rawfile.decode, recipe.demosaic.algorithm, malvar2004)
                try:
                    processor = build(recipe, rawfile.metadata, raw.CAMERA_RAW, renderer)
                finally:
                    image = decoding.result()
        if rawfile.opcode_notes():  # applied while decoding: said in --explain too
            processor = replace(processor, notes=(*processor.notes, *rawfile.opcode_notes()))
    return image, processor


def develop_file(
    source: str | Path,
    out: str | Path,
    recipe: Recipe = Recipe(),
    renderer: str = "cpu",
    cache: ProcessorCache | None = None,
) -> DevelopResult:
    """Develop one file: decode, compile (or reuse from ``cache``), apply (quantising in the
    same pass for integer formats), write atomically with ICC profile and EXIF."""
    source, out = Path(source), Path(out)
    check_writable_target(out, [source])
    image, processor = _decode_and_compile(source, recipe, renderer, cache)
    return develop_image(image, processor, out, recipe)


def develop_image(image: Image, processor: Processor, out: Path, recipe: Recipe) -> DevelopResult:
    """Apply a compiled processor to a decoded image (quantising in the same pass for
    integer formats) and write it with its ICC profile and EXIF."""
    source = Path(image.metadata.source_path) if image.metadata.source_path else None
    pixels = processor.apply_array(image.pixels, stills.BITS[recipe.output.format])
    write_developed(pixels, processor.output_encoding, image.metadata, out, recipe, source)
    return DevelopResult(source or out, out, processor, image.width, image.height)
