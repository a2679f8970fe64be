"""The viewer's API through Starlette's test client: the same pixels as the engine's own
calls, caching, ids only (traversal, absolute paths, symlinks out, unknown ids: 404),
the token (403 without), exports only into the export folder and never over an input."""

from __future__ import annotations

import io
import os
import time

import imagecodecs
import numpy as np
import pytest

from lsquared import engine
from lsquared.io import video
from lsquared.pipeline.recipe import Recipe
from lsquared.viewer.app import create_app
from lsquared.viewer.files import collect
from lsquared.viewer.session import Session
from tests.conftest import make_clip, sha256

testclient = pytest.importorskip("starlette.testclient")


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    from lsquared.simulate import simulate

    root = tmp_path_factory.mktemp("view")
    simulate(root / "chart.dng", width=300, height=200)
    make_clip(root / "vlog.mov", frames=6, w=160, h=96, audio=False)
    outside = tmp_path_factory.mktemp("outside") / "secret.png"
    imagecodecs.imwrite(str(outside), np.full((4, 4, 3), 7, np.uint8))
    os.symlink(outside, root / "link.png")
    (root / "notes.txt").write_text("not shown")
    return root


@pytest.fixture(scope="module")
def client(folder, tmp_path_factory):
    session = Session(collect([folder]), tmp_path_factory.mktemp("exports"))
    app = create_app(session, token="tok")
    with testclient.TestClient(app) as c:
        c.session = session
        yield c


def _pixels(response) -> np.ndarray:
    from PIL import Image

    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/bmp"
    return np.asarray(Image.open(io.BytesIO(response.content)))


def test_files_lists_only_the_folders_own_files(client):
    files = client.get("/tok/api/files").json()["files"]
    assert [(f["id"], f["name"], f["kind"]) for f in files] == [
        ("f0", "chart.dng", "raw"),
        ("f1", "vlog.mov", "clip"),
    ]  # the symlink out of the folder and the .txt are not listed
    assert files[1]["frames"] == 6


@pytest.mark.parametrize("path", [
    "/api/files", "/to", "/tokx/api/files", "/static/app.js",
])  # fmt: skip
def test_without_the_token_is_403(client, path):
    response = client.get(path)
    assert response.status_code == 403 and b"BM" not in response.content[:2]


@pytest.mark.parametrize("path", [
    "/tok/api/render/f9", "/tok/api/render/..%2F..%2Fetc%2Fpasswd", "/tok/api/render//etc/passwd",
    "/tok/static/..%2F..%2Fengine.py", "/tok/api/render/f2",
    "/tok/api/recipe/0123", "/tok/api/job/j99", "/tok/api/clip/f0", "/tok/etc/passwd",
])  # fmt: skip
def test_paths_and_unknown_ids_are_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert b"root:" not in response.content and b"import" not in response.content


def test_symlink_out_of_a_folder_is_not_readable(folder):
    entries = collect([folder])
    assert all(e.path.parent == folder.resolve() for e in entries)
    assert "link.png" not in [e.path.name for e in entries]


def test_page_and_its_scripts_are_served(client):
    page = client.get("/tok/")
    assert page.status_code == 200 and "<html" in page.text
    assert client.get("/tok/static/app.js").status_code == 200


def test_preview_equals_develop_at_full_size_and_is_cached(client, folder, tmp_path):
    out = tmp_path / "d.png"
    engine.develop_file(folder / "chart.dng", out, Recipe().replace("output", format="png8"))
    expected = imagecodecs.imread(str(out))
    t0 = time.perf_counter()
    got = _pixels(client.get("/tok/api/render/f0?w=300&h=200"))
    np.testing.assert_array_equal(got, expected)
    first = time.perf_counter() - t0
    session = client.session
    rid = session.default_id
    assert session.render("f0", rid, 300, 200) is session.render("f0", rid, 300, 200)
    assert first > 0
    small = _pixels(client.get("/tok/api/render/f0?w=150&h=150"))
    assert small.shape == (100, 150, 3)
    notes = client.get("/tok/api/notes/f0").json()["notes"]
    assert notes and all("no lens correction" in n for n in notes)  # the simulated lens


