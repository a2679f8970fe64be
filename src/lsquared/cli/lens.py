"""``lsq lens``: the lens database."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import typer

from lsquared.cli.common import errors_as_one_line
from lsquared.errors import LensError
from lsquared.optics.profile import lensdb_name

lens_app = typer.Typer(
    help="Lens profiles (lensfun database).\n\nExample: lsq lens list --mount L",
    no_args_is_help=True,
)


def _terms(values) -> str:
    """Model terms as lensfun stores them (float32), each in the fewest digits that read
    back to the same float32 (0.02161, not 0.021609999239444733)."""
    return "[" + ", ".join(str(np.float32(v)) for v in values) + "]"


def _line(lens) -> str:
    focal = (
        f"{lens.min_focal:g}"
        if lens.min_focal == lens.max_focal
        else f"{lens.min_focal:g}-{lens.max_focal:g}"
    )
    mounts = ", ".join(lens.mounts)
    return f"{lensdb_name(lens)}  [{mounts}; {focal} mm; crop {lens.crop_factor:g}]"


@lens_app.command("list")
def lens_list(
    mount: str | None = typer.Option(None, "--mount", help="L, M, or a lensfun mount name."),
) -> None:
    """List the lenses lsquared has profiles for.

    Example: lsq lens list --mount L
    """
    from lsquared.optics import lensdb

    with errors_as_one_line():
        found = lensdb.lenses(mount)
    for lens in found:
        typer.echo(_line(lens))
    typer.echo(f"{len(found)} lens(es)", err=True)


@lens_app.command("find")
def lens_find(text: str = typer.Argument(..., help="Words of the lens name.")) -> None:
    """Find lenses whose name contains every word of TEXT (exit 2 when none does).

    Example: lsq lens find "24-70 2.8 S"
    """
    from lsquared.optics import lensdb

    with errors_as_one_line():
        found = lensdb.find(text)
        if not found:
            raise LensError(text, "no lens matches; try fewer words or lsq lens list")
    for lens in found:
        typer.echo(_line(lens))


@lens_app.command("show")
def lens_show(name: str = typer.Argument(..., help="A lens name (lsq lens find).")) -> None:
    """Show a lens's calibrations: distortion, TCA and vignetting at each focal length.

    Example: lsq lens show "LUMIX S 20-60/F3.5-5.6"
    """
    from lsquared.optics import lensdb

    with errors_as_one_line():
        lens = lensdb.lookup(name)
    typer.echo(_line(lens))
    for d in lens.calib_distortion or []:
        typer.echo(f"  distortion {d.model.name.lower():7s} {d.focal:g} mm  {_terms(d.terms)}")
    for t in lens.calib_tca or []:
        typer.echo(f"  tca        {t.model.name.lower():7s} {t.focal:g} mm  {_terms(t.terms)}")
    for v in lens.calib_vignetting or []:
        where = f"{v.focal:g} mm f/{v.aperture:g} {v.distance:g} m"
        typer.echo(f"  vignetting {v.model.name.lower():7s} {where}  {_terms(v.terms)}")


@lens_app.command("identify")
def lens_identify(files: list[Path] = typer.Argument(..., help="RAW files.")) -> None:
    """Report each file's lens, settings and the correction source --lens auto chooses.

    Example: lsq lens identify P1000123.RW2 L1000456.DNG
    """
    from lsquared import engine

    with errors_as_one_line():
        for path in files:
            typer.echo("\n".join(engine.identify_lens(path)))


@lens_app.command("import-db")
def lens_import_db(
    folder: Path = typer.Argument(..., help="An upstream lensfun data/db folder."),
) -> None:
    """Import an upstream lensfun database (XML version 2) into your data folder,
    converted as lensfun's own converter does, keeping its CC BY-SA attribution.

    Example: lsq lens import-db ~/src/lensfun/data/db
    """
    from lsquared.optics import lensdb

    with errors_as_one_line():
        report = lensdb.import_db(folder)
    typer.echo(
        f"imported {report.files} files into {report.folder}; {report.lenses} lenses available"
    )
