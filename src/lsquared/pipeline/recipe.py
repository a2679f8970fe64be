"""The Recipe: a declarative, versioned TOML description of what to do to an image.

Every section is a frozen dataclass whose fields carry units in their names. Loading is
strict: an unknown section or key, a value of the wrong type or outside its choices is a
:class:`RecipeError` naming the key and the valid choices.

Example::

    schema = 1
    [white_balance]
    mode = "kelvin"
    kelvin = 3200
    [exposure]
    ev = 0.5
    [output]
    space = "srgb"
"""

from __future__ import annotations

import dataclasses
import tomllib
import types
import typing
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from lsquared.color import encodings
from lsquared.errors import RecipeError
from lsquared.io.names import CODECS, DEMOSAIC, OWN_DEMOSAIC

SCHEMA_VERSION = 1

WB_MODES = ("as_shot", "auto", "daylight", "kelvin", "multipliers")
HIGHLIGHT_MODES = ("clip", "reconstruct")
#: the encoding names each key accepts, from the one registry (:mod:`lsquared.color.encodings`)
WORKING_SPACES = encodings.names("working")
OUTPUT_SPACES = encodings.names("output")
DISPLAY_SPACES = encodings.names("display")
OUTPUT_FORMATS = ("tif8", "tif16", "tif32", "png8", "png16", "jpg", "exr", "exr-half")
INPUT_ENCODINGS = encodings.names("input")
LUT_INPUTS = encodings.names("lut_input")
LENS_SOURCES = ("auto", "embedded", "lensfun", "profile", "none")


@dataclass(frozen=True)
class InputSpec:
    """How the source's pixels are encoded; ``auto`` reads it from the file."""

    encoding: str = "auto"


@dataclass(frozen=True)
class DemosaicSpec:
    """lsquared's own MENON (Menon et al. 2007, Bayer files; others go to LibRaw's AHD) or
    one of LibRaw's algorithms."""

    algorithm: str = "MENON"


@dataclass(frozen=True)
class WhiteBalanceSpec:
    """``as_shot`` (the file's neutral), ``auto`` (grey world), ``daylight`` (D55),
    ``kelvin`` (+ ``tint``, Adobe convention) or ``multipliers`` (camera R, G, B gains)."""

    mode: str = "as_shot"
    kelvin: float = 5500.0
    tint: float = 0.0
    multipliers: tuple[float, float, float] = (1.0, 1.0, 1.0)


@dataclass(frozen=True)
class CameraSpec:
    """The camera profile's own look: ``look = true`` applies a DNG's ProfileLookTableData
    (off by default: it is the camera maker's rendering taste, not colorimetry)."""

    look: bool = False


@dataclass(frozen=True)
class ExposureSpec:
    ev: float = 0.0


@dataclass(frozen=True)
class HighlightsSpec:
    mode: str = "clip"


@dataclass(frozen=True)
class LensSpec:
    source: str = "auto"
    profile: str = ""
    distortion: bool = True
    tca: bool = True
    vignetting: bool = True
    scale: float = 0.0  # 0 = automatic, to hide empty borders
    filter: str = "bicubic"


@dataclass(frozen=True)
class WorkingSpec:
    space: str = "acescg"


@dataclass(frozen=True)
class LookSpec:
    """The look: a built-in look's name (its ``[grade]`` and ``[display]`` sections are
    merged in when the recipe is resolved) and/or a LUT file. ``lut_input`` is the encoding
    the LUT expects; ``lut_output`` is the display space it renders to (it replaces the
    display rendering)."""

    name: str = ""
    lut: str = ""
    lut_input: str = "vlog"
    lut_output: str = "rec709"


@dataclass(frozen=True)
class GradeSpec:
    """ASC CDL v1.2 applied in ACEScct (S-2016-001) on AP1, the ACES grading convention:
    slope, offset, power per channel (R, G, B), then saturation."""

    slope: tuple[float, float, float] = (1.0, 1.0, 1.0)
    offset: tuple[float, float, float] = (0.0, 0.0, 0.0)
    power: tuple[float, float, float] = (1.0, 1.0, 1.0)
    saturation: float = 1.0


@dataclass(frozen=True)
class DisplaySpec:
    """Display rendering (only for display-referred outputs): tone curve contrast."""

    contrast: float = 1.15


@dataclass(frozen=True)
class OutputSpec:
    space: str = "srgb"
    format: str = "tif16"
    quality: int = 95


