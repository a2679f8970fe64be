"""``lsq lut bake`` says what it does (issue 13 item 10), and a built-in look with a LUT
file is refused rather than applied in an order nobody stated."""

from __future__ import annotations

import numpy as np
import pytest

from lsquared import engine
from lsquared.errors import RecipeError
from lsquared.looks import cube
from lsquared.looks.files import read_lut
from lsquared.looks.lut import Lut
from lsquared.pipeline.recipe import Recipe
from tests.conftest import run_lsq


def test_vlt_bake_reports_no_comment_the_user_never_gave(tmp_path):
    out = tmp_path / "a.vlt"
    result = run_lsq("lut", "bake", "--look", "teal-orange", "--input", "vlog", "-o", out)
    assert result.returncode == 0, result.stderr
    assert "comment" not in result.stderr
    assert read_lut(out).size == 17


def test_vlt_with_another_size_is_refused_and_writes_nothing(tmp_path):
    out = tmp_path / "a.vlt"
    result = run_lsq("lut", "bake", "--size", "65", "-o", out)
    assert result.returncode == 2 and not out.exists()
    assert result.stderr.strip() == "lsq: --size: 65: a .vlt is always 17 points; omit --size"


def test_look_and_recipe_together_are_refused(tmp_path):
    recipe = tmp_path / "r.toml"
    recipe.write_text("schema = 1\n")
    result = run_lsq("lut", "bake", "--look", "faded-film", "--recipe", recipe,
                     "-o", tmp_path / "a.cube")  # fmt: skip
    assert result.returncode == 2 and "--look or --recipe" in result.stderr


def test_look_and_lut_together_are_refused_with_one_line(tmp_path, sim_dng):
    lut = tmp_path / "l.cube"
    assert run_lsq("lut", "bake", "--size", "17", "-o", lut).returncode == 0
    recipe = Recipe().replace("look", name="warm-classic", lut=str(lut))
    with pytest.raises(RecipeError, match=r"\(--look\) and the LUT .* \(--lut\)"):
        engine.validate_recipe(recipe)
    out = tmp_path / "o.tif"
    result = run_lsq("develop", sim_dng.path, "-o", out, "--look", "warm-classic", "--lut", lut)
    assert result.returncode == 2 and not out.exists()
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("lsq: [look]: ")


def test_report_prints_the_fidelity_of_the_file_written(tmp_path):
    out = tmp_path / "n.cube"
    result = run_lsq("lut", "bake", "--look", "neutral", "-o", out, "--report")
    assert result.returncode == 0, result.stderr
    (line,) = [ln for ln in result.stdout.splitlines() if ln.strip().startswith("tetrahedral")]
    p99, peak = float(line.split()[2]), float(line.split()[4])
    assert 0.0 < p99 <= 0.5 and p99 <= peak <= 2.0
    assert "beyond" not in result.stderr


def test_report_warns_where_a_harsh_recipe_cannot_survive_17_points(tmp_path):
    """A steep grade (slope 3 in ACEScct) is more than 17 nodes can carry: the report says
    so, and where."""
    recipe = tmp_path / "harsh.toml"
    recipe.write_text(
        "schema = 1\n[grade]\nslope = [3.0, 3.0, 3.0]\noffset = [-0.827, -0.827, -0.827]\n"
    )
    result = run_lsq("lut", "bake", "--recipe", recipe, "-o", tmp_path / "h.vlt", "--report")
    assert result.returncode == 0, result.stderr
    assert "trilinear" in result.stdout
    assert "beyond p99 1.5 / max 4 for a .vlt, mostly in " in result.stderr


def test_convert_report_says_where_a_user_lut_cannot_survive_17_points(tmp_path):
    """A user's 33^3 LUT with a steep shadow contrast (a logistic step at V-Log 0.3, 1/60
    wide) loses it at 17 points: the report measures the .vlt against the .cube and warns,
    naming the region."""
    g = np.linspace(0, 1, 33)
    grid = np.stack(np.meshgrid(g, g, g, indexing="ij"), -1)
    table = 1 / (1 + np.exp(-(grid - 0.3) * 60))
    src = tmp_path / "steep.cube"
    src.write_text(cube.dumps(Lut(table=table)))
    result = run_lsq("lut", "convert", src, tmp_path / "steep.vlt", "--input", "vlog",
                     "--report")  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "against steep.cube" in result.stdout and "trilinear" in result.stdout
    assert "beyond p99 1.5 / max 4 for a .vlt, mostly in " in result.stderr


def test_look_export_to_recipe_and_cube(tmp_path):
    """The recipe export reloads as the look; the cube export is what lut bake writes."""
    from lsquared.pipeline import recipe as rc

    toml = tmp_path / "t.toml"
    assert run_lsq("look", "export", "teal-orange", "--to", "recipe", "-o", toml).returncode == 0
    loaded = rc.load(toml)
    builtin = engine.with_look_name(Recipe(), "teal-orange")
    assert loaded.grade == builtin.grade and loaded.display == builtin.display
    exported, baked = tmp_path / "e.cube", tmp_path / "b.cube"
    assert run_lsq("look", "export", "teal-orange", "--to", "cube", "-o", exported).returncode == 0
    assert run_lsq("lut", "bake", "--look", "teal-orange", "-o", baked).returncode == 0
    assert np.array_equal(read_lut(exported).table, read_lut(baked).table)
    wrong = run_lsq("look", "export", "teal-orange", "--to", "vlt", "-o", tmp_path / "x.cube")
    assert wrong.returncode == 2 and "writes a .vlt file" in wrong.stderr
