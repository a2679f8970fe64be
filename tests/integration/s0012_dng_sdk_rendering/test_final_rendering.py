"""Adobe's sample DNGs (``$LSQ_SAMPLES/dng-sdk``) rendered by lsquared and by Adobe's DNG SDK
(``dng_reference -16 -lin``: linear ProPhoto, on a test copy with an identity
ProfileToneCurve and DefaultBlackRender = None), compared in colour over flat regions: the
profile's ForwardMatrix, HueSatMap and, per the recipe's ``[camera] look``, its LookTable
(the SDK's rendering of a copy without the LookTable is the reference for ``look = false``).
"""

from __future__ import annotations

import os
import shutil
import struct
import subprocess
import warnings
from pathlib import Path

import numpy as np
import pytest

from lsquared import engine
from lsquared.errors import LsqError
from lsquared.pipeline.recipe import Recipe
from tests.conftest import sha256

pytestmark = [pytest.mark.samples, pytest.mark.slow]

#: sample -> the lens correction the SDK applies too: the Bayer raw's WarpRectilinear
#: (OpcodeList3); none for the linear raw (no lens opcode, and its lens is in lensfun's
#: database, which the default ``auto`` would apply)
SAMPLES = {"03_jxl_bayer_raw_integer.dng": "embedded", "01_jxl_linear_raw_integer.dng": "none"}
BAYER, LINEAR = SAMPLES
BLOCK = 32
D50_XY, D65_XY = (0.3457, 0.3585), (0.3127, 0.3290)
TONE_CURVE, BLACK_RENDER, LOOK_TABLE_TAGS = 50940, 51110, (50981, 50982, 51108)


def colour():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import colour as colour_science
    return colour_science


def linear_rendering_copy(src: Path, dst: Path, look: bool) -> None:
    """A copy of a classic TIFF/DNG with a new IFD 0 appended: the old entries (their data
    stays where it is) plus an identity ProfileToneCurve and DefaultBlackRender = None,
    without the LookTable tags unless ``look``; the header points at the new IFD."""
    shutil.copyfile(src, dst)
    with open(dst, "r+b") as f:
        data = f.read()
        order = "<" if data[:2] == b"II" else ">"
        ifd = struct.unpack(order + "I", data[4:8])[0]
        count = struct.unpack(order + "H", data[ifd : ifd + 2])[0]
        entries = {}
        for i in range(count):
            entry = data[ifd + 2 + 12 * i : ifd + 14 + 12 * i]
            entries[struct.unpack(order + "H", entry[:2])[0]] = entry
        next_ifd = data[ifd + 2 + 12 * count : ifd + 6 + 12 * count]
        if not look:
            entries = {k: v for k, v in entries.items() if k not in LOOK_TABLE_TAGS}
        curve_at = len(data) + len(data) % 2
        curve = struct.pack(order + "4f", 0.0, 0.0, 1.0, 1.0)
        entries[TONE_CURVE] = struct.pack(order + "HHII", TONE_CURVE, 11, 4, curve_at)
        entries[BLACK_RENDER] = struct.pack(order + "HHII", BLACK_RENDER, 4, 1, 1)
        table = struct.pack(order + "H", len(entries))
        table += b"".join(entries[k] for k in sorted(entries)) + next_ifd
        f.seek(len(data))
        f.write(b"\0" * (curve_at - len(data)) + curve + table)
        f.seek(4)
        f.write(struct.pack(order + "I", curve_at + len(curve)))


def sdk_xyz(path: Path, folder: Path, look: bool) -> np.ndarray:
    """Adobe's linear rendering of ``path`` as XYZ (D65), float32."""
    import tifffile

    tools = os.environ.get("LSQ_TOOLS")
    if not tools or not (Path(tools) / "dng_reference").exists():
        pytest.skip("LSQ_TOOLS is not set (Adobe DNG SDK as dng_reference)")
    copy, out = folder / f"look{int(look)}.dng", folder / f"sdk{int(look)}.tif"
    linear_rendering_copy(path, copy, look)
    command = [Path(tools) / "dng_reference", "-16", "-lin", "-tif", out, copy]
    subprocess.run(command, check=True, capture_output=True, timeout=1200)
    prophoto = np.asarray(colour().RGB_COLOURSPACES["ProPhoto RGB"].matrix_RGB_to_XYZ)
    to_d65 = colour().adaptation.matrix_chromatic_adaptation_VonKries(
        colour().xy_to_XYZ(D50_XY), colour().xy_to_XYZ(D65_XY), transform="Bradford"
    )
    rgb = tifffile.imread(out).astype(np.float32) / 65535.0
    return rgb @ (to_d65 @ prophoto).T.astype(np.float32)