@dataclass(frozen=True)
class VideoSpec:
    """How clips are encoded (``lsq batch``; its ``--videos``, ``--crf``, ``--preset`` and
    ``--fast`` override them): ``crf`` absent means the encoder's default; ``fast`` (the
    default) runs the recipe baked into a fitted 65^3 LUT, within CIEDE2000 0.5 (99th
    percentile) of the exact recipe on natural V-Log footage; ``false`` runs it exactly per
    pixel (``--exact``)."""

    codec: str = "h265"
    crf: int | None = None
    preset: str = "medium"
    fast: bool = True


#: field choices, checked on load: (section, key) -> valid values
CHOICES: dict[tuple[str, str], tuple[str, ...]] = {
    ("input", "encoding"): INPUT_ENCODINGS,
    ("demosaic", "algorithm"): DEMOSAIC + OWN_DEMOSAIC,
    ("white_balance", "mode"): WB_MODES,
    ("highlights", "mode"): HIGHLIGHT_MODES,
    ("lens", "source"): LENS_SOURCES,
    ("lens", "filter"): ("bilinear", "bicubic", "lanczos"),
    ("working", "space"): WORKING_SPACES,
    ("output", "space"): OUTPUT_SPACES,
    ("output", "format"): OUTPUT_FORMATS,
    ("look", "lut_input"): LUT_INPUTS,
    ("look", "lut_output"): DISPLAY_SPACES,
    ("video", "codec"): tuple(CODECS),
}
#: numeric bounds (inclusive): (section, key) -> (lo, hi)
BOUNDS: dict[tuple[str, str], tuple[float, float]] = {
    ("white_balance", "kelvin"): (1500.0, 25000.0),
    ("white_balance", "tint"): (-150.0, 150.0),
    ("exposure", "ev"): (-16.0, 16.0),
    ("display", "contrast"): (0.5, 3.0),
    ("output", "quality"): (1, 100),
    ("lens", "scale"): (0.0, 4.0),
    ("grade", "saturation"): (0.0, 4.0),
    ("video", "crf"): (0, 63),
}


@dataclass(frozen=True)
class Recipe:
    """The whole recipe; every section has defaults, so ``Recipe()`` is the default."""

    input: InputSpec = field(default_factory=InputSpec)
    demosaic: DemosaicSpec = field(default_factory=DemosaicSpec)
    white_balance: WhiteBalanceSpec = field(default_factory=WhiteBalanceSpec)
    highlights: HighlightsSpec = field(default_factory=HighlightsSpec)
    camera: CameraSpec = field(default_factory=CameraSpec)
    lens: LensSpec = field(default_factory=LensSpec)
    exposure: ExposureSpec = field(default_factory=ExposureSpec)
    working: WorkingSpec = field(default_factory=WorkingSpec)
    look: LookSpec = field(default_factory=LookSpec)
    grade: GradeSpec = field(default_factory=GradeSpec)
    display: DisplaySpec = field(default_factory=DisplaySpec)
    output: OutputSpec = field(default_factory=OutputSpec)
    video: VideoSpec = field(default_factory=VideoSpec)
    schema: int = SCHEMA_VERSION

    def replace(self, section: str, **values: Any) -> Recipe:
        """A copy with some keys of one section changed, validated like a loaded file."""
        return self.from_option("", section, **values)

    def from_option(self, option: str, section: str, **values: Any) -> Recipe:
        """:meth:`replace` for values given as a command-line ``option`` (``--ev``): an
        error names the option instead of the recipe key."""
        table = dataclasses.asdict(getattr(self, section)) | values
        try:
            spec = _build_section(section, type(getattr(self, section)), table, "")
        except RecipeError as e:
            if not option:
                raise
            raise RecipeError(option, e.problem.split(": ", 1)[-1]) from None
        return dataclasses.replace(self, **{section: spec})

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def to_toml(self) -> str:
        """The recipe as TOML that :func:`loads` reads back to an equal Recipe."""
        lines = [f"schema = {self.schema}"]
        for f in fields(self):
            if f.name == "schema":
                continue
            lines.append(f"\n[{f.name}]")
            for key, value in dataclasses.asdict(getattr(self, f.name)).items():
                if value is None:  # TOML has no null: an absent key is None
                    continue
                lines.append(f"{key} = {_toml_value(value)}")
        return "\n".join(lines) + "\n"


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return repr(value)


def _section_classes() -> dict[str, type]:
    hints = typing.get_type_hints(Recipe)
    return {f.name: hints[f.name] for f in fields(Recipe) if f.name != "schema"}


