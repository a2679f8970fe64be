"""Start-up: a command imports only what it uses (checked in ``sys.modules`` of a fresh
interpreter, so the machine's load cannot change the outcome; no timings)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import tifffile

from lsquared.looks.cube import dumps
from lsquared.looks.lut import Lut

HEAVY = ("colour", "scipy", "PyOpenColorIO", "av", "dask", "numba", "lensfunpy", "matplotlib")

RUN_CLI = """
import json, sys
watched = json.loads(sys.argv[2])
sys.argv = ["lsq", *json.loads(sys.argv[1])]
from lsquared.cli.app import main
try:
    main()
except SystemExit:
    pass
print(json.dumps(sorted(m for m in watched if m in sys.modules)), file=sys.stderr)
"""


def loaded_after(args: list[str], watched=HEAVY) -> list[str]:
    """Which of ``watched`` a fresh ``lsq ARGS`` process has imported when it finishes."""
    proc = subprocess.run(
        [sys.executable, "-c", RUN_CLI, json.dumps(args), json.dumps(watched)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    return json.loads(proc.stderr.strip().splitlines()[-1])


def test_help_imports_no_heavy_library():
    assert loaded_after(["--help"]) == []
    assert loaded_after(["develop", "--help"]) == []


def test_lut_apply_imports_only_what_applying_a_lut_needs(tmp_path):
    """``lsq lut apply`` runs the LUT through OpenColorIO (``looks.ocio``): no numba (its
    import and cached code cost more than the pass), no colour-science, no RAW decoder, not
    the engine and its recipe compiler, nor the other command groups' modules."""
    lattice = np.stack(np.meshgrid(*[np.linspace(0, 1, 3)] * 3, indexing="ij"), axis=-1)
    (tmp_path / "x.cube").write_text(dumps(Lut(table=lattice**0.5)))
    tifffile.imwrite(tmp_path / "in.tif", np.full((4, 6, 3), 1000, np.uint16), photometric="rgb")
    args = ["lut", "apply", str(tmp_path / "in.tif"), "--lut", str(tmp_path / "x.cube")]
    watched = (*HEAVY, "scipy.linalg", "rawpy", "lsquared.engine", "lsquared.pipeline.compiler",
               "lsquared.cli.lens", "lsquared.cli.batch", "lsquared.optics.profile")  # fmt: skip
    loaded = loaded_after([*args, "-o", str(tmp_path / "out.tif")], watched)
    assert (tmp_path / "out.tif").exists()
    assert loaded == ["PyOpenColorIO"]  # the LUT ran there: the check is not vacuous


def test_colour_science_loads_without_matplotlib_and_plotting_still_imports():
    code = (
        "import sys\n"
        "from lsquared.color._colour import colour\n"
        "colour().xy_to_UCS_uv([0.3127, 0.329])\n"
        "print('matplotlib' in sys.modules)\n"
        "import colour.plotting\n"
        "print(callable(colour.plotting.plot_single_colour_swatch))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert out.stdout.split() == ["False", "True"], out.stderr


def test_develop_does_not_import_colour_science_or_scipy_linalg(tmp_path):
    """A develop's colour path (spaces, adaptation, Robertson CCT) is written out in
    ``lsquared.color``, and numba's BLAS check is met by ``kernels.numba_start``."""
    from lsquared import simulate

    dng = tmp_path / "shot.dng"
    simulate.simulate(dng, width=96, height=64)
    out = tmp_path / "out.tif"
    args = ["develop", str(dng), "-o", str(out), "--format", "tif16"]
    loaded = loaded_after(args, (*HEAVY, "scipy.linalg"))
    assert out.exists()
    assert "numba" in loaded  # the kernels ran: the check below is not vacuous
    assert not {"colour", "scipy.linalg", "matplotlib", "av", "dask"} & set(loaded)


COUNT_THREADS = """
import sys
import lsquared.cli.app
status = open("/proc/self/status").read()
print(status.split("Threads:")[1].split()[0])
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
@pytest.mark.parametrize(("asked", "threads"), [(None, "1"), ("2", "2")])
def test_the_command_line_starts_no_blas_threads_unless_asked(asked, threads):
    """numpy's OpenBLAS starts a thread per core at import; the command line asks for one
    (no lsq command has BLAS work for more), unless the user sets OPENBLAS_NUM_THREADS."""
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    env |= {"OPENBLAS_NUM_THREADS": asked} if asked else {}
    proc = subprocess.run([sys.executable, "-c", COUNT_THREADS], capture_output=True,
                          text=True, env=env, timeout=600)  # fmt: skip
    assert proc.stdout.split() == [threads], proc.stderr
