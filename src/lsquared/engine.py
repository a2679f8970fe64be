"""The public API: load a source, compile a Recipe against it, develop files.

This is the facade above ``pipeline`` and ``kernels``: it picks the renderer, supplies the
stages owned by other layers, and wires decoding, processing and atomic writing together.
The CLI and the batch runner call only this.
"""

from __future__ import annotations

import functools
import hashlib
import pickle
import warnings
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from lsquared import __version__
from lsquared.color import encodings, icc, spaces
from lsquared.color.perceptual import delta_e2000_metric
from lsquared.errors import (
    InputError,
    LensError,
    LsqWarning,
    OutputError,
    RecipeError,
)
from lsquared.image import Encoding, Image
from lsquared.io import raw, stills
from lsquared.io.atomic import atomic_output, check_writable_target
from lsquared.kernels import get_renderer
from lsquared.looks import catalog
from lsquared.looks.files import read_lut
from lsquared.looks.fit import METHODS, fit_lattice, footage_samples
from lsquared.looks.lut import Lut, fit_nodes_to_interpolation, vlt_node_positions
from lsquared.looks.lut import apply as lut_apply
from lsquared.metadata import Metadata
from lsquared.optics import lensdb
from lsquared.optics import profile as optics_profile
from lsquared.pipeline.compiler import (
    LensCorrection,
    Processor,
    compile_recipe,
    encoding_conversion,
    lut_ops,
)
from lsquared.pipeline.ops import Lut3DOp, Program
from lsquared.pipeline.recipe import Recipe, with_look

if TYPE_CHECKING:  # io.video is imported when a clip is graded (it brings PyAV's helpers)
    from lsquared.io.video import ClipReader, ClipWriter, VideoInfo

STILL_SUFFIXES = (".tif", ".tiff", ".png", ".jpg", ".jpeg", ".exr")


