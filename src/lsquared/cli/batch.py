"""``lsq batch``: a card dump's RAWs and clips, developed and graded with one recipe."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from lsquared.cli.common import choices, errors_as_one_line, interactive
from lsquared.color import encodings

if TYPE_CHECKING:
    from lsquared.pipeline.recipe import Recipe


def batch(
    sources: list[Path] = typer.Argument(..., help="RAWs, clips or folders (recursive)."),
    outdir: Path = typer.Option(..., "-o", "--out", help="Output folder (created if missing)."),
    recipe_file: Path | None = typer.Option(None, "--recipe", help="Recipe TOML file."),
    look: str | None = typer.Option(None, "--look", help="A built-in look (lsq look list)."),
    photos: str | None = typer.Option(None, "--photos", help="Photo format: tif16, jpg, exr..."),
    videos: str | None = typer.Option(
        None, "--videos", help="Clip codec: h264, h265 (default), prores, ffv1, lossless."
    ),
    input_name: str | None = typer.Option(
        None, "--input", help=f"Clips are {choices(encodings.names('camera'))} or auto (default)."
    ),
    crf: int | None = typer.Option(None, "--crf", help="Quality for h264/h265 (lower is better)."),
    preset: str | None = typer.Option(None, "--preset", help="x264/x265 preset (medium)."),
    fast: bool | None = typer.Option(
        None,
        "--fast/--exact",
        help="Clips through the recipe baked into a fitted 65^3 LUT, or exact per pixel. "
        "Default: the recipe's video setting fast (true).",
    ),
    workers: int | None = typer.Option(None, "--workers", help="Local worker processes (cores)."),
    scheduler: str | None = typer.Option(
        None, "--scheduler", help="A Dask scheduler, tcp://HOST:PORT, instead of local workers."
    ),
    name: str = typer.Option(
        "{stem}", "--name", help="Output name from {stem} {ext} {parent} {dir} {n}: '{dir}/{stem}'."
    ),
    json_events: bool = typer.Option(False, "--json", help="One JSON event per line on stdout."),
) -> None:
    """Develop every RAW and grade every clip under the given paths with one recipe.

    A rerun skips finished outputs and redoes what changed.

    OUTDIR/recipe.toml (photos) and recipe-video.toml (clips) redo the run with --recipe.

    Clip options given here override the recipe's input encoding and video section.

    A bad file is reported and the rest go on; OUTDIR/report.json tells what happened.

    Exit code: 0 all succeeded, 1 some failed, 2 usage error.

    Example: lsq batch /media/card/DCIM -o graded --look warm-classic --photos jpg --input vlog
    """
    from lsquared import engine
    from lsquared.batch import BatchSettings, plan_jobs, run_batch
    from lsquared.cli.app import build_recipe

    with errors_as_one_line():
        if workers is not None and workers < 1:
            raise typer.BadParameter("--workers must be at least 1")
        photo = build_recipe(recipe_file, photos, None, None, None, None, None, None, look)
        engine.validate_recipe(photo)
        video = photo if recipe_file else photo.replace("output", space="rec709")
        options = {"--videos": videos, "--input": input_name, "--crf": crf, "--preset": preset,
                   "--fast": fast}  # fmt: skip
        settings = BatchSettings(photo, _video_recipe(video, options))
        jobs = plan_jobs(sources, outdir, settings, name)
        if not jobs:
            raise typer.BadParameter("no RAWs or clips found in the given paths")
        with _view(len(jobs), json_events) as on_event:
            report = run_batch(jobs, settings, outdir, workers, scheduler, on_event)
    if not json_events:
        _print_summary(report)
    raise typer.Exit(report.exit_code)


#: option -> the recipe's (section, key) it overrides for clips
VIDEO_OPTIONS = {"--videos": ("video", "codec"), "--input": ("input", "encoding"),
                 "--crf": ("video", "crf"), "--preset": ("video", "preset"),
                 "--fast": ("video", "fast")}  # fmt: skip


def _video_recipe(recipe: Recipe, options: dict[str, object]) -> Recipe:
    """The clips' recipe: the options given (not None) in place of its keys; an error
    names the option ("--videos: 'x' is not valid ...")."""
    for option, value in options.items():
        if value is not None:
            section, key = VIDEO_OPTIONS[option]
            recipe = recipe.from_option(option, section, **{key: value})
    return recipe


@contextlib.contextmanager
def _view(total: int, json_events: bool) -> Iterator:
    """The event sink: JSON lines, a rich overall bar plus current files, or (in a pipe)
    one line per failure."""
    if json_events:
        yield lambda event: print(json.dumps(event), flush=True)
        return
    if not interactive():
        yield _print_failure
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        SpinnerColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    with Progress(
        SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
        TimeElapsedColumn(), TimeRemainingColumn(), transient=True,
    ) as bar:  # fmt: skip
        overall = bar.add_task("[bold]batch", total=total)
        current: dict[str, int] = {}

        def on_event(event: dict) -> None:
            kind, source = event["event"], event.get("input", "")
            if kind == "begin":
                current[source] = bar.add_task(f"  {Path(source).name}", total=None)
            elif kind in ("done", "failed", "skipped"):
                if source in current:
                    bar.remove_task(current.pop(source))
                bar.advance(overall)
                if kind == "failed":
                    bar.console.print(f"lsq: {source}: {event['reason']}", highlight=False)

        yield on_event


def _print_failure(event: dict) -> None:
    if event["event"] == "failed":
        print(f"lsq: {event['input']}: {event['reason']}", file=sys.stderr)


def _print_summary(report) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"lsq batch -> {report.outdir}", title_justify="left")
    table.add_column("status")
    table.add_column("files", justify="right")
    table.add_column("detail")
    minutes = report.seconds / 60
    rate = f"{report.count('done') / minutes:.1f} files/min" if report.count("done") else ""
    table.add_row("done", str(report.count("done")), rate)
    table.add_row("skipped", str(report.count("skipped")), "finished by an earlier run")
    warned = sum(bool(f["warnings"]) for f in report.files)
    if warned:
        table.add_row("warned", str(warned), "see warnings in report.json")
    table.add_row("failed", str(report.count("failed")), "")
    for f in report.files:
        if f["status"] == "failed":
            table.add_row("", "", f"{Path(f['input']).name}: {f['reason']}")
    where = f"{report.workers} worker(s), {report.scheduler}"
    table.add_row("time", f"{report.seconds:.1f} s", where)
    Console(stderr=True, highlight=False).print(table)
