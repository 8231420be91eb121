"""What a first-time student sees, in real headless Chromium against the real app (issue 14): every template
readable on the canvas (labels at least 10 px tall, no overlaps), an inserted node keeping the chain straight,
an out-of-range value refused with its range, the ImageFolder picker listing an imported dataset, a task
deleted only after asking and the one shown, and Train readable at 800 px. Screenshots of every page at
1400 and 800 px wide go to artifacts/ui/pages/ (git-ignored). Run: `python -m pytest tests/test_ui_readable.py`."""
from __future__ import annotations

import io
import os
import subprocess
import sys
import zipfile

import pytest
from PIL import Image

from conftest import ROOT, tiny_digits_graph
from ui_browser import CANVAS, CHROMIUM, CHROMIUM_ARGS, app_with_redis, canvas, node, palette_item, settle

from dragdl_core.compiler.templates import describe, load_template, templates

sync_api = pytest.importorskip("playwright.sync_api")
expect = sync_api.expect

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(900),
              pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"needs Debian chromium at {CHROMIUM}")]

ARTIFACTS = ROOT / "artifacts" / "ui"
EXAMPLES = [t for t in templates() if not t.startswith("assignment: ")]
# a button's label box: it, not the <p> inside (0 px wide, inline), clips the text with an ellipsis
LABEL = '[data-testid="stMarkdownContainer"]'



def shot(page, name: str) -> None:
    (ARTIFACTS / "pages").mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "pages" / f"{name}.png"), full_page=True)


def fruit_zip(path) -> None:
    """A small dataset of two classes, as a student would zip it."""
    with zipfile.ZipFile(path, "w") as archive:
        for label, colour in (("apple", (200, 30, 30)), ("banana", (230, 220, 40))):
            for i in range(12):
                buffer = io.BytesIO()
                Image.new("RGB", (16, 16), tuple(max(0, c - 7 * i) for c in colour)).save(buffer, "PNG")
                archive.writestr(f"fruits/{label}/{i}.png", buffer.getvalue())


def _import_fruits(env: dict, base) -> None:
    fruit_zip(base / "fruits.zip")
    subprocess.run([sys.executable, "-m", "dragdl_core", "datasets", "import", str(base / "fruits.zip"),
                    "--name", "fruits"], cwd=ROOT, env=env, check=True, capture_output=True, timeout=120)


@pytest.fixture(scope="module")
def instance(tmp_path_factory):
    """The app with its own home and Redis (no worker: the tasks here never need to run)."""
    with app_with_redis(tmp_path_factory.mktemp("readable"), prepare=_import_fruits) as app:
        yield app


@pytest.fixture(scope="module")
def browser(instance):
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, request):
    tab = browser.new_page(viewport={"width": 1400, "height": 1000})
    tab.set_default_timeout(30_000)
    failed_before = request.session.testsfailed
    yield tab
    if request.session.testsfailed > failed_before:
        shot(tab, f"failed-{request.node.name}")
    tab.close()


def open_build(page, url: str) -> None:
    page.goto(url)
    page.locator(CANVAS).wait_for()
    settle(page)


def choose(page, label: str, option: str) -> None:
    """Pick `option` in the Streamlit selectbox labelled `label`."""
    page.locator('[data-testid="stSelectbox"]', has_text=label).locator('[role="combobox"]').click()
    page.get_by_role("option", name=option, exact=True).click()
    settle(page)


def drawn_nodes(page) -> dict:
    """Each node's box (in the canvas frame's pixels) and its text size on screen (font size x zoom), once
    the canvas has stopped moving (it fits the graph to view after mounting)."""
    page.locator(CANVAS).wait_for()
    script = """() => {
        const viewport = document.querySelector('.react-flow__viewport');
        if (!viewport) return null;  // the canvas is (re)mounting
        const zoom = new DOMMatrix(getComputedStyle(viewport).transform).a;
        return Object.fromEntries([...document.querySelectorAll('.react-flow__node')].map(n => {
            const r = n.getBoundingClientRect();
            return [n.dataset.id, {x: r.x, y: r.y, w: r.width, h: r.height,
                                   text: parseFloat(getComputedStyle(n).fontSize) * zoom}];
        }));
    }"""
    previous = None
    for _ in range(100):
        frame = page.locator(CANVAS).element_handle().content_frame()
        current = frame.evaluate(script) if frame else None
        if current and current == previous:
            return current
        previous = current
        page.wait_for_timeout(150)
    return previous


def overlaps(boxes: dict) -> list:
    items = list(boxes.items())
    return [(a, b) for i, (a, p) in enumerate(items) for b, q in items[i + 1:]
            if p["x"] < q["x"] + q["w"] and q["x"] < p["x"] + p["w"] and p["y"] < q["y"] + q["h"]
            and q["y"] < p["y"] + p["h"]]


