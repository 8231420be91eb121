"""The Datasets page in a real headless Chromium: a zip chosen in the browser's file input is uploaded to a
real Streamlit server, imported, and explored (AppTest fakes the upload; this does not)."""
from __future__ import annotations

import os

import pytest

from conftest import ROOT
from dataset_archives import class_files, write_zip
from dragdl_core.stores import datasets as store
from ui_browser import CHROMIUM, CHROMIUM_ARGS, running_app

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(180),
              pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's chromium")]


@pytest.fixture
def page_server(tmp_path, isolated_home):
    """The Datasets page alone on a real Streamlit server, sharing this test's home and datasets folder."""
    with running_app(isolated_home, tmp_path / "datasets", tmp_path / "app.log",
                     script=ROOT / "pages" / "datasets.py") as url:
        yield url


def test_upload_in_the_browser_imports_and_explores(tmp_path, page_server):
    from playwright.sync_api import sync_playwright

    archive = write_zip(tmp_path / "pets.zip", {**class_files(("cat", "dog"), 8, size=24), "dog/x.txt": b"x"})
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
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
