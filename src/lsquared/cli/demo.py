"""``lsq demo``: the main job on a built-in sample, with an accuracy line."""

from __future__ import annotations

from pathlib import Path

import typer

from lsquared.errors import OutputError


def run_demo(out: Path, illuminant: str) -> None:
    from lsquared import engine, simulate
    from lsquared.pipeline.recipe import Recipe

    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(out, f"cannot create folder: {e.strerror}") from None
    light: str | float = float(illuminant) if illuminant.replace(".", "").isdigit() else illuminant
    dng = out / "simulated-s5.dng"
    truth = simulate.simulate(dng, width=1800, height=1200, illuminant=light)
    recipe = Recipe().replace("lens", source="none")  # the simulated lens is ideal
    image = engine.load_source(dng, recipe)  # decoded once, developed three ways

    def develop(name: str, r: Recipe):
        return engine.develop_image(image, engine.compile(r, image), out / name, r)

    developed = [
        develop("developed.tif", recipe),
        develop("developed.jpg", recipe.replace("output", format="jpg")),
    ]
    linear = recipe.replace("output", space="linear-srgb", format="exr")
    scene = develop("developed-linear.exr", linear)
    de = simulate.chart_delta_e(scene.processor.apply(image).pixels, truth)
    for result in [*developed, scene]:
        typer.echo(f"wrote {result.output} ({result.width}x{result.height})")
    typer.echo(developed[0].processor.describe())
    typer.echo(
        f"accuracy: mean dE2000 {de.mean():.2f}, max {de.max():.2f} over the 24 ColorChecker "
        f"patches (simulated {illuminant} scene vs. ground truth)"
    )
