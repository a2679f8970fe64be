"""What a batch will do: find RAWs and clips under the given paths, name their outputs.

Discovery is recursive and sorted, so a batch plans the same jobs in the same order on
every run and every machine. Hidden files (``.name``, macOS ``._name``) and lsquared's own
temporary files are skipped, and so is the output folder when it lies inside a source.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from lsquared.errors import InputError, OutputError, RecipeError
from lsquared.io import stills
from lsquared.io.raw import RAW_SUFFIXES
from lsquared.pipeline.recipe import Recipe

VIDEO_SUFFIXES = (".mov", ".mp4", ".m4v", ".mts", ".m2ts", ".mkv", ".mxf", ".avi")
#: video codec -> container suffix
VIDEO_CONTAINERS = {"h264": ".mp4", "h265": ".mp4", "lossless": ".mp4", "prores": ".mov",
                    "ffv1": ".mkv"}  # fmt: skip
#: fields of ``--name`` templates
NAME_FIELDS = ("stem", "ext", "parent", "dir", "n")
DEFAULT_NAME = "{stem}"


@dataclass(frozen=True)
class BatchSettings:
    """The two recipes of a batch: one for photos, one for clips (whose ``[input]
    encoding`` and ``[video]`` section say how clips are read and encoded). Each is saved
    beside the outputs and is everything that decides them besides the inputs."""

    photo_recipe: Recipe
    video_recipe: Recipe

    def recipe(self, kind: str) -> Recipe:
        return self.photo_recipe if kind == "photo" else self.video_recipe

    def describe(self, kind: str) -> str:
        """The recipe as TOML: what is saved, and whose digest decides whether an earlier
        output is still valid."""
        return self.recipe(kind).to_toml()


@dataclass(frozen=True)
class Job:
    """One input and the output it makes."""

    source: str  # absolute path
    kind: str  # "photo", "video" or "unknown" (an explicitly named file of another type)
    output: str  # path relative to the output folder


def kind_of(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in RAW_SUFFIXES:
        return "photo"
    return "video" if suffix in VIDEO_SUFFIXES else "unknown"


def _hidden(name: str) -> bool:
    return name.startswith(".")


def find_inputs(sources: list[Path], outdir: Path) -> list[tuple[Path, Path]]:
    """(input, the folder it was found under) for every RAW and clip under ``sources``.
    Files named explicitly are kept whatever their type (and fail later if unknown)."""
    outdir = outdir.resolve()
    found: dict[Path, Path] = {}
    for source in sources:
        if not source.exists():
            raise InputError(source, "no such file or folder")
        root = source.resolve()
        if root.is_file():
            found.setdefault(root, root.parent)
            continue
        for path in sorted(root.rglob("*")):
            if (
                path.is_file()
                and kind_of(path) != "unknown"
                and not any(_hidden(p) for p in path.relative_to(root).parts)
                and outdir not in path.parents
            ):
                found.setdefault(path, root)
    return sorted(found.items())


def check_template(template: str) -> None:
    """Raise RecipeError unless ``template`` uses only the known fields."""
    try:
        names = {f for _, f, _, _ in string.Formatter().parse(template) if f is not None}
    except ValueError as e:
        raise RecipeError("--name", f"{template!r}: {e}") from None
    unknown = names - set(NAME_FIELDS)
    if unknown or not names:
        raise RecipeError(
            "--name",
            f"{template!r} must use fields from {{{'}, {'.join(NAME_FIELDS)}}}"
            + (f" (unknown: {', '.join(sorted(unknown))})" if unknown else ""),
        )


def output_name(template: str, source: Path, root: Path, n: int, suffix: str) -> str:
    """The output's path relative to the output folder."""
    folder = source.parent.relative_to(root).as_posix() if source.parent != root else "."
    name = template.format(
        stem=source.stem, ext=source.suffix.lstrip(".").lower(), parent=source.parent.name,
        dir=folder, n=f"{n:04d}",
    )  # fmt: skip
    rel = PurePosixPath(name + suffix)
    if rel.is_absolute() or ".." in rel.parts:
        raise RecipeError("--name", f"{template!r} would write outside the output folder")
    return str(PurePosixPath(*[p for p in rel.parts if p != "."]))


def plan_jobs(
    sources: list[Path], outdir: Path, settings: BatchSettings, template: str = DEFAULT_NAME
) -> list[Job]:
    """The jobs of a batch, sorted by input; two inputs may not write the same output."""
    check_template(template)
    photo_suffix = stills.SUFFIX[settings.photo_recipe.output.format]
    video_suffix = VIDEO_CONTAINERS[settings.video_recipe.video.codec]
    jobs, writers = [], {}
    for n, (path, root) in enumerate(find_inputs(sources, outdir), 1):
        kind = kind_of(path)
        suffix = {"photo": photo_suffix, "video": video_suffix}.get(kind, "")
        out = output_name(template, path, root, n, suffix)
        if out.casefold() in writers:
            raise OutputError(
                outdir / out,
                f"both {writers[out.casefold()]} and {path} would write it; "
                "use --name '{dir}/{stem}' or '{parent}_{stem}'",
            )
        writers[out.casefold()] = path
        jobs.append(Job(str(path), kind, out))
    return jobs