def resolve_look(recipe: Recipe) -> Recipe:
    """Merge the look named by ``[look] name`` into the recipe (a user look made from a LUT
    sets ``[look] lut`` and ``lut_input``). A look and another LUT file together are
    refused: both render for display, so neither order is what a user can assume (a
    recipe's own ``[grade]`` does run before its LUT)."""
    if not recipe.look.name:
        return recipe
    look = catalog.get(recipe.look.name)
    own = look.lut_path()
    if recipe.look.lut and (own is None or Path(recipe.look.lut) != own):
        raise RecipeError(
            "[look]",
            f"the look {recipe.look.name!r} (--look) and the LUT {recipe.look.lut} (--lut) "
            "both render for display; give one, or a recipe whose [grade] runs before its LUT",
        )
    table = look.table()
    section = table.pop("look", None)
    if own is not None:
        lut_input = section.get("lut_input", "vlog")
        recipe = recipe.replace("look", lut=str(own), lut_input=lut_input)
    return with_look(recipe, look.name, table, f"look {look.name}")


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
    and the source's metadata fields that take part in its equality (camera, lens and its
    settings, colour calibration, image size, embedded corrections), minus what differs
    from shot to shot without changing the processing (path, time, exposure, ISO, and
    image statistics unless white balance is auto). The EXIF copied to the output is not
    compared, so it is not part of the key. Warnings raised while compiling (an unknown
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
        compared = tuple(getattr(shot, f.name) for f in fields(shot) if f.compare)
        return hashlib.sha256(pickle.dumps((recipe, compared, encoding, renderer))).digest()

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
        """:func:`baked_processor` of the compiled Processor, baked once per key too. A
        recipe without geometry whose bake is on disk is not compiled at all
        (:func:`processor_from_kept_bake`): no colour-science import, no JIT, no bake."""
        key = self.key(recipe, source, encoding, "cpu") + b"baked"

        def make() -> tuple[Processor, str, list[str]]:
            kept = processor_from_kept_bake(recipe, source, encoding, input_name)
            if kept is None:
                kept = baked_processor(self.compile(recipe, source, encoding), recipe, input_name)
            return kept, "", []

        return self._entry(key, make)[0]


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


@dataclass(frozen=True)
class GradeResult:
    source: Path
    output: Path
    processor: Processor
    frames: int
    input_name: str
    input_note: str = ""  # how the input encoding was chosen (``--explain``)


def video_input(info: VideoInfo, declared: str, recipe: Recipe) -> tuple[str, str]:
    """(input name, how it was chosen) for a clip: what was declared (``--input``, else the
    recipe's ``[input] encoding``), else what the camera's metadata names (the clip XML,
    :func:`lsquared.io.video.capture_curve`, else the maker note's PhotoStyle,
    :func:`lsquared.io.video.maker_note_curve`), else Rec.709 with a warning that it was
    assumed."""
    if declared != "auto":
        return declared, "declared (--input)"
    if recipe.input.encoding not in ("auto", "raw"):
        return recipe.input.encoding, "declared ([input] encoding)"
    capture = info.capture
    if capture is not None and capture.encoding is not None:
        return capture.encoding, f"auto: {capture.source}"
    said = (
        f"{capture.source}, a curve lsquared does not decode"
        if capture
        else "nothing in the clip names its curve (cameras tag log as BT.709 or not at all)"
    )
    note = f"auto: {said}; Rec.709 assumed (pass --input vlog, llog or rec709)"
    warnings.warn(f"{info.path}: {note}", LsqWarning, stacklevel=3)
    return "rec709", note


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
    streamed through it, encoded with the output space's colour tags, audio copied or
    converted as the container needs (:func:`lsquared.io.video.audio_plan`). The codec and
    container are checked before anything is read. ``input_name`` ``auto`` takes the curve
    the camera's metadata names (:func:`video_input`). With
    ``fast`` the frames go through the recipe baked into a 65^3 LUT instead
    (:func:`baked_processor`), which goes Y'CbCr to Y'CbCr in one pass (``kernels.video``).
    numba starts in a thread while the clip is opened and probed."""
    from lsquared.io import video
    from lsquared.kernels import numba_start

    source, out = Path(source), Path(out)
    video.check_output(out, codec)
    check_writable_target(out, [source])
    numba_ready = numba_start.start_in_background()
    with video.ClipReader(source) as reader:
        numba_ready.join()
        from lsquared.kernels.video import lut_on_planes

        processor, recipe, input_name, input_note = clip_processor(
            source, reader.info, recipe, input_name, cache, fast
        )
        tags = video.EncodeTags(*encodings.video_tags(recipe.output.space))
        planes = lut_on_planes(processor.program) if processor.renderer.name == "cpu" else None
        with video.open_writer(
            reader, out, codec, crf, preset, tags, start_s, duration_s
        ) as writer:
            frames = grade_frames(reader, writer, processor, start_s, duration_s, on_frame, planes)
    return GradeResult(source, out, processor, frames, input_name, input_note)


def grade_frames(
    reader: ClipReader,
    writer: ClipWriter,
    processor: Processor,
    start_s: float = 0.0,
    duration_s: float | None = None,
    on_frame=None,
    planes=None,
) -> int:
    """The clip's frame loop: each frame in [start, start + duration) of ``reader``
    (``io.video.ClipReader``) graded by ``processor`` and handed to ``writer``
    (``io.video.ClipWriter``), which also receives the audio packets in file order; returns
    the frame count. ``planes`` (``kernels.video.lut_on_planes``), when given, grades
    Y'CbCr to Y'CbCr instead (the same result without the R'G'B' frames).
    ``on_frame(count, graded, seconds)`` is called after each frame with its time in the
    output clip; ``graded()`` returns its graded R'G'B' (made on demand on the plane path)."""
    count, buffer = 0, None
    for frame in reader.frames(start_s, duration_s, writer.mux_audio):
        if planes is None:
            buffer = frame.rgb(buffer)
            rgb = processor.apply_array(buffer)
            writer.write(writer.from_rgb(rgb, frame.pts))
            graded = functools.partial(_same, rgb)
        else:
            out = writer.blank(frame.pts)
            planes(frame.planes(), reader.yuv_decode, writer.planes(out), writer.yuv_encode)
            writer.write(out)
            graded = functools.partial(_graded_rgb, processor, frame)
        count += 1
        if on_frame:
            on_frame(count, graded, frame.seconds)
    return count


def _same(rgb: np.ndarray) -> np.ndarray:
    return rgb


def _graded_rgb(processor: Processor, frame) -> np.ndarray:
    """A frame graded through the R'G'B' path (for a still when the clip goes plane to
    plane)."""
    return processor.apply_array(frame.rgb())


def clip_frame_times(source: str | Path) -> tuple[VideoInfo, tuple[int, ...]]:
    """A clip probed once: its stream's description and every frame's presentation time in
    display order (demux only)."""
    from lsquared.io import video

    with video.ClipReader(source) as reader:
        return reader.info, reader.frame_times()


def clip_frame(source: str | Path, pts: int) -> np.ndarray | None:
    """The R'G'B' float32 frame of a clip shown at ``pts`` (as grading reads it): a seek
    to the keyframe before it and decoding forward; None when no frame has that time."""
    from lsquared.io import video

    with video.ClipReader(source) as reader:
        frame = reader.frame_at(pts)
        return None if frame is None else frame.rgb()


def clip_processor(
    source: Path,
    info,
    recipe: Recipe,
    input_name: str = "auto",
    cache: ProcessorCache | None = None,
    fast: bool = False,
) -> tuple[Processor, Recipe, str, str]:
    """The Processor that grades a probed clip's R'G'B' frames (what :func:`grade_file` and
    the viewer apply), with the recipe, the input name it resolved and how it was chosen
    (:func:`video_input`)."""
    input_name, input_note = video_input(info, input_name, recipe)
    if recipe.output.space not in encodings.names("video"):
        raise RecipeError(
            "[output] space",
            f"{recipe.output.space} is not a video display space; "
            f"choose {', '.join(encodings.names('video'))}",
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
    return processor, recipe, input_name, input_note


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
        f"camera:  {optics_profile.maker_and_model(source.make, source.model)}",
        f"lens:    {source.lens_model or 'not recorded'}",
        f"setting: {_number(source.focal_length_mm)} mm, f/{_number(source.aperture_f)}",
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


def _number(value: float | None) -> str:
    """A recorded setting as people write it (65 mm, f/5.6); ``?`` when not recorded."""
    return f"{value:g}" if value else "?"


def input_encoding(name: str) -> Encoding:
    """The encoding of an input name (vlog, llog, rec709, ...)."""
    try:
        return encodings.source_encoding(name)
    except ValueError as error:
        raise RecipeError("[input] encoding", str(error)) from None


#: footage-like colours a .vlt's fit is weighted by (:func:`~lsquared.looks.fit.footage_samples`)
FIT_SAMPLES = 40_000


def footage_codes(input_name: str, count: int = FIT_SAMPLES, seed: int = 0) -> np.ndarray:
    """Footage-like colours (:func:`~lsquared.looks.fit.footage_samples`) as code values of
    the input encoding, clipped to [0, 1], plus a tenth spread uniformly over the cube."""
    ops = encoding_conversion(Encoding("rec2020", "linear"), input_encoding(input_name))
    linear = footage_samples(count, seed).astype(np.float32)[:, None, :]
    codes = get_renderer("reference").run(Program((), tuple(ops)), linear)[:, 0]
    spread = np.random.default_rng(seed + 1).random((count // 10, 3))
    return np.concatenate([np.clip(codes, 0.0, 1.0), spread])


def _display_metric(recipe: Recipe):
    """CIEDE2000's local metric for Rec.709 display output, else None (code values)."""
    return delta_e2000_metric if recipe.output.space == "rec709" else None


def bake_lut(
    recipe: Recipe,
    input_name: str,
    size: int,
    nodes: str = "uniform",
    fit: bool = True,
    renderer: str = "reference",
) -> Lut:
    """Bake input decoding + the recipe's look + its display rendering and output encoding
    into one 3D LUT on ``size``^3 input code values (``nodes`` ``vlt12``: the .vlt's 12-bit
    nodes). With ``fit`` the node values are fitted to how the LUT is interpolated: a
    uniform lattice to tetrahedral interpolation along its edges
    (:func:`~lsquared.looks.lut.fit_nodes_to_interpolation`); a .vlt, whose interpolation
    in the camera is not published, to trilinear and tetrahedral at once, by weighted least
    squares over footage-like colours, errors measured by CIEDE2000's local metric on a
    Rec.709 display (:func:`~lsquared.looks.fit.fit_lattice`). Measured on natural V-Log
    frames for every built-in look (tests/integration/s0004): the least-squares fit
    was the better of the two for 17^3 .vlt, the edge fit for 33^3 .cube. ``renderer``
    samples the recipe: the numpy reference (float64) for files, or ``cpu``, the renderer
    an exact grade runs, for the fast path's bakes."""
    source = Metadata(source_path=f"<{input_name}>")
    processor = compile(recipe, source, input_encoding(input_name), renderer=renderer)
    g = vlt_node_positions(size) if nodes == "vlt12" else np.linspace(0.0, 1.0, size)

    def render(points: np.ndarray) -> np.ndarray:
        return _apply_to_colours(processor, points.reshape(-1, 3))

    grid = np.stack(np.meshgrid(g, g, g, indexing="ij"), axis=-1)
    if fit and nodes == "vlt12":
        samples = footage_codes(input_name)
        table = fit_lattice(render, g, samples, METHODS, _display_metric(recipe))
    else:
        table = render(grid.reshape(-1, 3)).reshape(size, size, size, 3).astype(np.float64)
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


#: pixels per row when a list of colours is rendered as an image (rows run in parallel)
COLOUR_ROW = 1024


def _apply_to_colours(processor: Processor, colours: np.ndarray) -> np.ndarray:
    """``processor`` on a list of colours (P x 3), laid out as rows of :data:`COLOUR_ROW`
    pixels (the last padded) so that the CPU renderer's rows keep both cores busy."""
    count = len(colours)
    rows = -(-count // COLOUR_ROW)
    image = np.zeros((rows * COLOUR_ROW, 3), np.float32)
    image[:count] = colours
    return processor.apply_array(image.reshape(rows, COLOUR_ROW, 3)).reshape(-1, 3)[:count]


#: what a bake should reach on footage (CIEDE2000 p99, max): issue 14's bounds
FIDELITY_BOUNDS = {"cube": (0.5, 2.0), "vlt": (1.5, 4.0)}


@dataclass(frozen=True)
class Fidelity:
    """How a LUT follows its recipe on footage-like colours: CIEDE2000 on a Rec.709/BT.1886
    display, per interpolation, and where the largest 1 % of the errors lie."""

    interpolation: str
    p99: float
    max: float
    worst_in: str


def _tone_region(display: np.ndarray) -> np.ndarray:
    """Per colour: shadows, highlights, saturated, skin or midtones (display code values)."""
    level, spread = display.mean(1), display.max(1) - display.min(1)
    r, g, b = display.T
    skin = (r > g) & (g > b) & (spread > 0.05) & (spread < 0.35)
    return np.select(
        [level < 0.15, level > 0.85, spread > 0.4, skin],
        ["shadows", "highlights", "saturated colours", "skin tones"],
        "midtones",
    )


def lut_fidelity(
    reference: Recipe | Lut, input_name: str, lut: Lut, methods=("tetrahedral",)
) -> list:
    """:class:`Fidelity` of ``lut`` against ``reference`` (a recipe rendering Rec.709, or
    the LUT it was converted from, applied tetrahedrally and taken as Rec.709 display code
    values) for each interpolation method, on footage-like colours of ``input_name`` drawn
    apart from those a bake is fitted on."""
    from lsquared.color import scene, transfer

    codes = footage_codes(input_name, seed=7)
    if isinstance(reference, Lut):
        exact = lut_apply(reference, codes)
    elif reference.output.space != "rec709":
        raise RecipeError("[output] space", "fidelity is measured for rec709 output only")
    else:
        processor = compile(reference, Metadata(), input_encoding(input_name), renderer="reference")
        exact = processor.apply_array(codes.astype(np.float32)[:, None, :])[:, 0]

    def lab(display: np.ndarray) -> np.ndarray:
        linear = transfer.bt1886_decode(np.clip(display, 0.0, 1.0))
        return scene.xyz_to_lab_d65(linear @ spaces.matrix("rec709", "xyz").T)

    regions = _tone_region(exact)
    found = []
    for method in methods:
        de = scene.delta_e_2000(lab(exact), lab(lut_apply(lut, codes, method)))
        p99 = float(np.percentile(de, 99))
        names, counts = np.unique(regions[de >= p99], return_counts=True)
        found.append(Fidelity(method, p99, float(de.max()), str(names[counts.argmax()])))
    return found


def bake_cache_dir() -> Path | None:
    """Where bakes are kept between runs: ``LSQ_BAKE_CACHE`` (``off`` for nowhere), else
    ``$XDG_CACHE_HOME/lsquared/bakes`` (``~/.cache`` by default)."""
    import os

    chosen = os.environ.get("LSQ_BAKE_CACHE")
    if chosen == "off":
        return None
    if chosen:
        return Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "lsquared" / "bakes"


@functools.cache
def _code_fingerprint() -> str:
    """A hash of lsquared's own source and look files, so that a bake made by other code
    (an upgrade, or a working copy being edited) is never reused."""
    package = Path(__file__).parent
    digest = hashlib.sha256()
    for path in sorted([*package.rglob("*.py"), *package.rglob("*.toml")]):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def bake_key(recipe: Recipe, input_name: str, size: int) -> str:
    """What a bake depends on: lsquared's code, the recipe with its look resolved, the
    input, the size, and the bytes of a LUT file the recipe names."""
    recipe = resolve_look(recipe)
    lut_bytes = Path(recipe.look.lut).read_bytes() if recipe.look.lut else b""
    lut_hash = hashlib.sha256(lut_bytes).hexdigest()
    made_of = (__version__, _code_fingerprint(), recipe, input_name, size, lut_hash)
    return hashlib.sha256(pickle.dumps(made_of)).hexdigest()


def kept_bake(recipe: Recipe, input_name: str, size: int) -> Lut | None:
    """The bake :func:`cached_bake_lut` kept on disk for this recipe, input and size, or
    None (no cache, no entry, an unreadable one, or a LUT file the recipe names that
    cannot be read: compiling says why)."""
    folder = bake_cache_dir()
    if folder is None:
        return None
    try:
        path = folder / f"{bake_key(recipe, input_name, size)}.npy"
        table = np.load(path, allow_pickle=False)
    except (OSError, ValueError):
        return None
    if table.shape != (size, size, size, 3):
        return None
    return Lut(table=table, title=f"cached bake {path.name}")


def cached_bake_lut(recipe: Recipe, input_name: str, size: int) -> Lut:
    """:func:`bake_lut` (uniform, fitted, sampled by the CPU renderer), kept on disk
    (:func:`bake_cache_dir`) so that the next clip with the same recipe, input and LUT file
    starts at once. An unreadable entry is baked again; a cache that cannot be written is
    skipped."""
    found = kept_bake(recipe, input_name, size)
    if found is not None:
        return found
    folder = bake_cache_dir()
    path = folder / f"{bake_key(recipe, input_name, size)}.npy" if folder else None
    lut = bake_lut(recipe, input_name, size, renderer="cpu")
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with atomic_output(path) as tmp, open(tmp, "wb") as f:
                np.save(f, lut.table)
        except (OSError, OutputError):
            pass
    return lut


#: lattice size of ``lsq grade --fast``
FAST_LUT_SIZE = 65


def baked_processor(
    processor: Processor, recipe: Recipe, input_name: str, size: int = FAST_LUT_SIZE
) -> Processor:
    """``processor`` with its point ops replaced by the recipe baked into a ``size``^3 LUT
    (fitted nodes, tetrahedral; geometry kept): one LUT lookup per pixel instead of the
    exact pipeline. Measured at 65^3 over the V-Log cube: within 5/1023 of the exact
    recipe for every built-in look (tests/integration/s0004); input outside [0, 1] is
    clamped to the LUT's domain, where the exact pipeline would extrapolate."""
    lut = cached_bake_lut(recipe, input_name, size)
    point = tuple(lut_ops(lut, f"the recipe baked into a {size}^3 LUT"))
    note = f"fast: the recipe baked into a {size}^3 LUT (tetrahedral), not run exactly"
    return replace(
        processor,
        program=Program(processor.program.geometry, point),
        notes=(*processor.notes, note),
    )


def processor_from_kept_bake(
    recipe: Recipe, source: Metadata, encoding: Encoding, input_name: str
) -> Processor | None:
    """What :func:`baked_processor` makes, built from a bake already on disk
    (:func:`kept_bake`) without compiling the recipe, when the recipe has no geometry (a
    lens correction needs the compiler); None otherwise. Its output encoding is the output
    space's, as the compiler's is."""
    if recipe.lens.source != "none":
        return None
    lut = kept_bake(recipe, input_name, FAST_LUT_SIZE)
    if lut is None:
        return None
    output, display = encodings.output_encoding(recipe.output.space)
    notes = (
        f"source: {source.source_path or '<array>'} ({encoding.primaries}, {encoding.transfer})",
        f"fast: the recipe baked into a {FAST_LUT_SIZE}^3 LUT (tetrahedral), not run exactly; "
        f"from the bake cache ({lut.title.removeprefix('cached bake ')})",
    )
    point = tuple(lut_ops(lut, f"the recipe baked into a {FAST_LUT_SIZE}^3 LUT"))
    return Processor(
        Program((), point), encoding, output, notes, get_renderer("cpu"), display_referred=display
    )


def lut_by_kernel(lut: Lut, pixels: np.ndarray, method: str, bits: int) -> np.ndarray:
    """``lut`` on ``pixels`` (stored integers, read as code / max, or float) by lsquared's
    CPU renderer, quantised to ``bits`` (0: float32): ``lsq lut apply``'s renderer for 3D
    tables OpenColorIO cannot hold (``looks.ocio.MAX_GRID``)."""
    ops = lut_ops(lut, lut.source)
    if method != "tetrahedral":
        ops = [replace(op, interpolation=method) if isinstance(op, Lut3DOp) else op for op in ops]
    return get_renderer("cpu").run(Program((), tuple(ops)), pixels, bits)


def _cfa_demosaic(recipe: Recipe):
    """lsquared's demosaic for CFA data: the recipe's own algorithm when it names one, the
    same bilinear class as LibRaw's for ``LINEAR``, else Malvar-He-Cutler for what LibRaw
    cannot read (imported here: it loads numba)."""
    from lsquared.kernels.demosaic import bilinear, malvar2004, menon2007

    own = {"MENON": menon2007, "LINEAR": bilinear}
    return own.get(recipe.demosaic.algorithm, malvar2004)


def load_source(path: str | Path, recipe: Recipe = Recipe()) -> Image:
    """Decode a RAW (through LibRaw) or a still image, in the encoding the recipe declares."""
    path = Path(path)
    if not path.exists():
        raise InputError(path, "file not found")
    declared = recipe.input.encoding
    if raw.is_raw_path(path) or declared == "raw":
        return raw.read_raw(path, recipe.demosaic.algorithm, _cfa_demosaic(recipe))
    if path.suffix.lower() not in STILL_SUFFIXES:
        raise InputError(path, f"unknown file type {path.suffix or '(none)'}; not a RAW or image")
    encoding = encodings.source_encoding("srgb" if declared == "auto" else declared)
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


#: (primaries, transfer) -> the colour space's name in OpenColorIO's built-in studio config,
#: written as the ``oiio:ColorSpace`` attribute that OpenImageIO-based tools read
OCIO_NAMES = {
    ("rec709", "linear"): "Linear Rec.709 (sRGB)",
    ("rec2020", "linear"): "Linear Rec.2020",
    ("ap1", "linear"): "ACEScg",
    ("rec709", "srgb"): "sRGB Encoded Rec.709 (sRGB)",
    ("p3", "srgb"): "sRGB Encoded P3-D65",
    ("rec709", "bt1886"): "Gamma 2.4 Encoded Rec.709",
}


def exr_attributes(encoding: Encoding) -> dict[str, str]:
    """EXR header attributes that name the pixels' encoding (OpenEXR's ``chromaticities``
    give only the primaries): ``lsquared:encoding`` says scene-linear or which display
    transfer, and ``oiio:ColorSpace`` the OpenColorIO name where there is one."""
    kind = "scene-linear" if encoding.is_linear else f"display-referred, {encoding.transfer}"
    attributes = {
        "lsquared:encoding": (f"{kind}; primaries {encoding.primaries}; white {encoding.white}")
    }
    name = OCIO_NAMES.get((encoding.primaries, encoding.transfer))
    if name:
        attributes["oiio:ColorSpace"] = name
    return attributes


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
    _create_folder(out.parent)
    return stills.write_image(
        out,
        pixels,
        recipe.output.format,
        icc=profile,
        chromaticities=chroma,
        exif=metadata.exif,
        quality=recipe.output.quality,
        inputs=[source_path] if source_path else [],
        exr_attributes=exr_attributes(encoding),
    )


def is_folder_target(out: Path, many: bool) -> bool:
    """``-o`` names a folder when it is one, when there are several inputs, or when it has
    no extension (a missing folder is created when the first output is written)."""
    return many or out.is_dir() or (not out.suffix and not out.exists())


def output_path_for(source: Path, out: Path, recipe: Recipe, many: bool) -> Path:
    """``out`` itself for one input, else ``out/<stem><suffix>`` (a folder, created if
    missing, as ``lsq batch`` does)."""
    if is_folder_target(out, many):
        if not out.is_dir() and (out.exists() or out.suffix.lower() in stills.SUFFIX_FORMATS):
            raise OutputError(out, "several inputs need an output folder, not a file")
        return out / f"{source.stem}{stills.SUFFIX[recipe.output.format]}"
    stills.format_for(out, recipe.output.format)
    return out


def check_creatable_target(out: Path, inputs: list[Path]) -> None:
    """Like :func:`~lsquared.io.atomic.check_writable_target`, but a missing output folder
    is fine when it can be created: its nearest existing ancestor is a writable folder."""
    folder = out.parent if str(out.parent) else Path(".")
    existing = next(p for p in (folder, *folder.parents) if p.exists())
    if existing == folder:
        check_writable_target(out, inputs)
        return
    if not existing.is_dir():
        raise OutputError(out, f"cannot create output folder {folder}: {existing} is a file")
    check_writable_target(existing / out.name, inputs)


def _create_folder(folder: Path) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(folder, f"cannot create output folder: {e.strerror or e}") from None


def _decode_raw(rawfile: raw.RawFile, recipe: Recipe) -> Image | raw.Mosaic:
    """The decoded image; for lsquared's own demosaic, a Bayer file's mosaic instead, which
    :func:`develop_image` demosaics band by band with the colour path."""
    if recipe.demosaic.algorithm in raw.OWN_DEMOSAIC:
        mosaic = rawfile.mosaic()
        if mosaic is not None:
            return mosaic
    return rawfile.decode(recipe.demosaic.algorithm, _cfa_demosaic(recipe))


def _decode_and_compile(
    source: Path, recipe: Recipe, renderer: str, cache: ProcessorCache | None = None
) -> tuple[Image | raw.Mosaic, Processor]:
    """Decode and compile (or take the compiled Processor from ``cache``); for RAWs the
    Processor is compiled from the metadata while LibRaw demosaics in another thread (it
    releases the GIL), unless auto white balance needs the pixels first."""
    build = cache.compile if cache is not None else compile
    if not (raw.is_raw_path(source) or recipe.input.encoding == "raw"):
        image = load_source(source, recipe)
        return image, build(recipe, image.metadata, image.encoding, renderer)
    with raw.open_raw(source) as rawfile:
        if recipe.white_balance.mode == "auto":
            image = rawfile.decode(recipe.demosaic.algorithm, _cfa_demosaic(recipe))
            processor = build(recipe, image.metadata, image.encoding, renderer)
        else:
            with ThreadPoolExecutor(1, thread_name_prefix="lsq-decode") as pool:
                decoding = pool.submit(_decode_raw, rawfile, recipe)
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
    same pass for integer formats), write atomically with ICC profile and EXIF. SciPy's
    BLAS bindings are loaded alone first (:mod:`lsquared.kernels.numba_start`; not numba's
    start in a thread: compiling holds the GIL, so the two would only take turns)."""
    from lsquared.kernels import numba_start

    source, out = Path(source), Path(out)
    check_creatable_target(out, [source])
    numba_start.load_blas_bindings()
    image, processor = _decode_and_compile(source, recipe, renderer, cache)
    return develop_image(image, processor, out, recipe)


def develop_image(
    image: Image | raw.Mosaic, processor: Processor, out: Path, recipe: Recipe
) -> DevelopResult:
    """Apply a compiled processor to a decoded image or a Bayer mosaic (quantising in the
    same pass for integer formats) and write it with its ICC profile and EXIF."""
    source = Path(image.metadata.source_path) if image.metadata.source_path else None
    pixels = _developed_pixels(image, processor, stills.BITS[recipe.output.format])
    write_developed(pixels, processor.output_encoding, image.metadata, out, recipe, source)
    return DevelopResult(source or out, out, processor, pixels.shape[1], pixels.shape[0])


def _developed_pixels(image: Image | raw.Mosaic, processor: Processor, bits: int) -> np.ndarray:
    """The processor's output; a mosaic is demosaiced with the colour path and lens maps in
    bands (``kernels.develop``) on the cpu renderer."""
    if isinstance(image, raw.Mosaic):
        if processor.renderer.name == "cpu":
            from lsquared.kernels import develop  # loads numba: only here

            if develop.banded_geometry(processor.program.geometry):
                return develop.develop_mosaic(image, processor.program, bits)
        from lsquared.kernels.demosaic import menon2007

        image = image.demosaiced(menon2007)
    return processor.apply_array(image.pixels, bits)
