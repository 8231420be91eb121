"""In a real headless Chromium against the real app, Redis and a worker: open a template on Build, mark a
parameter to vary, press Sweep, and see Monitor's Sweep view with the results table filled as the tasks finish.
Screenshots go to artifacts/ui/ (git-ignored; docs/tuning.md describes them).
Run: `python -m pytest -m browser tests/test_sweep_browser.py`."""
from __future__ import annotations

from pathlib import Path

import pytest

from test_ui_e2e import browser_tab, instance, page, shot  # noqa: F401  (fixtures)
from task_service import wait_for
from ui_browser import CANVAS, CHROMIUM, settle

sync_api = pytest.importorskip("playwright.sync_api")

pytestmark = [pytest.mark.browser, pytest.mark.slow,
              pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"needs Debian chromium at {CHROMIUM}")]


def choose(page, label: str, option: str) -> None:
    box = page.get_by_label(label, exact=True)
    box.click()
    box.fill(option)
    box.press("Enter")
    settle(page)


@pytest.mark.timeout(600)
def test_a_sweep_from_build_shows_its_results_table_on_monitor(page, instance):  # noqa: F811
    from dragdl_core import tasks

    page.goto(instance["url"])
    page.locator(CANVAS).wait_for()
    settle(page)
    choose(page, "Start from a template", "digits-small-cnn")
    page.get_by_text("Sweep: train several variants", exact=False).click()
    settle(page)
    choose(page, "Parameters to vary", "train.learning_rate")
    page.mouse.click(5, 5)
    field = page.get_by_label("train.learning_rate values (comma-separated)", exact=True)
    field.fill("0.01,0.002")
    field.press("Enter")
    settle(page)
    shot(page, "sweep-01-build")
    page.get_by_role("button", name="Sweep", exact=True).click()
    page.wait_for_url("**/monitor")
    page.get_by_role("heading", name="Sweep").wait_for()
    queued = tasks.list_tasks()
    assert len(queued) == 2 and len({t.get("sweep") for t in queued}) == 1
    wait_for(lambda: all(tasks.status(t["id"])["state"] in tasks.FINAL_STATES for t in queued), 400,
             "the sweep's two tasks to finish")
    page.reload()
    page.get_by_role("heading", name="Sweep").wait_for()
    table = page.locator('[data-testid="stDataFrame"]').last
    table.scroll_into_view_if_needed()
    table.wait_for()
    settle(page)
    shot(page, "sweep-02-monitor")
    assert {tasks.status(t["id"])["state"] for t in queued} == {"succeeded"}