def block_means(xyz: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Means of BLOCK x BLOCK blocks and their spread of Y relative to the mean."""
    h, w = (xyz.shape[0] // BLOCK) * BLOCK, (xyz.shape[1] // BLOCK) * BLOCK
    b = xyz[:h, :w].reshape(h // BLOCK, BLOCK, w // BLOCK, BLOCK, 3)
    mean = b.mean(axis=(1, 3), dtype=np.float64)
    spread = b[..., 1].std(axis=(1, 3), dtype=np.float64) / np.maximum(mean[..., 1], 1e-9)
    return mean.reshape(-1, 3), spread.ravel()


@pytest.fixture(scope="module")
def developed(tmp_path_factory):
    """lsquared's linear Rec.2020 rendering of a sample as XYZ (D65), look on and off."""
    done: dict = {}

    def get(name: str, look: bool) -> np.ndarray:
        folder = os.environ.get("LSQ_SAMPLES")
        path = Path(folder or "") / "dng-sdk" / name
        if not folder or not path.exists():
            pytest.skip(f"{name} is not under LSQ_SAMPLES/dng-sdk")
        if (name, look) not in done:
            recipe = (
                Recipe()
                .replace("output", space="linear-rec2020")
                .replace("camera", look=look)
                .replace("lens", source=SAMPLES[name])
            )
            try:
                image = engine.load_source(path, recipe)
            except LsqError as e:
                pytest.skip(f"this build cannot decode {name}: {e}")
            pixels = engine.compile(recipe, image).apply(image).pixels
            to_xyz = np.asarray(colour().RGB_COLOURSPACES["ITU-R BT.2020"].matrix_RGB_to_XYZ)
            done[(name, look)] = (pixels @ to_xyz.T.astype(np.float32), path)
        return done[(name, look)]

    return get


@pytest.mark.parametrize(
    ("name", "look"),
    [(BAYER, True), (BAYER, False), (LINEAR, True)],
    ids=["bayer-look-on", "bayer-look-off", "linear-look-on"],
)
def test_final_rendering_matches_the_dng_sdk(name, look, developed, tmp_path):
    """Median CIEDE2000 <= 1.0 over flat 32 x 32 blocks, after one global gain (the linear
    raw carries the same profile as the Bayer one, so once with the LookTable is enough)."""
    ours, path = developed(name, look)
    before = sha256(path)
    sdk = sdk_xyz(path, tmp_path, look)
    if ours.shape != sdk.shape:  # the SDK renders the DefaultCrop area, centred
        dy, dx = (ours.shape[0] - sdk.shape[0]) // 2, (ours.shape[1] - sdk.shape[1]) // 2
        ours = ours[dy : dy + sdk.shape[0], dx : dx + sdk.shape[1]]
    ours_blocks, _ = block_means(ours)
    sdk_blocks, spread = block_means(sdk)
    flat = (spread < 0.03) & (sdk_blocks[:, 1] > 0.01) & (sdk_blocks.max(axis=1) < 0.9)
    assert flat.sum() >= 50, "too few flat regions to compare"
    a, b = ours_blocks[flat], sdk_blocks[flat]
    gain = np.sum(a[:, 1] * b[:, 1]) / np.sum(a[:, 1] ** 2)
    c = colour()
    de = c.delta_E(c.XYZ_to_Lab(gain * a, D65_XY), c.XYZ_to_Lab(b, D65_XY), method="CIE 2000")
    print(f"\n{name}, look {'on' if look else 'off'}: lsquared vs the DNG SDK final rendering, "
          f"CIEDE2000 median {np.median(de):.3f}, p95 {np.percentile(de, 95):.3f} over "
          f"{flat.sum()} flat blocks, gain {gain:.4f}")  # fmt: skip
    assert np.median(de) <= 1.0
    assert sha256(path) == before
