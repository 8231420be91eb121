"""In a real headless Chromium against the real app: build a residual block on the canvas by dragging edges -
a fork (a second edge out of a pooling layer) and a merge (that edge into an Add) - and see the graph become
valid, the Add's inputs numbered on the edges, a shape on every node of both branches, and the input order
changed from the edge's panel. Run: `python -m pytest -m browser tests/test_ui_branches.py`."""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import ROOT
from ui_browser import CANVAS, CHROMIUM, CHROMIUM_ARGS, app_with_redis, canvas, drag_edge, node, palette_item, settle

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"needs Debian chromium at {CHROMIUM}")]

ARTIFACTS = ROOT / "artifacts" / "ui"
# Each is added after the one added before it (it stays selected), so they form a chain.
CHAIN = ["Digits", "Resize", "Normalize", "Conv2D", "MaxPool2D", "Conv2D", "Add", "ClassifierHead", "Trainer"]


@pytest.fixture(scope="module")
def instance(tmp_path_factory):
    """The app with its own home and Redis (no worker: nothing here trains)."""
    with app_with_redis(tmp_path_factory.mktemp("branches")) as app:
        yield app["url"]


def add_from_palette(page, type_name: str) -> None:
    before = canvas(page).locator(".react-flow__node").count()
    palette_item(page, type_name).click()
    canvas(page).locator(".react-flow__node").nth(before).wait_for()
    page.mouse.move(700, 5)
    settle(page)


def test_draw_a_fork_and_a_merge_by_dragging_edges(instance):
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1500, "height": 1300})
        page.set_default_timeout(30_000)
        try:
            page.goto(instance)
            page.locator(CANVAS).wait_for()
            settle(page)
            for type_name in CHAIN:
                add_from_palette(page, type_name)
            # one input so far: the Add asks for another branch
            expect(node(page, "add1")).to_contain_text("⚠")

            drag_edge(page, "maxpool1", "add1")  # the fork out of maxpool1 and the merge into add1
            canvas(page).locator(".react-flow__edge").nth(len(CHAIN) - 1).wait_for(state="attached")
            settle(page)
            page.get_by_text(f"Valid: {len(CHAIN)} nodes").wait_for()
            expect(node(page, "add1")).not_to_contain_text("⚠")
            for node_id in ("maxpool1", "conv2", "add1"):  # both branches and the join show their shapes
                expect(node(page, node_id)).to_contain_text("16×16×16")
            labels = canvas(page).locator(".react-flow__edge-textwrapper, .react-flow__edge-text")
            expect(canvas(page).get_by_text("input 0", exact=True)).to_have_count(1)
            expect(canvas(page).get_by_text("input 1", exact=True)).to_have_count(1)
            assert labels.count() >= 2
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "branches-fork-and-merge.png"))

            # the dragged edge is selected: make it input 0 from its panel; conv2's edge becomes input 1
            page.locator('[data-testid="stSelectbox"]', has_text="Input of").locator('[role="combobox"]').click()
            page.get_by_role("option", name="input 0 (now from conv2)", exact=True).click()
            settle(page)
            page.get_by_role("tab", name="Code").click()
            settle(page)
            page.get_by_text("add1 = maxpool1 + conv2").first.wait_for()
        finally:
            browser.close()
