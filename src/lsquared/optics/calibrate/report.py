"""``lsq lens calibrate --report``: residual tables (CSV) and PNG plots (matplotlib):
the distortion curve, TCA scales, vignetting per aperture and the chart residual vectors
over the frame."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from lsquared.io.atomic import atomic_output
from lsquared.optics.profile import distortion_factor, tca_factor


def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text).strip("-")


def _save(fig, path: Path) -> Path:
    with atomic_output(path) as tmp:
        fig.savefig(tmp, dpi=100, format="png")
    return path


def _table(path: Path, header: list[str], rows: list[list]) -> Path:
    with atomic_output(path) as tmp, tmp.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write(result, folder: str | Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for lens in result.lenses:
        name = _slug(lens.calibration.model)
        rows = [
            ["distortion", f, d.model, " ".join(map(str, d.terms)), d.rms_px, d.max_px, d.used]
            for f, d in sorted(lens.distortion.items())
        ]
        rows += [
            ["tca", f, t.model, " ".join(map(str, t.terms)), t.rms_px, "", t.used]
            for f, t in sorted(lens.tca.items())
        ]
        rows += [
            ["vignetting", f"{f}@f/{a}", "pa", " ".join(map(str, v.terms)), v.rms, "", len(v.radii)]
            for (f, a), v in sorted(lens.vignetting.items())
        ]
        header = ["fit", "setting", "model", "terms", "rms", "max", "points"]
        written.append(_table(folder / f"{name}-fits.csv", header, rows))
        r = np.linspace(0, 1.8, 200)
        if lens.distortion:
            fig, ax = plt.subplots(figsize=(6, 4))
            for f, d in sorted(lens.distortion.items()):
                ax.plot(r, (distortion_factor(d.model, d.terms, r) - 1) * 100, label=f"{f:g} mm")
            ax.set(
                xlabel="r (1 = half the shorter side)",
                ylabel="Rd / Ru - 1 (%)",
                title=f"{lens.calibration.model}: distortion",
            )
            ax.legend()
            ax.grid(True)
            written.append(_save(fig, folder / f"{name}-distortion.png"))
            plt.close(fig)
            fig, axes = plt.subplots(1, len(lens.distortion), figsize=(5 * len(lens.distortion), 4))
            for ax, (f, d) in zip(
                np.atleast_1d(axes), sorted(lens.distortion.items()), strict=True
            ):
                p, e = d.positions, d.residuals
                scale = 0.05 * max(p.max(0) - p.min(0)) / max(np.abs(e).max(), 1e-9)
                ax.quiver(
                    p[:, 0],
                    p[:, 1],
                    e[:, 0] * scale,
                    e[:, 1] * scale,
                    angles="xy",
                    scale_units="xy",
                    scale=1,
                )
                ax.invert_yaxis()
                ax.set(title=f"{f:g} mm: residuals, RMS {d.rms_px:.3f} px", aspect="equal")
            written.append(_save(fig, folder / f"{name}-residuals.png"))
            plt.close(fig)
        if lens.tca:
            fig, ax = plt.subplots(figsize=(6, 4))
            for f, t in sorted(lens.tca.items()):
                for c, colour in ((0, "red"), (2, "blue")):
                    ax.plot(
                        r,
                        tca_factor(t.model, t.terms, r, c),
                        color=colour,
                        alpha=0.6,
                        label=f"{f:g} mm {colour}",
                    )
            ax.set(xlabel="r", ylabel="scale against green", title="TCA")
            ax.legend(fontsize=7)
            ax.grid(True)
            written.append(_save(fig, folder / f"{name}-tca.png"))
            plt.close(fig)
        if lens.vignetting:
            fig, ax = plt.subplots(figsize=(6, 4))
            rv = np.linspace(0, 1, 100)
            for (f, a), v in sorted(lens.vignetting.items()):
                k1, k2, k3 = v.terms
                line = ax.plot(
                    rv, 1 + k1 * rv**2 + k2 * rv**4 + k3 * rv**6, label=f"{f:g} mm f/{a:g}"
                )
                ax.plot(v.radii, v.values, ".", color=line[0].get_color(), markersize=3)
            ax.set(xlabel="r (1 = half diagonal)", ylabel="relative intensity", title="vignetting")
            ax.legend(fontsize=7)
            ax.grid(True)
            written.append(_save(fig, folder / f"{name}-vignetting.png"))
            plt.close(fig)
    return written