def test_recipe_set_get_and_a_bad_recipe(client):
    toml = Recipe().replace("exposure", ev=0.5).to_toml()
    answer = client.post("/tok/api/recipe", content=toml).json()
    assert client.get(f"/tok/api/recipe/{answer['id']}").text == toml
    bad = client.post("/tok/api/recipe", content="[exposure]\nev = 99\n")
    assert bad.status_code == 400 and "out of range" in bad.json()["error"]
    lut = client.post("/tok/api/recipe", content='[look]\nlut = "/etc/passwd"\n')
    assert lut.status_code == 404


def test_crop_is_the_full_resolution_render_cut(client):
    full = _pixels(client.get("/tok/api/render/f0?w=300&h=200"))
    crop = _pixels(client.get("/tok/api/crop/f0?x=40&y=30&cw=64&ch=48"))
    np.testing.assert_array_equal(crop, full[30:78, 40:104])
    corner = _pixels(client.get("/tok/api/crop/f0?cx=1&cy=1&cw=64&ch=48"))
    np.testing.assert_array_equal(corner, full[-48:, -64:])  # kept inside the frame


def test_clip_frame_is_the_graded_frame(client, folder):
    recipe = Recipe().replace("input", encoding="vlog").replace("output", space="rec709")
    rid = client.post("/tok/api/recipe", content=recipe.to_toml()).json()["id"]
    frames = [f for f, _ in video.read_frames(folder / "vlog.mov")]
    info = video.probe(folder / "vlog.mov")
    processor, *_ = engine.clip_processor(folder / "vlog.mov", info, recipe)
    for n in (4, 1):  # backwards too: each seek is frame accurate
        got = _pixels(client.get(f"/tok/api/render/f1?recipe={rid}&frame={n}"))
        np.testing.assert_array_equal(got, processor.apply_array(frames[n], 8))
    assert client.get(f"/tok/api/render/f1?recipe={rid}&frame=6").status_code == 400


def test_scopes_answer(client):
    for kind in ("waveform", "parade", "vectorscope", "falsecolour", "zebras"):
        image = _pixels(client.get(f"/tok/api/scope/{kind}/f0?w=300&h=200&matrix=rec2020"))
        assert image.size > 0
    hist = client.get("/tok/api/scope/histogram/f0?w=300&h=200").json()
    assert sum(hist["luma"]) == 300 * 200
    assert client.get("/tok/api/scope/nope/f0").status_code == 404
    graticule = client.get("/tok/api/graticule?matrix=rec709").json()
    assert len(graticule["targets75"]) == 6


def test_exports_go_into_the_export_folder_only(client, folder):
    session = client.session
    before = {p: sha256(p) for p in folder.iterdir() if p.is_file()}
    rid = session.default_id
    a = client.post("/tok/api/export/recipe", json={"recipe": rid}).json()["path"]
    b = client.post("/tok/api/export/recipe", json={"recipe": rid}).json()["path"]
    assert a != b and {os.path.dirname(a), os.path.dirname(b)} == {str(session.export_dir)}
    still = client.post("/tok/api/export/still", json={"file": "f0", "format": "png8"}).json()
    assert os.path.dirname(still["path"]) == str(session.export_dir)
    vlt = client.post("/tok/api/export/vlt", json={"recipe": rid, "input": "vlog"}).json()
    assert vlt["path"].endswith(".vlt") and vlt["fidelity_1023"] > 0
    job = client.post("/tok/api/export/clip", json={"file": "f1", "codec": "h264"}).json()
    state = _finished(client, job["id"])
    assert state["state"] == "done" and state["done"] == state["total"] == 6
    assert video.probe(state["output"]).frames == 6
    scene = session.add_recipe(Recipe().replace("output", space="acescg"))
    job = client.post("/tok/api/export/clip", json={"file": "f1", "recipe": scene}).json()
    state = _finished(client, job["id"])
    assert state["state"] == "failed" and "not a video display space" in state["error"]
    assert {p: sha256(p) for p in folder.iterdir() if p.is_file()} == before


def _finished(client, job_id: str) -> dict:
    for _ in range(1200):
        state = client.get(f"/tok/api/job/{job_id}").json()
        if state["state"] != "running":
            return state
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} still running")


