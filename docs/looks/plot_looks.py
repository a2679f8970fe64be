"""Plot every built-in look's grey ramp and saturation sweeps (PNG, matplotlib), from V-Log
input to a Rec.709/BT.1886 display, with the .vlt's 17 lattice nodes marked: the shapes a
baked LUT has to follow between its nodes.

    python docs/looks/plot_looks.py            # writes docs/looks/*.png
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np

from lsquared import engine
from lsquared.color import scene, spaces, transfer
from lsquared.looks import catalog
from lsquared.looks.lut import vlt_node_positions
from lsquared.pipeline.recipe import Recipe

HERE = Path(__file__).parent
#: hues of the saturation sweeps, as V-Gamut linear directions from grey
HUES = {"skin": (0.47, 0.33, 0.25), "red": (0.7, 0.2, 0.2), "teal": (0.15, 0.45, 0.5)}


def _processor(look: str):
    recipe = engine.with_look_name(Recipe().replace("output", space="rec709"), look)
    return engine.compile(recipe, engine.Metadata(), engine.input_encoding("vlog"), "reference")


def _render(processor, vlog: np.ndarray) -> np.ndarray:
    return processor.apply_array(vlog.astype(np.float32)[:, None, :])[:, 0].astype(np.float64)


def _chroma(display: np.ndarray) -> np.ndarray:
    linear = transfer.bt1886_decode(np.clip(display, 0.0, 1.0))
    lab = scene.xyz_to_lab_d65(linear @ spaces.matrix("rec709", "xyz").T)
    return np.hypot(lab[:, 1], lab[:, 2])


def plot_grey_ramps(path: Path) -> None:
    code = np.linspace(0.0, 1.0, 2049)
    fig, ax = plt.subplots(figsize=(8, 5))
    for look in catalog.names():
        out = _render(_processor(look), np.repeat(code[:, None], 3, 1))
        ax.plot(code, out[:, 1], label=look)
    for node in vlt_node_positions():
        ax.axvline(node, color="0.85", lw=0.6, zorder=0)
    ax.set(
        xlabel="V-Log code value (grey); vertical lines: the .vlt's 17 nodes",
        ylabel="Rec.709 code value (BT.1886 display)",
        title="Grey ramps of the built-in looks",
    )
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


def plot_saturation_sweeps(path: Path) -> None:
    amount = np.linspace(0.0, 1.0, 401)
    looks = catalog.names()
    fig, axes = plt.subplots(1, len(HUES), figsize=(13, 4.5), sharey=True)
    for ax, (hue, rgb) in zip(axes, HUES.items(), strict=True):
        direction = np.asarray(rgb) / np.mean(rgb) - 1.0
        linear = 0.18 * (1.0 + amount[:, None] * direction)  # mid grey towards the hue
        vlog = transfer.vlog_encode(np.maximum(linear, 0.0))
        for look in looks:
            ax.plot(amount, _chroma(_render(_processor(look), vlog)), label=look)
        ax.set(title=f"{hue}, at 18 % grey", xlabel="scene saturation (0 grey, 1 the hue)")
    axes[0].set_ylabel("display chroma C*ab")
    axes[0].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)


if __name__ == "__main__":
    plot_grey_ramps(HERE / "grey_ramps.png")
    plot_saturation_sweeps(HERE / "saturation_sweeps.png")
