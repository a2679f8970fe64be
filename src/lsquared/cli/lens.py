"""``lsq lens``: the lens database."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import typer

from lsquared.cli.common import errors_as_one_line, progress
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


def _board(text: str) -> tuple[int, int]:
    try:
        cols, rows = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise typer.BadParameter(f"{text!r}: give inner corners as COLSxROWS, e.g. 9x6") from None
    return cols, rows


def _print_fits(result) -> None:
    for lens in result.lenses:
        cal = lens.calibration
        used = ", ".join(f"{len(v)} {k} shot(s)" for k, v in sorted(lens.shots.items()))
        typer.echo(f"{cal.maker} {cal.model}  [{cal.mount}; crop {cal.crop_factor:g}]  {used}")
        for focal, d in sorted(lens.distortion.items()):
            terms = " ".join(f"{t:+.6f}" for t in d.terms)
            typer.echo(
                f"  distortion {d.model:6s} {focal:g} mm  {terms}  residual {d.rms_px:.3f} px RMS,"
                f" {d.max_px:.3f} max ({d.used} points, {d.dropped} dropped)"
            )
        for pair in lens.pairs:
            typer.echo(
                f"  pair {pair.raw.name} + {pair.jpeg.name}: {pair.used} of {pair.matches} matches,"
                f" residual {pair.rms_px:.3f} px RMS"
            )
        for focal, t in sorted(lens.tca.items()):
            terms = " ".join(f"{v:.6f}" for v in t.terms)
            typer.echo(
                f"  tca        {t.model:6s} {focal:g} mm  {terms}  residual {t.rms_px:.3f} px"
            )
        for focal, (ours, theirs) in sorted(lens.tca_not_corrected.items()):
            raw = "/".join(f"{v:+.3f}" for v in ours.peak_px)
            jpeg = "/".join(f"{v:+.3f}" for v in theirs.peak_px)
            typer.echo(
                f"  tca        {focal:g} mm  not corrected by the JPEGs (largest red/blue shift"
                f" {raw} px in the RAWs, {jpeg} px in the JPEGs): none written"
            )
        for (focal, aperture), v in sorted(lens.vignetting.items()):
            terms = " ".join(f"{k:+.4f}" for k in v.terms)
            typer.echo(
                f"  vignetting pa     {focal:g} mm f/{aperture:g}  {terms}  residual {v.rms:.2%}"
            )


@lens_app.command("calibrate")
def lens_calibrate(
    shots: list[Path] = typer.Argument(
        ..., help="Chessboard, straight-line and flat-field shots (RAW, TIFF, PNG, JPEG)."
    ),
    output: Path = typer.Option(..., "-o", "--output", help="The lensfun XML profile to write."),
    lens: str | None = typer.Option(None, "--lens", help="Lens model, when EXIF lacks it."),
    maker: str | None = typer.Option(None, "--maker", help="Lens maker, when EXIF lacks it."),
    mount: str | None = typer.Option(None, "--mount", help="L, M or a lensfun mount name."),
    crop_factor: float | None = typer.Option(None, "--crop-factor", help="Sensor crop factor."),
    focal: float | None = typer.Option(
        None, "--focal", help="Focal length in mm, when EXIF lacks it."
    ),
    aperture: float | None = typer.Option(None, "--aperture", help="f-number, when EXIF lacks it."),
    kind: str | None = typer.Option(
        None, "--kind", help="distortion, tca or vignetting (default: told from the pixels)."
    ),
    board: str = typer.Option("9x6", "--board", help="Chessboard inner corners, COLSxROWS."),
    model: str = typer.Option("ptlens", "--model", help="Distortion model: ptlens or poly3."),
    tca_model: str = typer.Option("poly3", "--tca-model", help="TCA model: poly3 or linear."),
    from_jpeg: bool = typer.Option(
        False, "--from-jpeg", help="Fit distortion from RAW + in-camera corrected JPEG pairs."
    ),
    v2: bool = typer.Option(
        False, "--v2", help="Write lensfun database version 2 (upstream) instead of 1."
    ),
    report: Path | None = typer.Option(
        None, "--report", help="Folder for residual tables and PNG plots."
    ),
) -> None:
    """Make a lensfun profile for a lens: distortion and TCA from chessboard shots,
    distortion from shots of straight lines (a line chart, a building), vignetting from
    flat fields (several apertures), or distortion from RAW + JPEG pairs.
    Unusable shots are named with the reason; exit 1 when some were, 2 when nothing fits.

    Example: lsq lens calibrate chart/*.RW2 flat/*.RW2 --board 9x6 -o my-lens.xml --report rep
    """
    from lsquared.optics import calibrate as cal
    from lsquared.optics.calibrate import lensfunxml

    if kind is not None and kind not in cal.KINDS:
        raise typer.BadParameter(f"--kind {kind!r}: choose distortion, tca or vignetting")
    if model not in ("ptlens", "poly3") or tca_model not in ("poly3", "linear"):
        raise typer.BadParameter("--model is ptlens or poly3; --tca-model is poly3 or linear")
    options = cal.Options(
        lens=lens, maker=maker, mount=mount, crop_factor=crop_factor, focal=focal,
        aperture=aperture, kind=kind, pattern=_board(board), distortion_model=model,
        tca_model=tca_model,
    )  # fmt: skip
    with errors_as_one_line():
        from lsquared.io.atomic import check_writable_target

        check_writable_target(output, shots)
        with progress(len(shots), "measuring") as advance:
            if from_jpeg:
                from lsquared.optics.calibrate import fromjpeg

                result = fromjpeg.calibrate(shots, options, lambda _: advance())
            else:
                result = cal.calibrate(shots, options, lambda _: advance())
        for problem in result.problems:
            typer.echo(f"lsq: {problem.line()}", err=True)
        if not result.fitted:
            typer.echo(f"lsq: {output}: nothing could be fitted; no profile written", err=True)
            raise typer.Exit(2)
        lensfunxml.write([r.calibration for r in result.lenses], output, shots, 2 if v2 else 1)
        _print_fits(result)
        if report is not None:
            from lsquared.optics.calibrate import report as reports

            for path in reports.write(result, report):
                typer.echo(f"report: {path}")
    typer.echo(f"wrote {output}")
    if result.problems:
        raise typer.Exit(1)
