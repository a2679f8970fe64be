"""The viewer's state and work: recipes by id, decodes cached per file, previews cached
per (file, recipe, frame, size), and exports. Every pixel goes through the engine's own
calls (``engine.load_source``, ``ProcessorCache.compile``, ``engine.clip_processor``,
``Processor.apply_array``), as ``lsq develop`` and ``lsq grade`` do."""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import threading
import warnings
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

import numpy as np

from lsquared import engine
from lsquared.errors import InputError, LsqError, LsqWarning, OutputError, RecipeError
from lsquared.image import Image
from lsquared.io import stills
from lsquared.io.atomic import atomic_output, check_writable_target
from lsquared.looks import catalog
from lsquared.looks.files import write_lut
from lsquared.metadata import Metadata
from lsquared.pipeline import recipe as rc
from lsquared.pipeline.compiler import Processor
from lsquared.pipeline.ops import Program
from lsquared.viewer import frames
from lsquared.viewer.files import Entry

#: previews this small (the filmstrip's) keep nothing cached (their file's decode, its
#: scaled source, the render): a filmstrip of many files would push out the file in view
THUMBNAIL = 256


class NotFound(LsqError, LookupError):
    """An id the viewer does not know (a file, recipe or job): HTTP 404."""


class Lru:
    """A small least-recently-used map."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._items: OrderedDict = OrderedDict()

    def get(self, key, make: Callable, keep: bool = True):
        """The value for ``key``, made by ``make()`` on a miss (and kept unless ``keep`` is
        false: a one-off that should not push out what is in use)."""
        if key not in self._items:
            if not keep:
                return make()
            self._items[key] = make()
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        self._items.move_to_end(key)
        return self._items[key]


def fit_size(width: int, height: int, max_w: int, max_h: int) -> tuple[int, int]:
    """The largest size within (max_w, max_h) with the image's aspect, never enlarged."""
    scale = min(max_w / width, max_h / height, 1.0)
    return max(1, round(width * scale)), max(1, round(height * scale))


def downscale(pixels: np.ndarray, width: int, height: int) -> np.ndarray:
    """Box-filtered (area-averaging) resize of float32 pixels, per channel (Pillow)."""
    if (pixels.shape[1], pixels.shape[0]) == (width, height):
        return pixels
    from PIL import Image as PILImage

    planes = [
        np.asarray(
            PILImage.fromarray(np.ascontiguousarray(pixels[..., c])).resize(
                (width, height), PILImage.Resampling.BOX
            )
        )
        for c in range(3)
    ]
    return np.stack(planes, axis=-1).astype(np.float32)


class Job:
    """A background export (a graded clip) in its own process, as ``lsq grade`` runs:
    numba's parallel kernels and the previews then never share a process's threads."""

    def __init__(self, job_id: str, output: Path, total: int, target, args: tuple) -> None:
        import multiprocessing

        context = multiprocessing.get_context("spawn")
        self.id, self.output, self.total = job_id, str(output), total
        self._done = context.Value("i", 0)
        self._errors = context.Queue()
        self._error = ""
        self._process = context.Process(
            target=target, args=(*args, self._done, self._errors), name=f"lsq-view-{job_id}",
            daemon=True,
        )  # fmt: skip
        self._process.start()

    @property
    def state(self) -> str:
        if self._process.is_alive():
            return "running"
        if not self._error and not self._errors.empty():
            self._error = self._errors.get()
        if self._process.exitcode == 0 and not self._error:
            return "done"
        self._error = self._error or f"the grade stopped (exit code {self._process.exitcode})"
        return "failed"

    def describe(self) -> dict:
        state = self.state
        return {"id": self.id, "output": self.output, "total": self.total,
                "done": self._done.value, "state": state, "error": self._error}  # fmt: skip


def grade_in_process(source: Path, out: Path, recipe: rc.Recipe, codec: str, done, errors):
    """The job's process: ``engine.grade_file``, counting frames into ``done``."""

    def on_frame(count: int, _graded, _seconds: float) -> None:
        done.value = count

    try:
        engine.grade_file(source, out, recipe, "auto", codec, on_frame=on_frame)
    except LsqError as e:
        errors.put(e.one_line())
        raise SystemExit(2) from None


