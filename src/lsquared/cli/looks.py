"""``lsq look`` and ``lsq lut``: the built-in looks and LUT tooling."""

from __future__ import annotations

from pathlib import Path

import typer

from lsquared.cli.common import alternatives, errors_as_one_line
from lsquared.color import encodings

#: what the look and LUT commands' ``--input`` accepts: the encodings cameras record clips in
CAMERA_INPUTS = alternatives(encodings.names("camera"))
look_app = typer.Typer(
    help="Built-in looks.\n\nExample: lsq look show teal-orange", no_args_is_help=True
)
lut_app = typer.Typer(
    help="LUT tools: info, convert, bake, apply.\n\n"
    "Example: lsq lut bake --look teal-orange --input vlog -o TealOrange.vlt",
    no_args_is_help=True,
)


@look_app.command("list")
def look_list() -> None:
    """List the built-in looks.

    Example: lsq look list
    """
    from lsquared.looks import catalog

    for name in catalog.names():
        typer.echo(f"{name:20s} {catalog.get(name).description}")


@look_app.command("show")
def look_show(name: str = typer.Argument(..., help="A built-in look's name.")) -> None:
    """Print a look's recipe (TOML), ready to copy into your own recipe.

    Example: lsq look show faded-film
    """
    from lsquared.looks import catalog

    with errors_as_one_line():
        typer.echo(catalog.get(name).text, nl=False)


@look_app.command("import")
def look_import(
    source: Path | None = typer.Argument(None, help="A .cube or .vlt LUT file."),
    name: str = typer.Option(..., "--name", help="The new look's name (lower case, - and _)."),
    input_name: str = typer.Option(
        "vlog", "--input", help=f"What the LUT expects: {CAMERA_INPUTS}."
    ),
    recipe_file: Path | None = typer.Option(
        None, "--recipe", help="Or a recipe whose [grade] and [display] make the look."
    ),
) -> None:
    """Make a user look from a LUT file or a recipe; it then works as a built-in one does
    (--look NAME for photos and clips, lut bake, look export). Kept in LSQ_LOOKS or
    ~/.config/lsquared/looks.

    Example: lsq look import MyGrade.cube --input vlog --name my-grade
    """
    from lsquared.errors import RecipeError
    from lsquared.looks import catalog
    from lsquared.looks.files import read_lut

    with errors_as_one_line():
        if (source is None) == (recipe_file is None):
            raise RecipeError("--recipe", "give a LUT file or --recipe TOML (one of them)")
        if recipe_file is not None:
            from lsquared.pipeline import recipe as rc

            rc.load(recipe_file)  # refuse what is not a valid recipe
            path = catalog.import_recipe(recipe_file, name)
        else:
            input_name = _check_input(input_name)
            read_lut(source)  # refuse what is not a LUT, with its line
            path = catalog.import_lut(source, name, input_name)
    typer.echo(f"look {name}: {path}")


@look_app.command("export")
def look_export(
    name: str = typer.Argument(..., help="A built-in look's name."),
    to: str = typer.Option(..., "--to", help="vlt (camera), cube (editor) or recipe (TOML)."),
    out: Path = typer.Option(..., "-o", "--out", help="The file to write."),
    input_name: str = typer.Option("vlog", "--input", help=f"For LUTs: {CAMERA_INPUTS}."),
) -> None:
    """Export a look as a camera LUT (.vlt, 17^3), an editor LUT (.cube, 33^3) or its
    recipe (TOML), baked as `lsq lut bake` does.

    Example: lsq look export teal-orange --to vlt -o TealOrange.vlt
    """
    from lsquared import engine
    from lsquared.errors import RecipeError
    from lsquared.io.atomic import atomic_output
    from lsquared.looks import catalog
    from lsquared.pipeline.recipe import Recipe

    with errors_as_one_line():
        look = catalog.get(name)
        kinds = {"vlt": ".vlt", "cube": ".cube", "recipe": ".toml"}
        if to.lower() not in kinds:
            raise RecipeError("--to", f"{to!r}: choose vlt, cube or recipe")
        if out.suffix.lower() != kinds[to.lower()]:
            raise RecipeError("-o", f"{out}: --to {to} writes a {kinds[to.lower()]} file")
        if to.lower() == "recipe":
            with atomic_output(out) as tmp:
                tmp.write_text(look.text, encoding="utf-8")
        else:
            input_name = _check_input(input_name)
            recipe = engine.with_look_name(Recipe().replace("output", space="rec709"), name)
            _bake_to(recipe, input_name, 17 if to.lower() == "vlt" else 33, out)
    typer.echo(f"wrote {out}")


