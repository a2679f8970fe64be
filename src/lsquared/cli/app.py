"""``lsq``: develop RAWs, run the demo; more commands join as the engine grows."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import typer

from lsquared.cli.common import errors_as_one_line, progress, state

app = typer.Typer(
    name="lsq",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _register_groups() -> None:
    from lsquared.cli.batch import batch
    from lsquared.cli.lens import lens_app
    from lsquared.cli.looks import look_app, lut_app

    app.add_typer(look_app, name="look")
    app.add_typer(lut_app, name="lut")
    app.add_typer(lens_app, name="lens")
    app.command()(batch)


FORMATS = ("tif8", "tif16", "tif32", "png8", "png16", "png", "jpg", "exr", "exr-half")


@app.callback()
def main_options(
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for errors."),
) -> None:
    """lsquared: RAW development, colour, looks and lens corrections for L-Mount cameras.

    Example: lsq develop P1000123.RW2 -o P1000123.jpg --space srgb
    """
    state["debug"] = debug


def _parse_wb(value: str) -> dict:
    modes = {"as-shot": "as_shot", "as_shot": "as_shot", "auto": "auto", "daylight": "daylight"}
    if value in modes:
        return {"mode": modes[value]}
    try:
        return {"mode": "kelvin", "kelvin": float(value.rstrip("Kk"))}
    except ValueError:
        raise typer.BadParameter(
            f"{value!r}: use as-shot, auto, daylight or a colour temperature such as 5600"
        ) from None


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
):
    """The recipe file (or the default) with the command-line overrides on top."""
    from lsquared.pipeline import recipe as rc

    recipe = rc.load(recipe_file) if recipe_file else rc.Recipe()
    from lsquared.io.stills import SUFFIX, SUFFIX_FORMATS

    suffix = out.suffix.lower() if out is not None else ""
    if fmt is None and suffix in SUFFIX_FORMATS and SUFFIX[recipe.output.format] != suffix:
        fmt = SUFFIX_FORMATS[suffix]  # the file name asks for another format than the recipe
    if fmt:
        recipe = recipe.replace("output", format={"png": "png16"}.get(fmt, fmt))
    if space:
        recipe = recipe.replace("output", space=space)
    if wb:
        recipe = recipe.replace("white_balance", **_parse_wb(wb))
    if ev is not None:
        recipe = recipe.replace("exposure", ev=ev)
    if demosaic:
        recipe = recipe.replace("demosaic", algorithm=demosaic.upper())
    if quality is not None:
        recipe = recipe.replace("output", quality=quality)
    if look:
        recipe = recipe.replace("look", name=look)
    if lut:
        recipe = recipe.replace("look", lut=str(lut))
    if lut_input:
        recipe = recipe.replace("look", lut_input=lut_input)
    if lens:
        recipe = recipe.replace("lens", source=lens)
    return recipe


@app.command()
def develop(
    inputs: list[Path] = typer.Argument(..., help="RAW files (RW2, DNG, any LibRaw reads)."),
    out: Path = typer.Option(..., "-o", "--out", help="Output file (one input) or folder."),
    recipe_file: Path | None = typer.Option(None, "--recipe", help="Recipe TOML file."),
    fmt: str | None = typer.Option(None, "--format", help=f"One of {', '.join(FORMATS)}."),
    space: str | None = typer.Option(
        None, "--space", help="srgb, p3, rec2020, rec709, linear-srgb, linear-rec2020, acescg."
    ),
    wb: str | None = typer.Option(None, "--wb", help="as-shot, auto, daylight or KELVIN."),
    ev: float | None = typer.Option(None, "--ev", help="Exposure change in EV."),
    demosaic: str | None = typer.Option(None, "--demosaic", help="AHD (default), AAHD, DCB..."),
    quality: int | None = typer.Option(None, "--quality", help="JPEG quality 1-100 (95)."),
    look: str | None = typer.Option(None, "--look", help="A built-in look (lsq look list)."),
    lut: Path | None = typer.Option(None, "--lut", help="A .cube/.vlt look LUT (display out)."),
    lut_input: str | None = typer.Option(None, "--lut-input", help="What the LUT expects: vlog..."),
    lens: str | None = typer.Option(
        None, "--lens", help="auto (default), lensfun, profile, embedded or none."
    ),
    explain: bool = typer.Option(False, "--explain", help="Print what the processor does."),
) -> None:
    """Develop RAW photos into TIFF, PNG, JPEG or OpenEXR.

    Example: lsq develop P1000123.RW2 -o out.tif --space p3 --wb 5600 --ev 0.3 --explain
    """
    from lsquared import engine

    with errors_as_one_line():
        recipe = build_recipe(
            recipe_file, fmt, space, wb, ev, demosaic, out, quality, look, lut, lut_input, lens
        )
        many = len(inputs) > 1
        with progress(len(inputs), "developing") as advance:
            for source in inputs:
                target = engine.output_path_for(source, out, recipe, many)
                result = engine.develop_file(source, target, recipe)
                if explain:
                    typer.echo(f"{source} -> {target}\n{result.processor.describe()}")
                advance()
        if not explain:
            typer.echo(f"developed {len(inputs)} file(s) -> {out}", err=True)


@app.command()
def grade(
    source: Path = typer.Argument(..., help="A clip: H.264, H.265 or ProRes, 8 or 10 bit."),
    out: Path = typer.Option(..., "-o", "--out", help="Output clip (.mov, .mp4, .mkv)."),
    input_name: str = typer.Option("auto", "--input", help="vlog, llog, rec709 or auto."),
    look: str | None = typer.Option(None, "--look", help="A built-in look (lsq look list)."),
    lut: Path | None = typer.Option(None, "--lut", help="A .cube/.vlt LUT for the clip."),
    recipe_file: Path | None = typer.Option(None, "--recipe", help="Recipe TOML file."),
    codec: str = typer.Option("h265", "--codec", help="h264, h265, prores or ffv1 (lossless)."),
    crf: int | None = typer.Option(None, "--crf", help="Quality for h264/h265 (lower is better)."),
    preset: str = typer.Option("medium", "--preset", help="x264/x265 preset."),
    lens: str | None = typer.Option(None, "--lens", help="none (default for clips) or a source."),
    start: float = typer.Option(0.0, "--start", help="Start time in seconds."),
    duration: float | None = typer.Option(None, "--duration", help="Seconds to grade."),
    stills: int = typer.Option(0, "--stills", help="Also write N evenly spaced PNG stills."),
    fast: bool = typer.Option(
        False, "--fast", help="Through the recipe baked into a 65^3 LUT (within ~5/1023)."
    ),
) -> None:
    """Grade a V-Log, L-Log or Rec.709 clip with a look, a LUT or a recipe.

    Example: lsq grade P1000123.MOV -o graded.mov --input vlog --look teal-orange --codec prores
    """
    from lsquared import engine
    from lsquared.io import stills as stills_io
    from lsquared.io import video

    with errors_as_one_line():
        recipe = build_recipe(
            recipe_file, None, None, None, None, None, None, None, look, lut, None, lens
        )
        if recipe_file is None:
            recipe = recipe.replace("output", space="rec709")
        info = video.probe(source)
        total = info.frames or 0
        wanted = set(np.linspace(1, max(total, 1), stills).round().astype(int)) if stills else set()
        with progress(total, f"grading {source.name}") as advance:

            def on_frame(n: int, graded) -> None:
                advance()
                if n in wanted:
                    still = out.with_name(f"{out.stem}_{n:05d}.png")
                    stills_io.write_image(still, graded(), "png16", inputs=[source])

            result = engine.grade_file(
                source, out, recipe, input_name, codec, crf, preset, start, duration, on_frame,
                fast=fast,
            )  # fmt: skip
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

    with errors_as_one_line():
        run_demo(out, illuminant)


def main() -> None:
    _register_groups()
    app()
