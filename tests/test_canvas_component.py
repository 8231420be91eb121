"""The canvas component (app/canvas_component): its committed build is made from its committed sources, and in
a real headless Chromium it shows a graph file's text as text and reports what a student does on it - a
click, Enter on a focused node, a node dragged, a click on the empty canvas - the way app/canvas_view.py
reads reports."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from conftest import ROOT
from ui_browser import CANVAS, CHROMIUM, CHROMIUM_ARGS, node, running_app

COMPONENT = ROOT / "app" / "canvas_component"
FRONTEND = COMPONENT / "frontend"


def source_hash() -> str:
    """What frontend/build.mjs records in build/SOURCES.sha256: the same files, in the same order."""
    files = ["build.mjs", "package-lock.json"] + sorted(f"src/{p.name}" for p in (FRONTEND / "src").iterdir())
    digest = hashlib.sha256()
    for name in files:
        digest.update(name.encode() + b"\0" + (FRONTEND / name).read_bytes() + b"\0")
    return digest.hexdigest()


def test_the_committed_build_is_made_from_the_committed_sources():
    """The app serves build/ as committed (no Node at install). A change to the sources without
    `npm ci && npm run build` in frontend/ would ship the old canvas."""
    recorded = (COMPONENT / "build" / "SOURCES.sha256").read_text().strip()
    assert recorded == source_hash(), "rebuild the canvas: cd app/canvas_component/frontend && npm ci && npm run build"


def test_the_canvas_frame_loads_little_script():
    """The frame's script is compiled on every first visit, on the page's own main thread: the component this
    replaced loaded 2.8 MB, which cost the Build page about 0.9 s of its first draw (docs/app.md)."""
    assert (COMPONENT / "build" / "canvas.js").stat().st_size < 600_000
    index = (COMPONENT / "build" / "index.html").read_text()
    assert "canvas.js" in index and "bootstrap" not in index


HOSTILE = '<img src=x onerror="window.__hit=1">'
GRAPH = {"format": "dragdl.graph", "version": 1, "nodes": [
    {"id": "data", "type": "Digits"}, {"id": "resize", "type": "Resize", "params": {"size": HOSTILE}},
    {"id": "odd", "type": HOSTILE}], "edges": [{"source": "data", "target": "resize"}]}

HARNESS = f'''import json
import streamlit as st
from app.canvas_component import canvas
from dragdl_core.compiler import canvas as flow

GRAPH = json.loads({json.dumps(json.dumps(GRAPH))})
value = canvas("c", flow.flow_nodes(GRAPH), flow.flow_edges(GRAPH), timestamp=1, height=500, fit_view=False,
               min_zoom=0.8)
st.code(json.dumps(value) if value else "no report", language=None)
'''


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"needs Debian chromium at {CHROMIUM}")
def test_in_chromium_text_stays_text_and_clicks_keys_and_drags_are_reported(tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    script = tmp_path / "harness.py"
    script.write_text(HARNESS)
    (tmp_path / "home").mkdir(exist_ok=True)
    (tmp_path / "datasets").mkdir(exist_ok=True)
    with running_app(tmp_path / "home", tmp_path / "datasets", tmp_path / "app.log", script=script) as url, \
            sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.set_default_timeout(30_000)
            page.goto(url)
            node(page, "data").wait_for()
            frame = page.frame_locator(CANVAS)

            def report() -> dict:
                text = page.locator('[data-testid="stCode"]').inner_text()
                return json.loads(text) if text.strip() != "no report" else {}

            def wait_for_report(check) -> dict:
                for _ in range(100):
                    if check(value := report()):
                        return value
                    page.wait_for_timeout(100)
                pytest.fail(f"no such report; the last was {report()}")

            # a graph file's text is shown as text: no element made from it, no handler run
            odd = frame.locator(".react-flow__node").nth(2)
            sync_api.expect(odd).to_contain_text(HOSTILE)
            sync_api.expect(node(page, "resize")).to_contain_text("size=" + HOSTILE)
            assert frame.locator(".react-flow__node img").count() == 0
            assert page.locator(CANVAS).element_handle().content_frame().evaluate("window.__hit") is None

            node(page, "resize").click()  # a click chooses the node
            wait_for_report(lambda r: r.get("selectedId") == "resize")
            node(page, "data").focus()  # Enter on the node with the keyboard focus chooses it too
            page.keyboard.press("Enter")
            chosen = wait_for_report(lambda r: r.get("selectedId") == "data")
            assert {n["id"] for n in chosen["nodes"]} == {n["id"] for n in GRAPH["nodes"]}
            assert [(e["source"], e["target"]) for e in chosen["edges"]] == [("data", "resize")]

            start = next(n["position"] for n in chosen["nodes"] if n["id"] == "data")
            box = node(page, "data").bounding_box()
            page.mouse.move(box["x"] + 60, box["y"] + 20)
            page.mouse.down()
            for step in range(1, 11):
                page.mouse.move(box["x"] + 60 + 20 * step, box["y"] + 20)
                page.wait_for_timeout(20)
            page.mouse.up()
            moved = wait_for_report(lambda r: r.get("timestamp", 0) > chosen["timestamp"] and r.get("nodes"))
            at = next(n["position"] for n in moved["nodes"] if n["id"] == "data")
            assert at["x"] > start["x"] + 100 and abs(at["y"] - start["y"]) < 5, (start, at)
            assert moved["selectedId"] is None and not moved["cleared"]  # Python keeps its selection

            area = page.locator(CANVAS).bounding_box()  # a click on the empty canvas: nothing chosen
            page.mouse.click(area["x"] + area["width"] - 40, area["y"] + 40)
            cleared = wait_for_report(lambda r: r.get("timestamp", 0) > moved["timestamp"])
            assert cleared["cleared"] is True and cleared["selectedId"] is None
        finally:
            browser.close()