def _bake_to(recipe, input_name: str, size: int, out: Path, fit: bool = True) -> None:
    """Bake ``recipe`` for ``input_name`` and write it to ``out`` (.vlt or .cube)."""
    from lsquared import engine
    from lsquared.looks.files import write_lut

    vlt = out.suffix.lower() == ".vlt"
    typer.echo(f"baking {size}^3 for {input_name} input (fitting the nodes)...", err=True)
    lut = engine.bake_lut(recipe, input_name, size, "vlt12" if vlt else "uniform", fit=fit)
    if vlt:  # the .vlt header is fixed; the provenance comment is ours, not the user's
        lut = lut.with_(comments=())
    _report(write_lut(lut, out)[2])


@lut_app.command("info")
def lut_info(path: Path = typer.Argument(..., help="A .cube or .vlt file.")) -> None:
    """Describe a LUT: format, size, domain, value range, title and comments.

    Example: lsq lut info MyLook.cube
    """
    from lsquared.looks.files import read_lut

    with errors_as_one_line():
        lut = read_lut(path)
    typer.echo(f"file:    {path}")
    typer.echo(f"format:  {path.suffix.lower().lstrip('.')}")
    if lut.title:
        typer.echo(f"title:   {lut.title}")
    if lut.shaper is not None:
        lo, hi = lut.shaper_min[0], lut.shaper_max[0]
        typer.echo(f"shaper:  1D, {lut.shaper.shape[0]} points on [{lo:g}, {hi:g}]")
    if lut.table is not None:
        typer.echo(f"3D:      {lut.size}^3, domain {lut.domain_min} .. {lut.domain_max}")
        typer.echo(f"values:  {lut.table.min():.6f} .. {lut.table.max():.6f}")
    if lut.nodes == "vlt12":
        typer.echo("nodes:   12-bit .vlt nodes 0, 256, ..., 3840, 4095")
    for comment in lut.comments:
        typer.echo(f"comment: {comment}")


def _report(notes: list[str]) -> None:
    for note in notes:
        typer.echo(f"lsq: note: {note}", err=True)


@lut_app.command("convert")
def lut_convert(
    src: Path = typer.Argument(..., help="Input .cube or .vlt."),
    dst: Path = typer.Argument(..., help="Output .cube or .vlt."),
    size: int | None = typer.Option(None, "--size", help="Resample to N points per axis."),
    report: bool = typer.Option(
        False, "--report", help="Print how closely the file written follows the input LUT."
    ),
    input_name: str = typer.Option(
        "vlog", "--input", help=f"With --report: what the LUT expects ({CAMERA_INPUTS})."
    ),
) -> None:
    """Convert between .cube and .vlt, resampling when sizes differ; reports clamping.
    --report measures the file written against the input LUT (CIEDE2000 on footage-like
    colours, taking the output as Rec.709 display code values) and says where a LUT cannot
    survive 17 points.

    Example: lsq lut convert MyLook.cube MyLook.vlt --input vlog --report
    """
    from lsquared.looks.files import read_lut, write_lut

    with errors_as_one_line():
        input_name = _check_input(input_name)
        source = read_lut(src)
        _, _, notes = write_lut(source, dst, size)
        _report(notes)
        typer.echo(f"wrote {dst}")
        if report:
            _print_fidelity(source, input_name, dst, src.name)