def _coerce(value: Any, hint: Any, where: str) -> Any:
    """Check ``value`` against the field type ``hint``; int is accepted for float."""
    origin = typing.get_origin(hint)
    if hint is bool:
        if isinstance(value, bool):
            return value
    elif hint is float:
        if isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
    elif hint is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    elif hint is str:
        if isinstance(value, str):
            return value
    elif origin is tuple:
        args = typing.get_args(hint)
        if isinstance(value, list | tuple) and len(value) == len(args):
            return tuple(_coerce(v, a, where) for v, a in zip(value, args, strict=True))
        raise RecipeError(where, f"must be a list of {len(args)} numbers, got {value!r}")
    elif isinstance(hint, types.UnionType):
        present = [a for a in typing.get_args(hint) if a is not types.NoneType]
        if len(present) != 1:
            raise TypeError(f"unsupported field type {hint}")
        return value if value is None else _coerce(value, present[0], where)
    type_name = TYPE_WORDS.get(hint, getattr(hint, "__name__", str(hint)))
    raise RecipeError(where, f"must be {type_name}, got {value!r}")


#: field type -> how an error message names it
TYPE_WORDS = {float: "a number", int: "a whole number", bool: "true or false", str: "text"}


def _choice(value: Any, choices: tuple[str, ...]) -> Any:
    """``value`` as spelled in ``choices``, matched without regard to case (``P3``, ``ahd``);
    unchanged when nothing matches."""
    if not isinstance(value, str):
        return value
    return next((c for c in choices if c.lower() == value.lower()), value)


def _build_section(section: str, cls: type, table: Any, source: str) -> Any:
    if not isinstance(table, dict):
        raise RecipeError(source, f"[{section}] must be a table, got {table!r}")
    hints = typing.get_type_hints(cls)
    valid = [f.name for f in fields(cls)]
    values = {}
    for key, raw in table.items():
        where = f"[{section}] {key}"
        if key not in hints:
            raise RecipeError(source, f"{where}: unknown key; valid keys: {', '.join(valid)}")
        try:
            value = _coerce(raw, hints[key], where)
        except RecipeError as e:
            raise RecipeError(source, e.one_line()) from None
        choices = CHOICES.get((section, key))
        if choices is not None:
            value = _choice(value, choices)
        if choices is not None and value not in choices:
            raise RecipeError(
                source, f"{where}: {value!r} is not valid; choose one of {', '.join(choices)}"
            )
        bounds = BOUNDS.get((section, key))
        if bounds is not None and value is not None and not bounds[0] <= value <= bounds[1]:
            raise RecipeError(
                source, f"{where}: {value!r} is out of range [{bounds[0]}, {bounds[1]}]"
            )
        values[key] = value
    return cls(**values)


LOOK_SECTIONS = ("grade", "display")


def with_look(recipe: Recipe, name: str, look: dict[str, Any], source: str) -> Recipe:
    """The recipe with a look file's sections (``[grade]``, ``[display]``) in place of its
    own, and ``[look] name`` set; a look file may hold nothing else."""
    classes = _section_classes()
    changes: dict[str, Any] = {"look": dataclasses.replace(recipe.look, name=name)}
    for key, table in look.items():
        if key == "schema":
            continue
        if key not in LOOK_SECTIONS:
            raise RecipeError(
                source, f"[{key}] is not allowed in a look; a look sets {', '.join(LOOK_SECTIONS)}"
            )
        changes[key] = _build_section(key, classes[key], table, source)
    return dataclasses.replace(recipe, **changes)


def from_dict(data: dict[str, Any], source: str = "<recipe>") -> Recipe:
    """Build and validate a Recipe from a parsed TOML table."""
    data = dict(data)
    schema = data.pop("schema", SCHEMA_VERSION)
    if schema != SCHEMA_VERSION:
        raise RecipeError(
            source,
            f"schema: version {schema!r} is not supported; this lsquared reads {SCHEMA_VERSION}",
        )
    classes = _section_classes()
    sections = {}
    for name, table in data.items():
        if name not in classes:
            raise RecipeError(
                source, f"unknown section [{name}]; valid sections: {', '.join(classes)}"
            )
        sections[name] = _build_section(name, classes[name], table, source)
    return Recipe(**sections)


def loads(text: str, source: str = "<recipe>") -> Recipe:
    """Parse recipe TOML text."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise RecipeError(source, f"not valid TOML: {e}") from None
    return from_dict(data, source)


def load(path: str | Path) -> Recipe:
    """Read a recipe file."""
    return load_stated(path)[0]


def load_stated(path: str | Path) -> tuple[Recipe, frozenset[tuple[str, str]]]:
    """Read a recipe file; also the (section, key) pairs it states, so that a caller can
    tell a value the file chose from a default."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RecipeError(path, "recipe file not found") from None
    except (OSError, UnicodeDecodeError) as e:
        raise RecipeError(path, f"cannot read recipe: {e}") from None
    recipe = loads(text, str(path))
    data = tomllib.loads(text)
    stated = {
        (name, key) for name, table in data.items() if isinstance(table, dict) for key in table
    }
    return recipe, frozenset(stated)
