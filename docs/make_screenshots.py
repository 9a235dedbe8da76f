"""Screenshots of the notebook widgets for the README, taken in JupyterLab with
headless Chromium (the set-up of tests/test_browser.py).

    python docs/make_screenshots.py        # writes docs/sequence_browser.png, docs/flag_tuner.png
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "pzp-screenshots"
SHOTS = {  # notebook: (output file, a selector inside the widget to photograph)
    "01_depth_sequence.ipynb": ("sequence_browser.png", ".widget-play"),
    "03_flag_tuning.ipynb": ("flag_tuner.png", ".widget-select"),
}


def start_lab(tmp: Path) -> tuple:
    root = tmp / "root"
    root.mkdir()
    for name in SHOTS:
        shutil.copy(ROOT / "notebooks" / name, root)
    env = dict(os.environ)
    for name in ("JUPYTER_CONFIG_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR", "JUPYTERLAB_SETTINGS_DIR",
                 "JUPYTERLAB_WORKSPACES_DIR"):
        env[name] = str(tmp / name.lower())
    env["JUPYTER_DATA_DIR"] = str(Path(sys.prefix) / "share" / "jupyter")
    settings = tmp / "jupyterlab_settings_dir" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(json.dumps({"fetchNews": "false",
                                                                           "checkForUpdates": False}))
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", "--ServerApp.ip=127.0.0.1",
         "--ServerApp.port=0", "--ServerApp.port_retries=0", f"--IdentityProvider.token={TOKEN}",
         f"--ServerApp.root_dir={root}", "--LabApp.news_url=None"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    port = None
    while port is None:
        for info in Path(env["JUPYTER_RUNTIME_DIR"]).glob("jpserver-*.json"):
            port = json.loads(info.read_text()).get("port")
        time.sleep(0.2)
    url = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            urllib.request.urlopen(f"{url}/api/status?token={TOKEN}", timeout=5)
            break
        except OSError:
            time.sleep(0.2)
    return server, url


def run_notebook(page, url: str, name: str) -> None:
    page.goto(f"{url}/lab/tree/{name}?token={TOKEN}&reset", timeout=60_000)
    page.wait_for_function(
        """() => {
            const n = document.querySelector('.jp-KernelName, .jp-Toolbar-kernelName');
            return n && !/No Kernel/.test(n.textContent)
                && document.querySelector('.jp-Notebook-ExecutionIndicator[data-status="idle"]');
        }""", timeout=90_000)
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
    page.wait_for_function(
        """() => document.querySelector('.jp-Notebook-ExecutionIndicator[data-status="idle"]')
            && [...document.querySelectorAll('.jp-InputPrompt')].every(p => !p.textContent.includes('*'))""",
        timeout=180_000)


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        server, url = start_lab(Path(tmp))
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(executable_path=shutil.which("chromium"), headless=True,
                                            args=["--disable-gpu", "--no-sandbox"])
                page = browser.new_page(viewport={"width": 1300, "height": 1100})
                for name, (out, inside) in SHOTS.items():
                    run_notebook(page, url, name)
                    widget = page.locator(".jp-OutputArea-output", has=page.locator(inside)).first
                    widget.scroll_into_view_if_needed()
                    page.wait_for_timeout(1500)
                    widget.screenshot(path=str(ROOT / "docs" / out))
                    print("wrote", ROOT / "docs" / out)
                browser.close()
        finally:
            request = urllib.request.Request(f"{url}/api/shutdown", method="POST",
                                             headers={"Authorization": f"token {TOKEN}"})
            urllib.request.urlopen(request, timeout=10)
            server.wait(30)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
