"""End to end in a real headless Chromium against the real app: build a Digits CNN from an empty canvas
with the palette and a dragged edge, see a bad parameter marked on its node and fix it, train it for one
epoch, watch it on Tasks and Monitor, and classify an uploaded image on Predict. Screenshots of every step
go to artifacts/ui/ (git-ignored). Run: `python -m pytest -m browser tests/test_ui_e2e.py`."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT, tiny_digits_graph
from ui_fixtures import digit_png
from ui_browser import CANVAS, CHROMIUM, CHROMIUM_ARGS, app_with_redis, canvas, drag_edge, node, palette_item, settle

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"needs Debian chromium at {CHROMIUM}")]

ARTIFACTS = ROOT / "artifacts" / "ui"
CHAIN = ["Digits", "Resize", "Normalize", "Conv2D", "ReLU", "MaxPool2D", "ClassifierHead"]



def shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), timeout=90_000)  # fonts load slowly under load


def _start_worker(env: dict, base: Path):
    worker = subprocess.Popen([sys.executable, "-m", "dragdl_core", "worker", "--workers", "1", "--threads", "1",
                               "--home", env["DRAGDL_HOME"]], cwd=ROOT, env=env,
                              stdout=open(base / "worker.log", "w"), stderr=subprocess.STDOUT)
    return lambda: (worker.terminate(), worker.wait(30))


@pytest.fixture(scope="module")
def instance(tmp_path_factory):
    """The app on a free loopback port with its own home, plus Redis and one worker."""
    with app_with_redis(tmp_path_factory.mktemp("ui"), prepare=_start_worker) as app:
        yield app


@pytest.fixture(scope="module")
def browser_tab(instance):
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        tab = browser.new_page(viewport={"width": 1500, "height": 1300})
        tab.set_default_timeout(30_000)
        yield tab
        browser.close()


@pytest.fixture
def page(browser_tab, request):
    """The shared tab; when a test fails, a screenshot of where it stood goes to artifacts/ui/."""
    failed_before = request.session.testsfailed
    yield browser_tab
    if request.session.testsfailed > failed_before:
        shot(browser_tab, f"failed-{request.node.name}")


def add_from_palette(page, type_name: str) -> None:
    before = canvas(page).locator(".react-flow__node").count()
    palette_item(page, type_name).click()
    canvas(page).locator(".react-flow__node").nth(before).wait_for()
    page.mouse.move(700, 5)  # away from the palette, so its tooltip does not cover the screenshots
    settle(page)


def set_text(page, label: str, value: str) -> None:
    field = page.get_by_label(label, exact=True)
    field.fill(value)
    field.press("Enter")
    settle(page)


def test_build_a_digits_cnn_on_the_canvas(page, instance):
    page.goto(instance["url"])
    page.locator(CANVAS).wait_for()
    settle(page)
    assert canvas(page).locator(".react-flow__node").count() == 0
    for type_name in CHAIN:  # each is added after the one just added (it stays selected), connected
        add_from_palette(page, type_name)
    assert canvas(page).locator(".react-flow__edge").count() == len(CHAIN) - 1
    expect(node(page, "conv1")).to_contain_text("16×32×32")  # shapes on the labels while building
    shot(page, "01-chain-from-palette")

    frame = page.locator(CANVAS).bounding_box()  # a click on the empty canvas deselects (so does Deselect)
    page.mouse.click(frame["x"] + frame["width"] - 40, frame["y"] + 40)
    settle(page)
    page.get_by_text("Select a node on the canvas").wait_for()
    add_from_palette(page, "Trainer")  # nothing selected: added unconnected
    expect(node(page, "trainer1")).to_contain_text("nothing leads to the Trainer")
    shot(page, "02-trainer-unconnected")

    drag_edge(page, "head1", "trainer1")
    canvas(page).locator(".react-flow__edge").nth(len(CHAIN) - 1).wait_for(state="attached")
    settle(page)
    page.get_by_text("Valid: 8 nodes").wait_for()
    expect(node(page, "trainer1")).not_to_contain_text("⚠")
    shot(page, "03-connected-by-dragging")

    node(page, "resize1").click()
    settle(page)
    page.get_by_role("heading", name="Resize · resize1").wait_for()
    page.get_by_text("Sample images after this node").wait_for()
    page.locator('[data-testid="stImage"] img').first.wait_for()  # the preview of the resized digits
    set_text(page, "size", "0, 16")
    expect(node(page, "resize1")).to_contain_text("Resize.size must be 1..4096, got 0")
    expect(page.get_by_role("button", name="Train", exact=True)).to_be_disabled()
    shot(page, "04-bad-parameter-marked")

    set_text(page, "size", "16, 16")
    expect(node(page, "resize1")).not_to_contain_text("⚠")
    expect(node(page, "resize1")).to_contain_text("1×16×16")
    shot(page, "05-parameter-fixed")

    node(page, "trainer1").click()
    settle(page)
    set_text(page, "epochs", "1")
    expect(node(page, "trainer1")).to_contain_text("epochs=1 → 10")
    node(page, "conv1").click()
    settle(page)
    page.get_by_text("Model summary").wait_for()
    shot(page, "06-model-summary")

    page.get_by_role("tab", name="Code").click()
    page.get_by_text("nn.Conv2D(1, 16, kernel_size=3").first.wait_for()
    shot(page, "07-code-tab")
    page.get_by_role("tab", name="Canvas").click()


@pytest.mark.timeout(600)
def test_train_watch_and_predict(page, instance):
    page.get_by_role("button", name="Train", exact=True).click()
    page.wait_for_url("**/monitor")
    page.get_by_text("Test report", exact=False).wait_for(timeout=300_000)
    shot(page, "08-monitor-finished")
    _check_tasks_monitor_predict(page, instance["url"], "queued")


@pytest.mark.timeout(300)
def test_watch_and_predict_a_run_from_disk(page, instance, python_env, monkeypatch):
    """Runs trained from the command line into the user's runs folder show up too (read-only). The tasks the
    service knows are deleted first, so the finished run these pages show can only be the one from disk."""
    from dragdl_core import tasks

    monkeypatch.setenv("DRAGDL_HOME", str(instance["home"]))       # the instance's home, where its runs are
    for task in tasks.list_tasks():
        tasks.delete(task["id"])
    assert tasks.list_tasks() == [] and not list((instance["home"] / "runs").glob("*/*"))
    graph_path = instance["home"] / "graph.json"
    graph_path.write_text(json.dumps(tiny_digits_graph(epochs=1)))
    run_dir = instance["home"] / "runs" / "local" / "cli-run"
    subprocess.run([sys.executable, "-m", "dragdl_core", "run", str(graph_path), "--run-dir", str(run_dir)],
                   cwd=ROOT, env=python_env, check=True, capture_output=True)
    page.goto(f"{instance['url']}/tasks")
    settle(page)
    page.locator('[role="gridcell"]', has_text="cli-run").first.wait_for(state="attached")
    _check_tasks_monitor_predict(page, instance["url"], "from-disk")


def _check_tasks_monitor_predict(page, url: str, kind: str) -> None:
    page.goto(f"{url}/tasks")
    settle(page)
    # the table draws on a canvas; its cells are mirrored in an accessible grid
    page.locator('[role="gridcell"]', has_text="succeeded").first.wait_for(state="attached")
    shot(page, f"09-tasks-{kind}")

    page.goto(f"{url}/monitor")
    settle(page)
    page.get_by_text("Test report").wait_for()
    expect(page.get_by_test_id("stPlotlyChart")).to_have_count(3, timeout=60_000)  # loss, accuracy, confusion
    expect(page.locator(".js-plotly-plot .heatmaplayer")).to_have_count(1, timeout=60_000)
    page.get_by_text("Misclassified test images").scroll_into_view_if_needed()
    shot(page, f"10-monitor-report-{kind}")

    page.goto(f"{url}/predict")
    settle(page)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(
        [{"name": "three.png", "mimeType": "image/png", "buffer": digit_png(3)}])
    page.locator(".js-plotly-plot .pielayer").wait_for(timeout=60_000)
    settle(page)
    assert page.get_by_text("as the model saw it").is_visible()
    shot(page, f"11-predict-pie-{kind}")


def test_a_local_edit_keeps_the_page_and_new_and_undo_redraw_it(page, instance):
    """Palette clicks and tools rerun the workbench fragment alone (pages/build.py); what is drawn outside it
    (the name box) must still follow New and Undo, and a name typed there must survive local edits."""
    page.goto(instance["url"])
    page.locator(CANVAS).wait_for()
    settle(page)
    set_text(page, "Graph name", "mine")
    add_from_palette(page, "Digits")
    add_from_palette(page, "Resize")
    expect(page.get_by_label("Graph name", exact=True)).to_have_value("mine")
    page.get_by_text("Fix 1 problem(s) to train").wait_for()  # the status beside Train follows the edits

    page.get_by_role("button", name="New").click()
    settle(page)
    expect(canvas(page).locator(".react-flow__node")).to_have_count(0)
    expect(page.get_by_label("Graph name", exact=True)).to_have_value("untitled")
    page.get_by_role("button", name="Undo").click()
    settle(page)
    expect(canvas(page).locator(".react-flow__node")).to_have_count(2)
    expect(page.get_by_label("Graph name", exact=True)).to_have_value("mine")
