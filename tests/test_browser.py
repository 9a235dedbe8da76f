"""End to end in a real browser: JupyterLab on a local port, notebook 1 run in
headless Chromium (Debian's package, driven by Playwright), the SequenceBrowser
showing frames and following its slider.

Skips only when Chromium cannot start."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

playwright_api = pytest.importorskip("playwright.sync_api")
pytest.importorskip("jupyterlab")

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "01_depth_sequence.ipynb"
TOKEN = "pzp-browser-test"
FETCH_BYTES = """async (img) => {
    const response = await fetch(img.src);
    return Array.from(new Uint8Array(await response.arrayBuffer()));
}"""


def expected_images() -> dict:
    """The PNG bytes the notebook's browser must show, made here by the same code."""
    from napari_pzp import PZPStack, write_layer  # noqa: F401
    from napari_pzp._sample_data import nuclei_labels, nuclei_stack
    from napari_pzp.widgets import SequenceBrowser

    (volume, _, _), = nuclei_stack()
    (labels, _, _), = nuclei_labels()
    browser = SequenceBrowser(volume, companion=labels * 12)
    shown = {}
    for k in range(len(volume)):
        browser.slider.value = k
        shown[hashlib.sha256(bytes(browser.image.value)).hexdigest()] = k
    return shown


@pytest.fixture()
def lab(tmp_path):
    """JupyterLab serving a copy of notebook 1, with everything it writes kept in tmp_path."""
    root = tmp_path / "root"
    root.mkdir()
    shutil.copy(NOTEBOOK, root)
    interval = os.environ.get("PZP_PLAY_INTERVAL_MS")  # to measure Play's ceiling: e.g. 10
    if interval:
        copy = root / NOTEBOOK.name
        text = copy.read_text().replace("companion=labels * 12)", f"companion=labels * 12, interval_ms={int(interval)})")
        copy.write_text(text)
    env = dict(os.environ)
    for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR",
                 "JUPYTERLAB_SETTINGS_DIR", "JUPYTERLAB_WORKSPACES_DIR"):
        env[name] = str(tmp_path / name.lower())
    settings = tmp_path / "jupyterlab_settings_dir" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false",
                                                                           "checkForUpdates": False}))
    env["JUPYTER_DATA_DIR"] = str(Path(sys.prefix) / "share" / "jupyter")  # the venv's lab extensions
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", "--ServerApp.ip=127.0.0.1",
         "--ServerApp.port=0", "--ServerApp.port_retries=0", f"--IdentityProvider.token={TOKEN}",
         f"--ServerApp.root_dir={root}", "--LabApp.news_url=None", "--LabApp.extension_manager=readonly"],
        env=env, stdout=subprocess.DEVNULL, stderr=open(tmp_path / "lab.log", "w"), start_new_session=True)
    runtime = Path(env["JUPYTER_RUNTIME_DIR"])
    port = None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and port is None:
        if server.poll() is not None:
            pytest.fail(f"JupyterLab exited: {(tmp_path / 'lab.log').read_text()[-2000:]}")
        for info in runtime.glob("jpserver-*.json"):
            port = json.loads(info.read_text()).get("port")
        time.sleep(0.2)
    assert port, "JupyterLab did not start"
    url = f"http://127.0.0.1:{port}"
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{url}/api/status?token={TOKEN}", timeout=5)
            break
        except OSError:
            time.sleep(0.2)
    yield url, root, tmp_path
    request = urllib.request.Request(f"{url}/api/shutdown", method="POST",
                                     headers={"Authorization": f"token {TOKEN}"})
    try:
        urllib.request.urlopen(request, timeout=10)
        server.wait(20)
    except (OSError, subprocess.TimeoutExpired):
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(10)
    assert server.poll() is not None


def start_browser(playwright, tmp_path):
    executable = shutil.which("chromium") or shutil.which("chromium-browser")
    if executable is None:
        pytest.skip("Chromium is not installed (Debian package 'chromium')")
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"),
           "XDG_CACHE_HOME": str(home / ".cache")}
    try:
        return playwright.chromium.launch(executable_path=executable, headless=True, env=env,
                                          args=["--disable-gpu", "--disable-quic", "--no-sandbox"])
    except Exception as e:  # noqa: BLE001 - the one reason this test may skip
        pytest.skip(f"Chromium cannot start here: {e}")


def wait_for_frame(page, expected: dict, frame: int) -> None:
    """Until the slider reads frame and the image shown is that frame's PNG."""
    page.wait_for_function(
        f"""() => [...document.querySelectorAll('.widget-readout')].some(r => r.textContent.trim() === '{frame}')""",
        timeout=120_000)
    deadline = time.monotonic() + 60
    while expected.get(hashlib.sha256(shown_image(page)).hexdigest()) != frame:
        assert time.monotonic() < deadline, f"the browser never showed frame {frame}"
        time.sleep(0.2)


def shown_image(page) -> bytes:
    image = page.locator(".widget-image").first
    return bytes(image.evaluate(FETCH_BYTES))


def test_sequence_browser_in_jupyterlab(lab):
    url, root, tmp_path = lab
    expected = expected_images()
    with playwright_api.sync_playwright() as p:
        browser = start_browser(p, tmp_path)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{url}/lab/tree/{NOTEBOOK.name}?token={TOKEN}&reset", timeout=60_000)
            # a kernel attached and idle (the indicator says idle before the kernel exists)
            page.wait_for_function(
                """() => {
                    const name = document.querySelector('.jp-KernelName, .jp-Toolbar-kernelName');
                    const idle = document.querySelector('.jp-Notebook-ExecutionIndicator[data-status="idle"]');
                    return name && !/No Kernel/.test(name.textContent) && idle;
                }""", timeout=90_000)
            page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
            page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
            page.wait_for_selector(".widget-image", timeout=120_000)
            wait_for_frame(page, expected, 6)  # the notebook's last cell moved the slider to frame 6
            page.screenshot(path=str(tmp_path / "browser-frame6.png"))
            # move the slider as a user does: its handle, two arrow keys
            page.locator(".noUi-handle").first.focus()
            page.keyboard.press("ArrowRight")
            page.keyboard.press("ArrowRight")
            wait_for_frame(page, expected, 8)
            screenshot = tmp_path / "browser-frame8.png"
            page.screenshot(path=str(screenshot))
            assert screenshot.stat().st_size > 10_000
            fps = play_rate(page)
            (tmp_path / "play_fps.txt").write_text(f"{fps:.2f}\n")
            print(f"Play sustained {fps:.1f} frames/s in the browser (10 asked for)")
            assert fps > 0  # frames kept arriving while playing
        finally:
            browser.close()


def play_rate(page, seconds: float = 4.0) -> float:
    """Frames per second arriving in the browser while Play runs (the notebook's
    container loops forever, so Play repeats; its interval comes from the
    100 ms delays: at most 10 frames per second are asked for)."""
    buttons = page.locator(".widget-play button")
    buttons.first.click()  # play
    page.wait_for_timeout(1000)  # let it settle
    page.evaluate("""() => {
        window.pzpFrames = [];
        const image = document.querySelector('.widget-image');
        new MutationObserver(() => window.pzpFrames.push(performance.now()))
            .observe(image, {attributes: true, attributeFilter: ['src']});
    }""")
    page.wait_for_timeout(int(seconds * 1000))
    times = page.evaluate("() => window.pzpFrames")
    buttons.nth(1).click()  # pause
    if len(times) < 2:
        return 0.0
    return (len(times) - 1) / ((times[-1] - times[0]) / 1000)