def test_exports_never_overwrite_an_input(folder):
    session = Session(collect([folder]), folder)
    path = session.export_still("f0", session.default_id, "png8")
    assert path.parent == folder.resolve() and path.name == "chart.png"
    again = session.export_still("f0", session.default_id, "png8")
    assert again.name == "chart-1.png"
    for p in (path, again):
        p.unlink()


def test_images_are_untagged(client):
    from PIL import Image

    response = client.get("/tok/api/render/f0?w=100&h=100")
    assert "icc_profile" not in Image.open(io.BytesIO(response.content)).info


def test_a_lut_file_given_is_a_look(tmp_path):
    from lsquared.looks.files import write_lut
    from lsquared.simulate import simulate

    simulate(tmp_path / "c.dng", width=90, height=60)
    lut = engine.bake_lut(engine.with_look_name(Recipe(), "faded-film"), "rec709", 17)
    write_lut(lut, tmp_path / "faded.cube")
    session = Session(collect([tmp_path]), tmp_path)
    assert [e.kind for e in session.entries] == ["raw", "lut"]
    assert session.looks()["luts"][0]["id"] == "f1"
    rid = session.change_recipe(session.default_id, {"look": {"lut_input": "srgb"}}, "lut:f1")
    recipe = session.get_recipe(rid)
    assert recipe.look.lut == str((tmp_path / "faded.cube").resolve()) and not recipe.look.name
    plain = session.render("f0", session.default_id, 90, 60)
    assert np.abs(session.render("f0", rid, 90, 60).astype(int) - plain).max() > 4
    with pytest.raises(LookupError):
        session.change_recipe(rid, {}, "lut:f0")  # a RAW is not a LUT


def test_thumbnails_do_not_push_out_the_file_in_view(folder, tmp_path):
    session = Session(collect([folder]), tmp_path)
    rid = session.default_id
    caches = (session._decoded, session._sources, session._renders)
    thumb = session.render("f0", rid, 120, 80)
    assert thumb.shape == (80, 120, 3) and [len(c._items) for c in caches] == [0, 0, 0]
    session.render("f0", rid, 290, 190)
    assert [len(c._items) for c in caches] == [1, 1, 1]
    session.render("f0", rid, 120, 80)
    assert [len(c._items) for c in caches] == [1, 1, 1]


def test_encodings_and_looks_lists(client):
    from lsquared.color import encodings
    from lsquared.looks import catalog
    from lsquared.pipeline import recipe as rc

    enc = client.get("/tok/api/encodings").json()
    assert set(enc["output"]) == set(rc.OUTPUT_SPACES) and "vlog" in enc["input"]
    assert enc["video_output"] == list(encodings.names("video"))
    looks = client.get("/tok/api/looks").json()
    assert [look["name"] for look in looks["builtin"]] == catalog.names()


def test_a_control_change_reuses_the_lens_corrected_source(tmp_path):
    """A DNG with its lens corrections embedded (OpcodeList3): the preview after an
    exposure change runs only the point ops on the kept corrected source, a lens change
    corrects again, and each preview equals the whole compiled program on the scaled
    decode."""
    from lsquared.simulate import Vignetting, Warp, simulate
    from lsquared.viewer.session import downscale

    warp = Warp(((1.0, 0.0, 0.021, 0.0), (1.0, 0.0, 0.02, 0.0), (1.0, 0.0, 0.019, 0.0)))
    simulate(tmp_path / "lens.dng", width=450, height=300, warp=warp,
             vignetting=Vignetting((0.4, 0.1, 0, 0, 0)), embed_opcodes=True)  # fmt: skip
    session = Session(collect([tmp_path / "lens.dng"]), tmp_path)
    base = session.default_id
    brighter = session.change_recipe(base, {"exposure": {"ev": 0.5}})
    bilinear = session.change_recipe(brighter, {"lens": {"filter": "bilinear"}})
    image = engine.load_source(tmp_path / "lens.dng")
    small = downscale(image.pixels, 300, 200)
    kept = []
    for rid in (base, brighter, bilinear):
        shown = session.render("f0", rid, 300, 300)
        kept.append(len(session._corrected._items))
        metadata = image.metadata.with_(image_size=(300, 200))
        whole = engine.compile(session.get_recipe(rid), metadata, image.encoding)
        assert whole.program.geometry
        assert np.array_equal(shown, whole.apply_array(small, 8))
    assert kept == [1, 1, 2]
