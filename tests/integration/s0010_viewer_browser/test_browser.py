"""``lsq view`` end to end in Debian's Chromium (headless, driven by Selenium through the
system chromedriver; skipped when either is missing): a simulated DNG and a generated
V-Log clip; a look picked, a slider moved with the keyboard, the clip scrubbed; the pixels
the page displays (read back from the shown <img> through a canvas) equal ``lsq develop``
and ``lsq grade`` of the recipe the page shows, at the same size, within 1 code.

Screenshots go to ``$LSQ_ARTEFACTS`` (default ``artefacts/`` in the working folder, not
committed)."""

from __future__ import annotations

import base64
import os
import shutil
import tempfile
import time
from pathlib import Path

import imagecodecs
import numpy as np
import pytest

from tests.conftest import make_clip, run_lsq
from tests.viewer.test_server import start_view

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--window-size=1500,1100", "--force-device-scale-factor=1")  # fmt: skip

webdriver = pytest.importorskip("selenium.webdriver")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not (Path(CHROMIUM).is_file() and Path(CHROMEDRIVER).is_file()),
        reason="Chromium or chromedriver not installed (apt-get install chromium chromium-driver)",
    ),
]


def artefacts() -> Path:
    folder = Path(os.environ.get("LSQ_ARTEFACTS", "artefacts"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def browser():
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    profile = tempfile.mkdtemp(prefix="lsq-chromium-")
    options.add_argument(f"--user-data-dir={profile}")
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def page(tmp_path_factory, browser):
    from lsquared.simulate import simulate

    folder = tmp_path_factory.mktemp("viewed")
    simulate(folder / "chart.dng", width=600, height=400)
    make_clip(folder / "vlog.mov", frames=12, w=320, h=180, audio=False)
    process, url = start_view(folder, "--export-dir", tmp_path_factory.mktemp("exports"))
    browser.get(url)
    settle(browser)
    yield browser, folder
    process.terminate()
    process.wait(timeout=30)


def settle(driver, condition: str = "true", timeout: float = 180) -> None:
    """Wait until ``condition`` (JavaScript over the page's ``state``) holds and the page
    shows the image of its current file, recipe and frame."""
    script = (f"return Boolean(state.file && state.recipe && ({condition}) && "
              "document.body.dataset.rendered === "
              "`${state.file.id}:${state.recipe.id}:${state.frame}`)")  # fmt: skip
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if driver.execute_script(script):
            return
        time.sleep(0.1)
    raise AssertionError(
        driver.execute_script("return document.getElementById('status').textContent")
    )


def toml_has(text: str) -> str:
    return f"state.recipe.toml.includes({text!r})"


def displayed_pixels(driver) -> np.ndarray:
    """The shown image's pixels, drawn into a canvas and read back as PNG."""
    data = driver.execute_script("""
        const img = document.getElementById('after');
        const c = document.createElement('canvas');
        c.width = img.naturalWidth; c.height = img.naturalHeight;
        c.getContext('2d').drawImage(img, 0, 0);
        return c.toDataURL('image/png');""")
    return imagecodecs.png_decode(base64.b64decode(data.split(",", 1)[1]))[..., :3]


def choose(driver, element_id: str, value: str) -> None:
    from selenium.webdriver.support.ui import Select

    Select(driver.find_element("id", element_id)).select_by_value(value)


def press(driver, element_id: str, key: str, times: int) -> None:
    element = driver.find_element("id", element_id)
    element.click()
    for _ in range(times):
        element.send_keys(key)


def shown_recipe(driver, tmp_path: Path) -> Path:
    path = tmp_path / "shown.toml"
    path.write_text(driver.find_element("id", "toml").get_attribute("value"))
    return path


def test_photo_look_slider_equals_lsq_develop(page, tmp_path):
    from selenium.webdriver.common.keys import Keys

    driver, folder = page
    choose(driver, "look", "teal-orange")
    settle(driver, toml_has('name = "teal-orange"'))
    press(driver, "ev", Keys.ARROW_RIGHT, 6)  # the exposure slider, +0.30 EV
    settle(driver, toml_has("ev = 0.3"))
    recipe = shown_recipe(driver, tmp_path)
    assert 'name = "teal-orange"' in recipe.read_text()
    got = displayed_pixels(driver)
    driver.save_screenshot(str(artefacts() / "view-photo.png"))
    out = tmp_path / "developed.png"
    result = run_lsq(
        "develop", folder / "chart.dng", "-o", out, "--recipe", recipe, "--format", "png8"
    )
    assert result.returncode == 0, result.stderr
    expected = imagecodecs.imread(str(out))
    assert got.shape == expected.shape == (400, 600, 3)
    assert np.abs(got.astype(int) - expected.astype(int)).max() <= 1


def test_clip_scrubbed_equals_lsq_grade(page, tmp_path):
    driver, folder = page
    driver.find_element("css selector", "#filmstrip button[data-id='f1']").click()
    settle(driver, "state.file.id === 'f1'")
    for element_id, value, key in (("input", "vlog", "encoding"), ("output", "rec709", "space"),
                                   ("look", "warm-classic", "name")):  # fmt: skip
        choose(driver, element_id, value)
        settle(driver, toml_has(f'{key} = "{value}"'))
    for _ in range(3):  # frame-accurate stepping
        driver.find_element("id", "next").click()
    settle(driver, "state.frame === 3")
    got = displayed_pixels(driver)
    driver.save_screenshot(str(artefacts() / "view-clip.png"))
    recipe = shown_recipe(driver, tmp_path)
    out = tmp_path / "graded.mov"
    result = run_lsq("grade", folder / "vlog.mov", "-o", out, "--recipe", recipe, "--codec", "h264",
                     "--stills", "12")  # fmt: skip
    assert result.returncode == 0, result.stderr
    (named,) = tmp_path.glob("graded_t*_f000003.png")  # frame 3 (from 0) of the clip
    still = imagecodecs.imread(str(named)).astype(np.float64)
    expected = np.floor(still / 65535 * 255 + 0.5)
    assert got.shape == expected.shape == (180, 320, 3)
    if np.abs(got - expected).max() > 1:  # kept for a look at what differed
        imagecodecs.imwrite(str(artefacts() / "view-clip-shown.png"), got)
        imagecodecs.imwrite(str(artefacts() / "view-clip-expected.png"), expected.astype(np.uint8))
        (artefacts() / "view-clip.toml").write_text(recipe.read_text())
    assert np.abs(got - expected).max() <= 1


def test_compare_crop_and_every_scope_at_once(page):
    driver, _ = page
    driver.find_element("css selector", "#filmstrip button[data-id='f0']").click()
    settle(driver, "state.file.id === 'f0'")
    for box in driver.find_elements("css selector", "#scope-picks input:not(:checked)"):
        box.click()
    choose(driver, "compare", "side")
    settle(driver, "document.querySelectorAll('#scopes .scope').length === 6")
    sizes = driver.execute_script(
        "return ['before', 'after'].map((id) => { const r = document.getElementById(id)"
        ".getBoundingClientRect(); return [r.left, r.width, document.getElementById(id).naturalWidth]; })"
    )
    (before_left, before_width, before_natural), (after_left, _, after_natural) = sizes
    assert before_natural == after_natural > 0 and after_left >= before_left + before_width
    images = driver.execute_script(
        "return [...document.querySelectorAll('#scopes img')].map((i) => i.naturalWidth)"
    )
    assert len(images) == 5 and min(images) > 0  # and the histogram's canvas
    driver.find_element("id", "one-to-one").click()
    for _ in range(300):
        if driver.execute_script("return document.getElementById('crop').naturalWidth"):
            break
        time.sleep(0.1)
    crop = driver.execute_script(
        "const c = document.getElementById('crop'); return [c.naturalWidth, c.naturalHeight]"
    )
    assert crop == [512, 384]
    driver.save_screenshot(str(artefacts() / "view-compare.png"))