def test_every_template_is_readable_with_no_overlapping_nodes(page, instance):
    open_build(page, instance["url"])
    for number, title in enumerate(EXAMPLES, 1):
        choose(page, "Start from a template", describe(title))
        expected = {n["id"] for n in load_template(title)["nodes"]}
        expect(canvas(page).locator(".react-flow__node")).to_have_count(len(expected))
        boxes = drawn_nodes(page)
        assert set(boxes) == expected, title
        small = {k: round(v["text"], 1) for k, v in boxes.items() if v["text"] < 10}
        assert not small, f"{title}: labels under 10 px: {small}"
        assert not overlaps(boxes), f"{title}: {overlaps(boxes)}"
        shot(page, f"template-{number:02d}-{title}")


def test_inserting_a_node_keeps_the_chain_straight(page, instance):
    open_build(page, instance["url"])
    choose(page, "Start from a template", describe("digits-small-cnn"))
    node(page, "resize").click()
    settle(page)
    palette_item(page, "RandomRotation").click()
    node(page, "randomrotation1").wait_for()
    settle(page)
    boxes = drawn_nodes(page)
    assert len({round(b["x"]) for b in boxes.values()}) == 1, boxes  # one straight column
    chain = ["data", "resize", "randomrotation1", "norm"]
    assert [boxes[n]["y"] for n in chain] == sorted(boxes[n]["y"] for n in chain)  # inserted where clicked
    assert not overlaps(boxes)
    expect(canvas(page).locator(".react-flow__edge")).to_have_count(len(boxes) - 1)
    shot(page, "build-inserted-node")


def test_an_out_of_range_value_is_refused_with_its_range(page, instance):
    open_build(page, instance["url"])
    choose(page, "Start from a template", describe("digits-small-cnn"))
    node(page, "conv1").click()
    settle(page)
    field = page.get_by_label("kernel_size", exact=True)
    field.fill("40")
    field.press("Enter")
    settle(page)
    expect(page.get_by_text("kernel_size must be 1..31, got 40; not applied, kernel_size stays 3")).to_be_visible()
    expect(field).to_have_value("3")
    expect(node(page, "conv1")).not_to_contain_text("kernel_size=40")
    expect(node(page, "conv1")).not_to_contain_text("⚠")
    shot(page, "build-refused-value")


def test_the_imagefolder_picker_lists_an_imported_dataset(page, instance):
    open_build(page, instance["url"])
    choose(page, "Start from a template", describe("imagefolder-shapes-demo"))
    node(page, "data").click()
    settle(page)
    choose(page, "dataset", "fruits · 2 classes · 24 images · the class's")  # imported by the server's CLI
    expect(node(page, "data")).to_contain_text("name=fruits")
    expect(node(page, "data")).not_to_contain_text("⚠")
    shot(page, "build-dataset-picker")


def test_deleting_a_task_asks_first_and_deletes_the_one_shown(page, instance):
    from dragdl_core import tasks

    os.environ["DRAGDL_HOME"], saved = str(instance["home"]), os.environ.get("DRAGDL_HOME")
    try:
        keep = tasks.submit(tiny_digits_graph(), "local", name="keep me")
        doomed = tasks.submit(tiny_digits_graph(), "local", name="delete me")
        for task_id in (keep, doomed):
            tasks.stop(task_id)
        page.goto(f"{instance['url']}/tasks")
        settle(page)
        choose(page, "Task", f"delete me · {doomed}")
        page.get_by_role("button", name="Delete…").click()
        settle(page)
        expect(page.get_by_text(f"Delete delete me · {doomed} (stopped)?")).to_be_visible()
        assert {t["id"] for t in tasks.list_tasks("local")} == {keep, doomed}  # asked, nothing deleted yet
        shot(page, "tasks-confirm-delete")
        page.get_by_role("button", name="Yes, delete delete me").click()
        settle(page)
        expect(page.get_by_text(f"Deleted delete me · {doomed}.")).to_be_visible()
        assert [t["id"] for t in tasks.list_tasks("local")] == [keep]
    finally:
        os.environ.pop("DRAGDL_HOME") if saved is None else os.environ.__setitem__("DRAGDL_HOME", saved)


