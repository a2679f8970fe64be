"""``lsq``: develop RAWs, run the demo; more commands join as the engine grows."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import numpy as np
import typer

from lsquared import __version__
from lsquared.cli.common import (
    DEMO_KERNELS,
    alternatives,
    announce_first_compile,
    choices,
    errors_as_one_line,
    progress,
    run_app,
    state,
)
from lsquared.pipeline import recipe as rc

app = typer.Typer(
    name="lsq",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


#: the groups and commands kept in modules of their own: name -> (module, attribute)
GROUPS = {
    "look": ("lsquared.cli.looks", "look_app"),
    "lut": ("lsquared.cli.looks", "lut_app"),
    "lens": ("lsquared.cli.lens", "lens_app"),
    "batch": ("lsquared.cli.batch", "batch"),
    "view": ("lsquared.cli.view", "view"),
}


def _register_groups(argv: list[str]) -> None:
    """Add the groups and commands of the other cli modules: only the one ``argv`` runs
    when it runs one of them (``lsq [--debug] lut ...``: the others' imports, lens's optics
    among them, are not needed), else all of them (help, suggestions for a mistyped name)."""
    named = next((a for a in argv if not a.startswith("-")), None)
    alone = named in GROUPS and set(argv[: argv.index(named)]) <= {"--debug"}
    for name in [named] if alone else GROUPS:
        module, attribute = GROUPS[name]
        found = getattr(importlib.import_module(module), attribute)
        if isinstance(found, typer.Typer):
            app.add_typer(found, name=name)
        else:
            app.command()(found)


FORMATS = ("tif8", "tif16", "tif32", "png8", "png16", "png", "jpg", "exr", "exr-half")


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"lsq (lsquared) {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for errors."),
    version: bool = typer.Option(
        False, "--version", callback=_print_version, is_eager=True, help="Print the version."
    ),
) -> None:
    """lsquared: RAW development, colour, looks and lens corrections for L-Mount cameras.

    Exit codes: 0 done; 1 some files of a batch failed; 2 a usage or input error (also a
    lens that lens find or lens show does not know), printed as one line (lsq --debug ...
    shows a traceback); 3 an internal error (a bug).

    Example: lsq develop P1000123.RW2 -o P1000123.jpg --space srgb
    """
    state["debug"] = debug


def _parse_wb(value: str) -> dict:
    modes = {"as-shot": "as_shot", "as_shot": "as_shot", "auto": "auto", "daylight": "daylight"}
    if value.lower() in modes:
        return {"mode": modes[value.lower()]}
    try:
        return {"mode": "kelvin", "kelvin": float(value.rstrip("Kk"))}
    except ValueError:
        raise rc.RecipeError(
            "--wb", f"{value!r}: use as-shot, auto, daylight or a colour temperature such as 5600"
        ) from None


def _lens_options(recipe, lens: str | None, lens_profile: Path | None):
    """``--lens`` and ``--lens-profile FILE`` (which implies ``--lens profile``)."""
    if lens_profile is not None:
        if lens not in (None, "profile"):
            raise rc.RecipeError("--lens-profile", f"needs --lens profile, not --lens {lens}")
        recipe = recipe.from_option("--lens-profile", "lens", profile=str(lens_profile))
        lens = "profile"
    if lens:
        recipe = recipe.from_option("--lens", "lens", source=lens)
    if recipe.lens.source == "profile" and not recipe.lens.profile:
        raise rc.RecipeError(
            "--lens", "profile needs --lens-profile FILE (a lensfun XML file) or [lens] profile"
        )
    return recipe


def build_recipe(
    recipe_file: Path | None,
    fmt: str | None,
    space: str | None,
    wb: str | None,
    ev: float | None,
    demosaic: str | None,
    out: Path | None = None,
    quality: int | None = None,
    look: str | None = None,
    lut: Path | None = None,
    lut_input: str | None = None,
    lens: str | None = None,
    lens_profile: Path | None = None,
):
    """The recipe file (or the default) with the command-line overrides on top; an error
    names the option. ``out`` is the output file, whose extension sets the format unless
    ``--format`` says otherwise (they must agree). An OpenEXR output is scene-linear
    (linear Rec.709/sRGB primaries) unless ``--space`` or the recipe file asks for a
    display encoding, or a display LUT renders the look."""
    from lsquared.io import stills

    recipe, stated = rc.load_stated(recipe_file) if recipe_file else (rc.Recipe(), frozenset())
    if fmt is not None:
        fmt = stills.format_name(fmt)
    if out is not None:
        fmt = stills.format_for(out, fmt, recipe.output.format)
    if fmt:
        recipe = recipe.from_option("--format", "output", format=fmt)
    if wb:
        recipe = recipe.from_option("--wb", "white_balance", **_parse_wb(wb))
    if ev is not None:
        recipe = recipe.from_option("--ev", "exposure", ev=ev)
    if demosaic:
        name = demosaic.upper()  # LibRaw's algorithms also as libraw-ahd, libraw-dcb...
        if name.removeprefix("LIBRAW-") in rc.DEMOSAIC:
            name = name.removeprefix("LIBRAW-")
        recipe = recipe.from_option("--demosaic", "demosaic", algorithm=name)
    if quality is not None:
        recipe = recipe.from_option("--quality", "output", quality=quality)
    if look:
        recipe = recipe.from_option("--look", "look", name=look.lower())
    if lut:
        recipe = recipe.from_option("--lut", "look", lut=str(lut))
    if lut_input:
        recipe = recipe.from_option("--lut-input", "look", lut_input=lut_input)
    recipe = _lens_options(recipe, lens, lens_profile)
    if space:
        recipe = recipe.from_option("--space", "output", space=space)
    elif (
        recipe.output.format in stills.EXR_FORMATS
        and ("output", "space") not in stated
        and not recipe.look.lut
    ):
        recipe = recipe.replace("output", space="linear-srgb")  # EXR means scene-linear
    return recipe


#: a clip option -> the recipe's ``[video]`` key it sets (``grade`` and ``batch``)
CLIP_OPTIONS = {"codec": "--codec", "crf": "--crf", "preset": "--preset", "fast": "--fast"}


def clip_options(recipe, **given):
    """The recipe with the clip options that were given (not None) in its ``[video]``
    section; an error names the option."""
    for key, value in given.items():
        if value is not None:
            recipe = recipe.from_option(CLIP_OPTIONS[key], "video", **{key: value})
    return recipe


@app.command()
def develop(
    inputs: list[Path] = typer.Argument(..., help="RAW files (RW2, DNG, any LibRaw reads)."),
    out: Path = typer.Option(
        ...,
        "-o",
        "--out",
        help="Output file (.tif .tiff .png .jpg .jpeg .exr) or folder (several inputs, or no "
        "extension; created if missing).",
    ),
    recipe_file: Path | None = typer.Option(None, "--recipe", help="Recipe TOML file."),
    fmt: str | None = typer.Option(
        None,
        "--format",
        help=f"{choices(FORMATS)}; default: the output's extension, which it must suit.",
    ),
    space: str | None = typer.Option(
        None,
        "--space",
        help=f"{choices(rc.OUTPUT_SPACES)}; default srgb, and linear-srgb for .exr.",
    ),
    wb: str | None = typer.Option(None, "--wb", help="as-shot, auto, daylight or KELVIN."),
    ev: float | None = typer.Option(None, "--ev", help="Exposure change in EV."),
    demosaic: str | None = typer.Option(
        None,
        "--demosaic",
        help="menon (lsquared's own, Menon et al. 2007; the default) or LibRaw's "
        f"{choices(rc.DEMOSAIC)} (also as libraw-ahd, ...).",
    ),
    quality: int | None = typer.Option(None, "--quality", help="JPEG quality 1-100 (95)."),
    look: str | None = typer.Option(None, "--look", help="A built-in look (lsq look list)."),
    lut: Path | None = typer.Option(None, "--lut", help="A .cube/.vlt look LUT (display out)."),
    lut_input: str | None = typer.Option(
        None, "--lut-input", help=f"What the LUT expects: {choices(rc.LUT_INPUTS)} (vlog)."
    ),
    lens: str | None = typer.Option(
        None, "--lens", help=f"{choices(rc.LENS_SOURCES)} (default auto)."
    ),
    lens_profile: Path | None = typer.Option(
        None, "--lens-profile", help="A lensfun XML lens profile (implies --lens profile)."
    ),
    explain: bool = typer.Option(False, "--explain", help="Print what the processor does."),
) -> None:
    """Develop RAW photos into TIFF, PNG, JPEG or OpenEXR (scene-linear unless --space).

    Example: lsq develop P1000123.RW2 -o out.tif --space p3 --wb 5600 --ev 0.3 --explain
    """
    if any(source.is_file() for source in inputs):
        announce_first_compile()  # before the engine's imports, which take a while
    from lsquared import engine

    with errors_as_one_line():
        many = len(inputs) > 1
        target = None if engine.is_folder_target(out, many) else out
        recipe = build_recipe(
            recipe_file, fmt, space, wb, ev, demosaic, target, quality, look, lut, lut_input,
            lens, lens_profile,
        )  # fmt: skip
        with progress(len(inputs), "developing") as advance:
            for source in inputs:
                target = engine.output_path_for(source, out, recipe, many)
                result = engine.develop_file(source, target, recipe)
                if explain:
                    typer.echo(f"{source} -> {target}\n{result.processor.describe()}")
                advance()
        if not explain:
            typer.echo(f"developed {len(inputs)} file(s) -> {out}", err=True)


def graded_frame_count(frames: int, rate: float, start: float, duration: float | None) -> int:
    """About how many of a clip's ``frames`` at ``rate`` fps a ``--start``/``--duration``
    window keeps (for the progress bar and where ``--stills`` fall)."""
    if rate <= 0:
        return frames
    first = min(frames, round(start * rate))
    last = frames if duration is None else min(frames, first + round(duration * rate))
    return last - first


def still_path(out: Path, index: int, seconds: float) -> Path:
    """``<out stem>_t<seconds>_f<frame>.png``: the still's time (seconds, 3 decimals) and frame
    number (from 0) in the graded clip, zero-padded so names sort in clip order."""
    return out.with_name(f"{out.stem}_t{seconds:09.3f}_f{index:06d}.png")


@app.command()
def grade(
    source: Path = typer.Argument(..., help="A clip: H.264, H.265 or ProRes, 8 or 10 bit."),
    out: Path = typer.Option(
        ..., "-o", "--out", help="Output clip: .mov, .mp4 or .mkv (prores: .mov/.mkv; ffv1: .mkv)."
    ),
    input_name: str | None = typer.Option(
        None,
        "--input",
        help="auto (the recipe's input encoding, else the camera's metadata, else rec709), "
        f"{alternatives(n for n in rc.INPUT_ENCODINGS if n not in ('auto', 'raw'))}.",
    ),
    look: str | None = typer.Option(None, "--look", help="A built-in look (lsq look list)."),
    lut: Path | None = typer.Option(None, "--lut", help="A .cube/.vlt LUT for the clip."),
    recipe_file: Path | None = typer.Option(None, "--recipe", help="Recipe TOML file."),
    codec: str | None = typer.Option(
        None,
        "--codec",
        help="h264, h265 (default), prores, ffv1 or lossless (x264 4:4:4 qp 0); else the "
        "recipe's video codec.",
    ),
    crf: int | None = typer.Option(None, "--crf", help="Quality for h264/h265 (lower is better)."),
    preset: str | None = typer.Option(None, "--preset", help="x264/x265 preset (medium)."),
    lens: str | None = typer.Option(None, "--lens", help="none (default for clips) or a source."),
    lens_profile: Path | None = typer.Option(
        None, "--lens-profile", help="A lensfun XML profile (implies --lens profile)."
    ),
    start: float = typer.Option(0.0, "--start", help="Start time in seconds."),
    duration: float | None = typer.Option(None, "--duration", help="Seconds to grade."),
    stills: int = typer.Option(
        0, "--stills", help="Also write N evenly spaced PNG stills, OUT_t<seconds>_f<frame>.png."
    ),
    fast: bool | None = typer.Option(
        None,
        "--fast/--exact",
        help="Through the recipe baked into a fitted 65^3 LUT (within CIEDE2000 0.5 at the "
        "99th percentile of exact on V-Log footage; bakes kept in LSQ_BAKE_CACHE), or exact "
        "per pixel. Default: the recipe's video setting fast (true).",
    ),
    explain: bool = typer.Option(False, "--explain", help="Print the input chosen and the ops."),
) -> None:
    """Grade a V-Log, L-Log or Rec.709 clip with a look, a LUT or a recipe.

    Audio is copied when the container takes it, else converted with a warning (PCM into
    .mp4: ALAC, lossless, up to 24 bit; AAC for 32-bit and float).

    Example: lsq grade P1000123.MOV -o graded.mov --input vlog --look teal-orange --codec prores

    Example (exact per pixel, no baked LUT): lsq grade P1000123.MOV -o exact.mov --exact
    """
    from lsquared import engine
    from lsquared.io import stills as stills_io
    from lsquared.io import video

    with errors_as_one_line():
        recipe = build_recipe(
            recipe_file, None, None, None, None, None, None, None, look, lut, None, lens,
            lens_profile,
        )  # fmt: skip
        if recipe_file is None:
            recipe = recipe.replace("output", space="rec709")
        recipe = clip_options(recipe, codec=codec, crf=crf, preset=preset, fast=fast)
        if input_name is not None:
            input_name = recipe.from_option("--input", "input", encoding=input_name).input.encoding
        codec, crf, preset, fast = (recipe.video.codec, recipe.video.crf, recipe.video.preset,
                                    recipe.video.fast)  # fmt: skip
        video.check_output(out, codec)
        info = video.probe(source)
        total = graded_frame_count(info.frames or 0, float(info.rate or 0), start, duration)
        wanted = set(np.linspace(1, max(total, 1), stills).round().astype(int)) if stills else set()
        with progress(total, f"grading {source.name}") as advance:

            def on_frame(n: int, graded, seconds: float) -> None:
                advance()
                if n in wanted:
                    still = still_path(out, n - 1, seconds)
                    stills_io.write_image(still, graded(), "png16", inputs=[source])

            result = engine.grade_file(
                source, out, recipe, input_name or "auto", codec, crf, preset, start, duration,
                on_frame, fast=fast,
            )  # fmt: skip
        if explain:
            typer.echo(
                f"{source} -> {out}\n  input: {result.input_name} ({result.input_note})\n"
                f"{result.processor.describe()}"
            )
    typer.echo(
        f"graded {result.frames} frame(s) of {source} ({result.input_name}) -> {out}", err=True
    )


@app.command()
def demo(
    out: Path = typer.Option(Path("lsq-demo"), "-o", "--out", help="Folder for the results."),
    illuminant: str = typer.Option("D65", help="Scene light: D65, D50, A, FL2 or a kelvin value."),
) -> None:
    """Simulate an L-Mount camera shot of a ColorChecker, develop it, report accuracy.

    Example: lsq demo -o lsq-demo --illuminant A
    """
    from lsquared.cli.demo import run_demo

    announce_first_compile(DEMO_KERNELS)
    with errors_as_one_line():
        run_demo(out, illuminant)


def main() -> None:
    _register_groups(sys.argv[1:])
    run_app(app)