@lut_app.command("bake")
def lut_bake(
    look: str | None = typer.Option(
        None, "--look", help="A built-in look (lsq look list); neutral by default."
    ),
    recipe_file: Path | None = typer.Option(None, "--recipe", help="Or a recipe file."),
    input_name: str = typer.Option("vlog", "--input", help=f"{CAMERA_INPUTS}."),
    size: int | None = typer.Option(
        None, "--size", help="17, 33 (default) or 65; a .vlt is always 17."
    ),
    out: Path = typer.Option(..., "-o", "--out", help="FILE.cube or FILE.vlt"),
    exact_nodes: bool = typer.Option(
        False, "--exact-nodes", help="Nodes sample the recipe exactly (not fitted)."
    ),
    report: bool = typer.Option(
        False, "--report", help="Print how closely the LUT written follows the recipe."
    ),
) -> None:
    """Bake input decoding + look + Rec.709 display encoding into one LUT for a camera
    (LUMIX Real Time LUT: .vlt) or an editor (.cube). Node values are fitted to how the LUT
    is interpolated: a .cube to tetrahedral, a .vlt to trilinear and tetrahedral at once,
    weighted by where footage lies. --report measures the file written against the recipe
    (CIEDE2000 p99 and max on footage-like colours, Rec.709 display).

    Example: lsq lut bake --look teal-orange --input vlog -o TealOrange.vlt --report
    """
    from lsquared import engine
    from lsquared.errors import RecipeError
    from lsquared.pipeline import recipe as rc

    with errors_as_one_line():
        input_name = _check_input(input_name)
        vlt = out.suffix.lower() == ".vlt"
        if vlt and size not in (None, 17):
            raise RecipeError("--size", f"{size}: a .vlt is always 17 points; omit --size")
        size = 17 if vlt else size or 33
        if size not in (17, 33, 65):
            raise RecipeError("--size", f"{size}: choose 17, 33 or 65")
        if look and recipe_file:
            raise RecipeError("--look", "give --look or --recipe, not both")
        recipe = (
            rc.load(recipe_file)
            if recipe_file
            else engine.with_look_name(rc.Recipe(), look or "neutral")
        )
        recipe = recipe.replace("output", space="rec709")
        _bake_to(recipe, input_name, size, out, fit=not exact_nodes)
        typer.echo(f"wrote {out}")
        if report:
            _print_fidelity(recipe, input_name, out, "the recipe")


def _check_input(input_name: str) -> str:
    """The ``--input`` of a look or LUT command, in lower case (what it names, in any case)."""
    from lsquared.errors import RecipeError

    if input_name.lower() not in encodings.names("camera"):
        raise RecipeError("--input", f"{input_name!r}: choose {CAMERA_INPUTS}")
    return input_name.lower()


def _print_fidelity(reference, input_name: str, path: Path, against: str) -> None:
    """The fidelity figures of the LUT file at ``path`` (read back) against ``reference``
    (a recipe or a LUT), and a note when they miss what a bake of that format reaches."""
    from lsquared import engine
    from lsquared.looks.files import read_lut

    kind = path.suffix.lower().lstrip(".")
    methods = ("tetrahedral", "trilinear") if kind == "vlt" else ("tetrahedral",)
    typer.echo(f"measuring the LUT written against {against}...", err=True)
    found = engine.lut_fidelity(reference, input_name, read_lut(path), methods)
    p99_bound, max_bound = engine.FIDELITY_BOUNDS[kind]
    typer.echo(
        f"fidelity of {path.name} against {against} (CIEDE2000, Rec.709/BT.1886 display, "
        f"footage-like {input_name} colours):"
    )
    for f in found:
        typer.echo(f"  {f.interpolation:12s} p99 {f.p99:.2f}  max {f.max:.2f}")
        if f.p99 > p99_bound or f.max > max_bound:
            _report([
                f"{f.interpolation}: beyond p99 {p99_bound:g} / max {max_bound:g} for a .{kind}, "
                f"mostly in {f.worst_in}"
            ])  # fmt: skip


def _lut_by_kernel(*args):
    """The engine's renderer, for LUTs OpenColorIO cannot hold (imported only for them)."""
    from lsquared import engine

    return engine.lut_by_kernel(*args)


@lut_app.command("apply")
def lut_apply(
    image: Path = typer.Argument(..., help="A TIFF, PNG, JPEG or EXR image."),
    lut: Path = typer.Option(..., "--lut", help="A .cube or .vlt file."),
    out: Path = typer.Option(..., "-o", "--out", help="Output image (.tif, .png, .jpg, .exr)."),
    interpolation: str = typer.Option("tetrahedral", help="tetrahedral or trilinear."),
    depth: str | None = typer.Option(
        None, "--depth", help="8, 16, float or half (EXR); default: the input's own."
    ),
) -> None:
    """Apply a LUT to an image's code values, keeping the data: a float TIFF or EXR gives
    float out (values outside [0, 1] kept), an integer image the same bit depth.

    Example: lsq lut apply frame.tif --lut MyLook.cube -o graded.tif --depth float
    """
    from lsquared.errors import RecipeError
    from lsquared.looks import ocio

    with errors_as_one_line():
        if interpolation not in ("tetrahedral", "trilinear"):
            raise RecipeError("--interpolation", f"{interpolation!r}: tetrahedral or trilinear")
        _, notes = ocio.apply_to_image(image, lut, out, interpolation, depth, _lut_by_kernel)
    _report(notes)
    typer.echo(f"wrote {out}")