def geometry_key(ops: tuple) -> bytes:
    """A digest of geometry ops, every field (arrays by shape and bytes): equal ops give
    the same corrected pixels from the same source."""
    digest = hashlib.sha256()
    for op in ops:
        digest.update(type(op).__name__.encode())
        for f in fields(op):
            value = getattr(op, f.name)
            if isinstance(value, np.ndarray):
                digest.update(repr((f.name, value.dtype.str, value.shape)).encode())
                digest.update(np.ascontiguousarray(value).tobytes())
            else:
                digest.update(repr((f.name, value)).encode())
    return digest.digest()


def split(processor: Processor, geometry: tuple, point: tuple) -> Processor:
    """The processor with part of its program: the renderers run the geometry ops and
    then the point ops, so the geometry's output can be kept while a control change
    re-runs only the point ops."""
    return replace(processor, program=Program(geometry, point))


def recipe_id(recipe: rc.Recipe) -> str:
    return hashlib.sha256(recipe.to_toml().encode()).hexdigest()[:16]


@dataclass
class Session:
    entries: list[Entry]
    export_dir: Path
    recipe: rc.Recipe = field(default_factory=rc.Recipe)
    _lock: threading.RLock = field(default_factory=threading.RLock)

    def __post_init__(self) -> None:
        self.export_dir = self.export_dir.resolve()
        if not self.export_dir.is_dir():
            raise OutputError(self.export_dir, "export folder does not exist")
        self._by_id = {e.id: e for e in self.entries}
        self.recipes: dict[str, rc.Recipe] = {}
        self.default_id = self.add_recipe(self.recipe)
        self.processors = engine.ProcessorCache()
        self._decoded = Lru(2)  # full-resolution decodes: 24 MP float32 is ~290 MB
        self._sources = Lru(8)  # decodes scaled to a preview size
        self._corrected = Lru(8)  # those through a program's geometry (lens corrections)
        self._clips: dict[str, frames.Clip] = {}
        self._frames = Lru(4)
        self._renders = Lru(24)
        self.jobs: dict[str, Job] = {}
        self.notes: dict[str, list[str]] = {}  # file id -> warnings its renders raised
        self._job_ids = itertools.count(1)

    # ids -------------------------------------------------------------------------------
    def entry(self, file_id: str, kinds: tuple[str, ...] = ("raw", "still", "clip")) -> Entry:
        entry = self._by_id.get(file_id)
        if entry is None or entry.kind not in kinds:
            raise NotFound(file_id, "no such file")
        return entry

    def add_recipe(self, recipe: rc.Recipe) -> str:
        rid = recipe_id(recipe)
        self.recipes[rid] = recipe
        return rid

    def get_recipe(self, rid: str) -> rc.Recipe:
        try:
            return self.recipes[rid]
        except KeyError:
            raise NotFound(rid, "no such recipe") from None

    def set_recipe_toml(self, text: str) -> str:
        """Validate recipe TOML (a LUT it names must be one of the viewer's files) and
        store it; returns its id."""
        recipe = rc.loads(text, "recipe")
        if recipe.look.lut:
            luts = {str(e.path) for e in self.entries if e.kind == "lut"}
            if str(Path(recipe.look.lut).resolve()) not in luts:
                raise NotFound(recipe.look.lut, "a LUT must be one of the files given to lsq view")
        engine.validate_recipe(recipe)
        return self.add_recipe(recipe)

    def change_recipe(self, base: str, changes: dict, look: str | None = None) -> str:
        """Store ``base`` with a look picked (a built-in name, ``lut:<file id>``, or "" for
        none) and then ``{section: {key: value}}`` changed; returns the new id."""
        recipe = self.get_recipe(base)
        if look is not None:
            if look.startswith("lut:"):
                lut = self.entry(look[4:], ("lut",)).path
                recipe = recipe.replace("look", name="", lut=str(lut))
            elif look:
                recipe = engine.with_look_name(recipe.replace("look", lut=""), look)
            else:
                recipe = recipe.replace("look", name="", lut="")
        sections = [f for f in rc.Recipe.__dataclass_fields__ if f != "schema"]
        for section, values in changes.items():
            if section not in sections or not isinstance(values, dict):
                raise RecipeError("recipe", f"unknown section [{section}]")
            recipe = recipe.replace(section, **values)
        engine.validate_recipe(recipe)
        return self.add_recipe(recipe)

    # listings --------------------------------------------------------------------------
    def files(self) -> list[dict]:
        out = []
        for e in self.entries:
            item = e.describe()
            if e.kind == "clip":
                item |= self.clip(e.id).describe()
            out.append(item)
        return out

    def looks(self) -> dict:
        return {
            "builtin": [
                {"name": n, "description": catalog.get(n).description} for n in catalog.names()
            ],
            "luts": [{"id": e.id, "name": e.path.name, "path": str(e.path)}
                     for e in self.entries if e.kind == "lut"],
        }  # fmt: skip

    @contextlib.contextmanager
    def noting(self, file_id: str):
        """Keep the LsqWarnings raised inside (an unknown lens) as the file's notes, for
        the page, instead of printing them on the server's terminal."""
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", LsqWarning)
            yield
        notes = self.notes.setdefault(file_id, [])
        for w in caught:
            if issubclass(w.category, LsqWarning) and str(w.message) not in notes:
                notes.append(str(w.message))

    # pixels ----------------------------------------------------------------------------
    def clip(self, file_id: str) -> frames.Clip:
        entry = self.entry(file_id, ("clip",))
        with self._lock:
            if file_id not in self._clips:
                self._clips[file_id] = frames.open_clip(entry.path)
            return self._clips[file_id]

    def decoded(self, entry: Entry, recipe: rc.Recipe, keep: bool = True) -> Image:
        """The file decoded at full resolution (cached per file, encoding and demosaic)."""
        key = (entry.id, recipe.input.encoding, recipe.demosaic.algorithm)
        return self._decoded.get(key, lambda: engine.load_source(entry.path, recipe), keep)

    def frame(self, entry: Entry, index: int) -> np.ndarray:
        clip = self.clip(entry.id)
        return self._frames.get(
            (entry.id, index), lambda: frames.read_frame(entry.path, clip, index)
        )

    def _source(self, entry: Entry, recipe: rc.Recipe, index: int, keep: bool = True):
        """(full-resolution pixels, Processor compiled at a given size: a function)."""
        if entry.kind == "clip":
            clip = self.clip(entry.id)
            processor, *_ = engine.clip_processor(entry.path, clip.info, recipe, "auto",
                                                    self.processors)  # fmt: skip
            return self.frame(entry, index), lambda size: processor
        image = self.decoded(entry, recipe, keep)

        def compiled(size: tuple[int, int]) -> Processor:
            metadata = image.metadata.with_(image_size=size)  # lens maps at that size
            return self.processors.compile(recipe, metadata, image.encoding)

        return image.pixels, compiled

    def render(self, file_id: str, rid: str, max_w: int, max_h: int, index: int = 0) -> np.ndarray:
        """The developed preview as 8-bit R'G'B', at most max_w x max_h (the recipe's
        output space, as ``lsq develop --format png8`` writes it at that size)."""
        entry = self.entry(file_id)
        recipe = self.get_recipe(rid)
        thumbnail = max(max_w, max_h) <= THUMBNAIL
        with self._lock, self.noting(file_id):
            pixels, compiled = self._source(entry, recipe, index, keep=not thumbnail)
            size = fit_size(pixels.shape[1], pixels.shape[0], max_w, max_h)

            def make() -> np.ndarray:
                source = (entry.id, index, size, recipe.input.encoding, recipe.demosaic.algorithm)
                small = self._sources.get(
                    source, lambda: downscale(pixels, *size), keep=not thumbnail
                )
                processor = compiled(size)
                program = processor.program
                if not program.geometry:
                    return processor.apply_array(small, 8)
                corrected = self._corrected.get(
                    (source, geometry_key(program.geometry)),
                    lambda: split(processor, program.geometry, ()).apply_array(small),
                    keep=not thumbnail,
                )
                return split(processor, (), program.point).apply_array(corrected, 8)

            return self._renders.get((file_id, rid, index, size), make, keep=not thumbnail)

    def crop(self, file_id: str, rid: str, x: int, y: int, w: int, h: int, index: int = 0,
             centre: tuple[float, float] | None = None):  # fmt: skip
        """A 1:1 crop of the full-resolution rendering (geometry needs the whole frame), at
        (x, y) or centred at fractions ``centre`` of the frame."""
        entry = self.entry(file_id)
        recipe = self.get_recipe(rid)
        with self._lock, self.noting(file_id):
            pixels, compiled = self._source(entry, recipe, index)
            full_h, full_w = pixels.shape[:2]
            if centre is not None:
                x, y = round(centre[0] * full_w - w / 2), round(centre[1] * full_h - h / 2)
            w, h = min(w, full_w, 2048), min(h, full_h, 2048)  # moved inside, not cut
            x, y = min(max(0, x), full_w - w), min(max(0, y), full_h - h)
            processor = compiled((full_w, full_h))
            if processor.program.geometry:
                whole = self._renders.get(
                    (file_id, rid, index, (full_w, full_h)),
                    lambda: processor.apply_array(pixels, 8),
                )
                return whole[y : y + h, x : x + w]
            return processor.apply_array(pixels[y : y + h, x : x + w], 8)

    # exports ---------------------------------------------------------------------------
    def _export_path(self, name: str) -> Path:
        """A new file in the export folder (never an existing file, never an input)."""
        name = Path(name).name
        stem, suffix = Path(name).stem or "export", Path(name).suffix
        for n in itertools.count():
            path = self.export_dir / (f"{stem}{suffix}" if n == 0 else f"{stem}-{n}{suffix}")
            if not path.exists():
                break
        if path.parent != self.export_dir:
            raise OutputError(path, "exports go only into the export folder")
        check_writable_target(path, [e.path for e in self.entries])
        return path

    def export_recipe(self, rid: str, stem: str = "recipe") -> Path:
        path = self._export_path(f"{stem}.toml")
        with atomic_output(path) as tmp:
            tmp.write_text(self.get_recipe(rid).to_toml(), encoding="utf-8")
        return path

    def export_lut(self, rid: str, fmt: str, input_name: str, stem: str = "look") -> dict:
        """A .cube (33^3, fitted nodes) or .vlt (17^3) bake of the recipe for
        ``input_name``; the .vlt's fidelity: largest difference from the exact recipe at
        the .cube's lattice points (the vlt interpolated tetrahedrally), in 10-bit codes."""
        if input_name not in ("vlog", "llog", "rec709"):
            raise InputError(input_name, "choose vlog, llog or rec709")
        recipe = self.get_recipe(rid).replace("output", space="rec709")
        vlt = fmt == "vlt"
        path = self._export_path(f"{stem}.{'vlt' if vlt else 'cube'}")
        lut = engine.bake_lut(recipe, input_name, 17 if vlt else 33,
                              "vlt12" if vlt else "uniform")  # fmt: skip
        _, _, notes = write_lut(lut, path)
        fidelity = lut_fidelity(lut, recipe, input_name)
        return {"path": str(path), "notes": notes, "fidelity_1023": fidelity}

    def export_still(self, file_id: str, rid: str, fmt: str = "tif16") -> Path:
        entry = self.entry(file_id, ("raw", "still"))
        recipe = self.get_recipe(rid).replace("output", format=fmt)
        path = self._export_path(entry.path.stem + stills.SUFFIX[recipe.output.format])
        with self._lock, self.noting(file_id):
            image = self.decoded(entry, recipe)
            processor = self.processors.compile(recipe, image.metadata, image.encoding)
            engine.develop_image(image, processor, path, recipe)
        return path

    def export_clip(self, file_id: str, rid: str, codec: str = "h264") -> Job:
        """Grade the clip in a background process (``engine.grade_file``); poll the job."""
        from lsquared.batch.plan import VIDEO_CONTAINERS

        entry = self.entry(file_id, ("clip",))
        if codec not in VIDEO_CONTAINERS:
            raise InputError(codec, f"choose one of {', '.join(VIDEO_CONTAINERS)}")
        recipe = self.get_recipe(rid)
        path = self._export_path(entry.path.stem + "-graded" + VIDEO_CONTAINERS[codec])
        job = Job(f"j{next(self._job_ids)}", path, self.clip(file_id).frames, grade_in_process,
                  (entry.path, path, recipe, codec))  # fmt: skip
        self.jobs[job.id] = job
        return job

    def job(self, job_id: str) -> Job:
        try:
            return self.jobs[job_id]
        except KeyError:
            raise NotFound(job_id, "no such job") from None


def lut_fidelity(lut, recipe: rc.Recipe, input_name: str, points: int = 33) -> float:
    """Largest |LUT - exact recipe| over a ``points``^3 lattice of input codes, x 1023."""
    from lsquared.looks.lut import apply as apply_lut

    g = np.linspace(0.0, 1.0, points)
    grid = np.stack(np.meshgrid(g, g, g, indexing="ij"), -1).reshape(-1, 3)
    processor = engine.compile(recipe, Metadata(source_path="<fidelity>"),
                               engine.input_encoding(input_name))  # fmt: skip
    exact = processor.apply_array(grid.astype(np.float32).reshape(-1, 1, 3))[:, 0]
    return float(np.abs(apply_lut(lut, grid) - exact).max() * 1023)
