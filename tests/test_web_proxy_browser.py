"""A class served by two app processes behind Caddy, in a real headless Chromium: sign in through the proxy,
edit the canvas, upload a dataset zip and a prediction image. Streamlit keeps a session's websocket state
and its uploaded files in one process, so every step here only works if Caddy's sticky cookie sends the
browser's websocket and its uploads to the same process."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from classroom import PASSWORD, write_class
from conftest import ROOT
from dataset_archives import class_files, write_zip
from dragdl_core.serving import proxy
from task_service import tiny_graph, wait_for
from ui_browser import CANVAS, CHROMIUM, CHROMIUM_ARGS, canvas, node, palette_item, running_instance, settle
from ui_fixtures import digit_png

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(600),
              pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's chromium")]


def test_a_student_works_through_the_proxy_with_two_app_processes(isolated_home, monkeypatch, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    config = write_class(isolated_home, monkeypatch)
    archive = write_zip(tmp_path / "pets.zip", class_files(("cat", "dog"), 8, size=24))
    graph = tmp_path / "tiny.json"
    graph.write_text(json.dumps(tiny_graph()))
    client_env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONWARNINGS="ignore", DRAGDL_CONFIG=str(config))
    client_env.pop("REDIS_URL", None)

    def cli(*args):
        return subprocess.run([sys.executable, "-m", "dragdl_core", "tasks", *args], env=client_env, cwd=ROOT,
                              capture_output=True, text=True, timeout=60)

    with running_instance(isolated_home, tmp_path / "up.log", app_processes=2,
                          extra=("--config", str(config))) as url, sync_playwright() as p:
        assert "2 process(es) behind Caddy" in (tmp_path / "up.log").read_text()
        submitted = cli("submit", str(graph), "--user", "ada", "--json")  # a model to predict with, later
        assert submitted.returncode == 0, submitted.stderr
        task_id = json.loads(submitted.stdout)["id"]

        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport={"width": 1500, "height": 1100})
            page = context.new_page()
            page.goto(url)
            page.get_by_label("User name").wait_for(timeout=90_000)
            page.get_by_role("textbox", name="User name").fill("ada")
            page.get_by_role("textbox", name="Password").fill(PASSWORD)
            page.get_by_role("button", name="Sign in").click()
            sidebar = page.locator('[data-testid="stSidebar"]')
            expect(sidebar.get_by_text("Signed in as")).to_contain_text("ada", timeout=90_000)

            # The canvas: palette clicks add connected nodes; a click on a node selects it for the panel.
            page.locator(CANVAS).wait_for(timeout=60_000)
            settle(page)
            for type_name in ("Digits", "Resize"):
                palette_item(page, type_name).click()
                settle(page)
            expect(node(page, "digits1")).to_be_visible(timeout=60_000)
            expect(node(page, "resize1")).to_be_visible(timeout=60_000)
            expect(canvas(page).locator(".react-flow__edge")).to_have_count(1)
            node(page, "digits1").click()
            settle(page)
            expect(page.get_by_role("heading", name="Digits · digits1")).to_be_visible(timeout=60_000)

            # A dataset zip, uploaded to the process that holds this session.
            sidebar.get_by_role("link", name="Datasets").click()
            settle(page)
            page.locator("input[type=file]").first.set_input_files(str(archive))
            page.get_by_text("pets.zip").first.wait_for(timeout=60_000)
            page.get_by_role("button", name="Import", exact=True).click()
            page.get_by_text("Imported pets: 2 classes, 16 images").wait_for(timeout=90_000)

            # A prediction image, once the instance's worker has trained the task.
            wait_for(lambda: json.loads(cli("status", task_id, "--json").stdout)["state"] == "succeeded", 240,
                     "the task to be trained by the instance's worker")
            sidebar.get_by_role("link", name="Predict").click()
            settle(page)
            page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
                [{"name": "three.png", "mimeType": "image/png", "buffer": digit_png(3)}])
            page.locator(".js-plotly-plot .pielayer").wait_for(timeout=120_000)
            assert page.get_by_text("as the model saw it").is_visible()
            assert proxy.STICKY_COOKIE in {c["name"] for c in context.cookies()}
        finally:
            browser.close()
    listed = subprocess.run([sys.executable, "-m", "dragdl_core", "datasets", "list", "--json"], env=client_env,
                            cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert "pets" in listed.stdout, listed.stderr