def test_at_800_px_train_and_the_canvas_stay_readable(browser, instance):
    tab = browser.new_page(viewport={"width": 800, "height": 900})
    try:
        open_build(tab, instance["url"])
        choose(tab, "Start from a template", describe("digits-small-cnn"))
        train = tab.get_by_role("button", name="Train", exact=True)
        expect(train).to_be_visible()
        fits = train.evaluate(f"b => [...b.querySelectorAll('{LABEL}')].every(l => l.scrollWidth <= l.clientWidth)"
                              " && b.getBoundingClientRect().width >= 60")
        assert fits, "the Train button's label is cut"
        for name in ("New", "Delete", "Deselect", "Tidy", "Fit"):
            label = tab.get_by_role("button", name=name, exact=True).locator(LABEL)
            assert label.evaluate("l => l.scrollWidth <= l.clientWidth"), f"{name} is cut"
        tab.locator(CANVAS).wait_for()
        assert tab.locator(CANVAS).bounding_box()["width"] >= 400
        boxes = drawn_nodes(tab)
        assert min(b["text"] for b in boxes.values()) >= 10
    finally:
        tab.close()


FOCUSED = """() => { let e = document.activeElement;
    while (e && e.tagName === 'IFRAME' && e.contentDocument) e = e.contentDocument.activeElement;
    // a field's own outline is clipped by its box (overflow: hidden), so the box must show the focus
    const ring = ['INPUT', 'TEXTAREA'].includes(e.tagName) ? e.parentElement : e;
    const s = getComputedStyle(ring);
    return {tag: e.tagName, label: e.getAttribute('aria-label') || (e.innerText || '').trim().slice(0, 40),
            node: e.classList.contains('react-flow__node') ? e.dataset.id : null,
            outline: s.outlineStyle === 'none' ? 0 : parseFloat(s.outlineWidth), shadow: s.boxShadow}; }"""


def tab_until(page, wanted, limit: int = 60) -> int:
    """Press Tab until `wanted(focused)` holds; how many presses that took (pytest.fail past `limit`)."""
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if wanted(page.evaluate(FOCUSED)):
            return presses
    pytest.fail(f"not reached in {limit} Tab presses; focus is on {page.evaluate(FOCUSED)}")


def test_the_skip_link_reaches_the_graph_name_in_a_few_tabs_with_a_visible_focus(page, instance):
    """Issue 14 measured 45 Tab presses to the graph name through the sidebar and the palette. The skip link
    (the first stop) leads past them; every stop on the way, and a node on the canvas, shows where focus is."""
    open_build(page, instance["url"])
    to_skip = tab_until(page, lambda f: f["label"].startswith("Skip to"))
    assert page.evaluate(FOCUSED)["outline"] >= 2  # the skip link shows itself when focused
    page.keyboard.press("Enter")
    to_name = tab_until(page, lambda f: f["label"] == "Graph name", limit=10)
    focused = page.evaluate(FOCUSED)
    assert focused["outline"] >= 2 or focused["shadow"] != "none", focused
    presses = to_skip + to_name
    print(f"Tab presses from page load to the graph name: {presses} (skip link: {to_skip}, then {to_name})")
    assert presses <= 5
    shot(page, "keyboard-graph-name-focused")
    choose(page, "Start from a template", describe("digits-small-cnn"))  # Tab goes on from this field
    to_node = tab_until(page, lambda f: f["node"] is not None, limit=40)  # on into the canvas
    focused = page.evaluate(FOCUSED)
    assert focused["outline"] >= 2, focused  # React Flow's own focus mark is a 0.5 px shadow
    print(f"... then {to_node} more to the first canvas node ({focused['node']})")
    shot(page, "keyboard-canvas-node-focused")


@pytest.mark.parametrize("width", [1400, 800])
def test_screenshots_of_every_page(browser, instance, width):
    """For review (artifacts/ui/pages/), with a task on the pages that list them."""
    tab = browser.new_page(viewport={"width": width, "height": 1000})
    try:
        open_build(tab, instance["url"])
        choose(tab, "Start from a template", describe("shapes-augment"))
        drawn_nodes(tab)  # the canvas has drawn and fitted the graph
        shot(tab, f"{width}-build")
        for name in ("tasks", "monitor", "predict", "datasets", "models", "instructor"):
            tab.goto(f"{instance['url']}/{name}")
            settle(tab)
            tab.wait_for_timeout(500)
            shot(tab, f"{width}-{name}")
            cut = tab.evaluate(f"() => [...document.querySelectorAll('[data-testid=stMain] button {LABEL}')]"
                               ".filter(l => l.offsetParent && l.scrollWidth > l.clientWidth).map(l => l.innerText)")
            assert not cut, f"{name} at {width} px: button labels cut: {cut}"
            title = tab.title()
            assert title.split(" · ")[0] in ("Tasks", "Monitor", "Predict", "Datasets", "Models", "Class"), title
    finally:
        tab.close()
