"""``lsq demo``: the main job on a built-in sample, with an accuracy line."""

from __future__ import annotations

from pathlib import Path

import typer

from lsquared.cli.common import kernels_cold
from lsquared.errors import OutputError

#: the colour path's kernel; the demosaic's (``demosaic.menon_rgb``) runs first, in this process
POINT_KERNEL = ("cpu", "run_point_program")


def run_demo(out: Path, illuminant: str) -> None:
    typer.echo(f"lsq demo: simulating a LUMIX S5 shot of a ColorChecker under {illuminant} ...")
    helper = None
    if kernels_cold((POINT_KERNEL,)):  # first run: compile the two kernels on two cores
        from lsquared.kernels.numba_start import prepare_elsewhere

        helper = prepare_elsewhere(POINT_KERNEL[1])
    from lsquared import engine, simulate
    from lsquared.pipeline.recipe import Recipe

    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(out, f"cannot create folder: {e.strerror}") from None
    light: str | float = float(illuminant) if illuminant.replace(".", "").isdigit() else illuminant
    dng = out / "simulated-s5.dng"
    truth = simulate.simulate(dng, width=1800, height=1200, illuminant=light)
    typer.echo(f"lsq demo: developing {dng.name} to TIFF, JPEG and linear EXR ...")
    recipe = Recipe().replace("lens", source="none")  # the simulated lens is ideal
    image = engine.load_source(dng, recipe)  # decoded once, developed three ways
    if helper is not None:
        helper.wait()

    def develop(name: str, r: Recipe):
        """Rendered in float and quantised by the writer: one kernel build serves every
        format (a first run compiles it once, not once per bit depth)."""
        processor = engine.compile(r, image)
        pixels = processor.apply_array(image.pixels)
        written = engine.write_developed(
            pixels, processor.output_encoding, image.metadata, out / name, r, dng
        )
        return engine.DevelopResult(dng, written, processor, image.width, image.height), pixels

    developed = [
        develop("developed.tif", recipe)[0],
        develop("developed.jpg", recipe.replace("output", format="jpg"))[0],
    ]
    linear = recipe.replace("output", space="linear-srgb", format="exr")
    scene, scene_pixels = develop("developed-linear.exr", linear)
    de = simulate.chart_delta_e(scene_pixels, truth)
    for result in [*developed, scene]:
        typer.echo(f"wrote {result.output} ({result.width}x{result.height})")
    typer.echo(developed[0].processor.describe())
    typer.echo(
        f"accuracy: mean dE2000 {de.mean():.2f}, max {de.max():.2f} over the 24 ColorChecker "
        f"patches (simulated {illuminant} scene vs. ground truth)"
    )
