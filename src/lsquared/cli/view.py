"""``lsq view``: the local web page with the image, the controls and the scopes."""

from __future__ import annotations

import contextlib
from pathlib import Path

import typer

from lsquared.cli.common import errors_as_one_line


def view(
    paths: list[Path] = typer.Argument(..., help="RAWs, images, clips, .cube/.vlt files, folders."),
    recipe_file: Path | None = typer.Option(None, "--recipe", help="Recipe TOML to start from."),
    look: str | None = typer.Option(None, "--look", help="A built-in look to start with."),
    port: int = typer.Option(0, "--port", help="TCP port on 127.0.0.1 (0: any free port)."),
    export_dir: Path = typer.Option(
        Path("."), "--export-dir", help="The only folder exports are written to."
    ),
    no_browser: bool = typer.Option(False, "--no-browser", help="Print the URL only."),
) -> None:
    """Look at photos and clips with a recipe, scopes and exports, in a local web page.

    Serves on 127.0.0.1 only; the URL (first line printed) carries a random token.
    Ctrl-C stops it.

    Example: lsq view P1000123.RW2 clips/ --look teal-orange --export-dir out
    """
    from lsquared import engine
    from lsquared.pipeline import recipe as rc
    from lsquared.viewer.server import serve

    with errors_as_one_line():
        recipe = rc.load(recipe_file) if recipe_file else rc.Recipe()
        if look:
            recipe = engine.with_look_name(recipe, look)
        with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C: uvicorn has shut down
            serve(paths, recipe, port, export_dir, open_browser=not no_browser)
