"""The Datasets page in a real headless Chromium: a zip chosen in the browser's file input is uploaded to a
real Streamlit server, imported, and explored (AppTest fakes the upload; this does not)."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from conftest import ROOT
from dataset_archives import class_files, write_zip
from dragdl_core import datasets_store as store

CHROMIUM = "/usr/bin/chromium"
pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(180),
              pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's chromium")]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def page_server(python_env):
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(ROOT / "pages" / "datasets.py"),
                               "--server.headless", "true", "--server.port", str(port), "--server.address",
                               "127.0.0.1", "--browser.gatherUsageStats", "false"],
                              env=python_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                if urllib.request.urlopen(f"{url}/_stcore/health", timeout=1).read() == b"ok":
                    break
            except OSError:
                time.sleep(0.25)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_upload_in_the_browser_imports_and_explores(tmp_path, page_server):
    from playwright.sync_api import sync_playwright

    archive = write_zip(tmp_path / "pets.zip", {**class_files(("cat", "dog"), 8, size=24), "dog/x.txt": b"x"})
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        try:
            page = browser.new_page()
            page.goto(page_server)
            page.get_by_text("No datasets yet").wait_for(timeout=60_000)
            page.locator("input[type=file]").set_input_files(str(archive))
            page.get_by_text("pets.zip").first.wait_for()
            page.get_by_role("button", name="Import", exact=True).click()
            page.get_by_text("Imported pets: 2 classes, 16 images").wait_for(timeout=60_000)
            page.get_by_text("1 file(s) skipped").first.wait_for()
            page.locator(".js-plotly-plot").first.wait_for(timeout=60_000)
            assert page.get_by_text("cat-000.png").count() == 1  # a sample's caption
        finally:
            browser.close()
    assert store.describe("pets").classes == {"cat": 8, "dog": 8}
