"""UI load benchmark: page load time and canvas-edit round trip in a real browser, then many concurrent
sessions each building a graph, with p50/p95 response times. Loopback only, bounded in count and time.

    python benchmarks/ui_load.py                      # browser samples + 1, 30 and 60 concurrent sessions
    python benchmarks/ui_load.py --sessions 1,30 --edits 8 --browser-samples 5
    python benchmarks/ui_load.py --app-processes 1,2 --sessions 30,60   # `up` with N app processes behind Caddy

The concurrent sessions speak Streamlit's own websocket protocol (what the browser sends when a palette
chip is clicked: a rerun with that chip group's new value), so dozens of sessions do not need dozens of
browsers; each edit is timed from the click to the end of the rerun that answers it. The browser numbers
include drawing: from a palette click until the new node is on the canvas.

With --app-processes the app is a whole instance (`python -m dragdl_core up --app-processes N`: N Streamlit
processes behind Caddy, sticky sessions), measured through the proxy, one N after the other; without it,
a single Streamlit process reached directly (the figures from before the proxy existed)."""
from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from ui_browser import (CANVAS, CHROMIUM, CHROMIUM_ARGS, canvas, palette_item, running_app,  # noqa: E402
                        running_instance, settle)

CHAIN = ["Digits", "Resize", "Normalize", "Conv2D", "ReLU", "MaxPool2D", "ClassifierHead", "Trainer"]
BASELINE_APP = """import streamlit as st\nfor name in %r:\n    st.button(name)\n""" % CHAIN  # framework cost alone
LEVEL_TIMEOUT = 240  # seconds per concurrency level, whatever happens


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


class Session:
    """One browser tab's worth of Streamlit protocol: open the Build page, click palette buttons."""

    def __init__(self, url: str):
        self.url = url.replace("http://", "ws://") + "/_stcore/stream"
        self.buttons: dict[str, str] = {}
        self.chips: dict[str, str] = {}
        self.fragments: dict[str, str] = {}  # widget id -> the fragment that drew it, as the browser knows
        self.page_hash = ""

    async def _until_finished(self) -> None:
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        while True:
            msg = ForwardMsg()
            msg.ParseFromString(await self.socket.recv())
            kind = msg.WhichOneof("type")
            if kind == "new_session":
                self.page_hash = msg.new_session.page_script_hash
            elif kind == "delta" and msg.delta.WhichOneof("type") == "new_element":
                element = msg.delta.new_element
                if element.WhichOneof("type") == "button":
                    self.buttons[element.button.label] = element.button.id
                    self.fragments[element.button.id] = msg.delta.fragment_id
                elif element.WhichOneof("type") == "button_group":  # the palette's chips: one widget per group
                    for option in element.button_group.options:
                        self.chips[option.content] = element.button_group.id
                    self.fragments[element.button_group.id] = msg.delta.fragment_id
            elif kind == "script_finished":
                return

    async def _rerun(self, trigger: str | None = None, chip: tuple[str, str] | None = None) -> float:
        from streamlit.proto.BackMsg_pb2 import BackMsg

        back = BackMsg()
        back.rerun_script.query_string = ""
        back.rerun_script.page_script_hash = self.page_hash
        if trigger:
            widget = back.rerun_script.widget_states.widgets.add()
            widget.id = trigger
            widget.trigger_value = True
        if chip:  # a chip group's value: the chosen chip's label (app/palette.py clears it again)
            widget = back.rerun_script.widget_states.widgets.add()
            widget.id = chip[0]
            widget.string_array_value.data.append(chip[1])
        # a widget drawn by a fragment reruns that fragment alone, as the browser asks for it
        back.rerun_script.fragment_id = self.fragments.get(trigger or (chip or ("", ""))[0], "")
        start = time.perf_counter()
        await self.socket.send(back.SerializeToString())
        await self._until_finished()
        return time.perf_counter() - start

    async def open(self) -> float:
        import websockets

        start = time.perf_counter()
        self.socket = await websockets.connect(self.url, subprotocols=["streamlit"], max_size=None)
        await self._rerun()
        return time.perf_counter() - start

    async def click(self, label: str) -> float:
        """A palette click: a chip if the page has one by that label, else a button."""
        if label in self.chips:
            return await self._rerun(chip=(self.chips[label], label))
        return await self._rerun(self.buttons[label])

    async def close(self) -> None:
        await self.socket.close()


async def student(url: str, edits: int, loads: list, latencies: list, think: float) -> None:
    session = Session(url)
    loads.append(await session.open())
    for type_name in (CHAIN * (edits // len(CHAIN) + 1))[:edits]:
        await asyncio.sleep(think)
        latencies.append(await session.click(type_name))
    await session.close()


async def level(url: str, sessions: int, edits: int, think: float) -> dict:
    loads, latencies = [], []
    start = time.perf_counter()
    jobs = [student(url, edits, loads, latencies, think) for _ in range(sessions)]
    try:
        await asyncio.wait_for(asyncio.gather(*jobs), LEVEL_TIMEOUT)
        complete = True
    except asyncio.TimeoutError:
        complete = False
    wall = time.perf_counter() - start
    return {"sessions": sessions, "edits": len(latencies), "loads": loads, "latencies": latencies,
            "wall": wall, "complete": complete}


# Timed inside the page, from the navigation's start to the first animation frame in which the canvas's frame
# has a height (its component has drawn and sized itself): what the student waits for, without the test
# driver's own polling, which adds 0.3-0.5 s across two frames.
DRAWN_AT = """(() => { if (window !== window.top) return;
  const tick = () => { const f = document.querySelector('%s');
    if (f && f.getBoundingClientRect().height > 0) window.__canvasDrawnAt = performance.now();
    else requestAnimationFrame(tick); };
  requestAnimationFrame(tick); })();""" % CANVAS


def browser_samples(url: str, samples: int) -> tuple[list[float], list[float], list[float]]:
    """(page load seconds with an empty browser cache, page load seconds on a second visit, palette click ->
    node drawn seconds) in headless Chromium."""
    from playwright.sync_api import sync_playwright

    cold, cached, edits = [], [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for _ in range(samples):
            context = browser.new_context(viewport={"width": 1500, "height": 1300})  # an empty cache
            context.add_init_script(DRAWN_AT)
            for loads in (cold, cached):  # a first visit, then the same browser again
                page = context.new_page()
                page.goto(url)
                page.locator(CANVAS).wait_for()
                canvas(page).locator(".react-flow__pane").wait_for()
                page.wait_for_function("window.__canvasDrawnAt !== undefined")
                loads.append(page.evaluate("window.__canvasDrawnAt") / 1000)
                settle(page)
                if loads is cold:
                    page.close()
            for index, type_name in enumerate(CHAIN[:4]):
                start = time.perf_counter()
                palette_item(page, type_name).click()
                canvas(page).locator(".react-flow__node").nth(index).wait_for()
                edits.append(time.perf_counter() - start)
                settle(page)
            context.close()
        browser.close()
    return cold, cached, edits


def row(name: str, values: list[float], extra: str = "") -> str:
    if not values:
        return f"| {name} | 0 | - | - | - | {extra} |"
    ms = [v * 1000 for v in values]
    return (f"| {name} | {len(ms)} | {percentile(ms, 50):.0f} | {percentile(ms, 95):.0f} | {max(ms):.0f} | "
            f"{extra} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", default="1,30,60", help="concurrency levels, comma-separated")
    parser.add_argument("--edits", type=int, default=8, help="palette clicks per session")
    parser.add_argument("--think", type=float, default=0.2, help="seconds between a session's clicks")
    parser.add_argument("--browser-samples", type=int, default=5, help="page loads in Chromium (0 = skip)")
    parser.add_argument("--app-processes", help="N[,N...]: measure `up --app-processes N` through Caddy, for "
                                                   "each N (default: one Streamlit process, no proxy)")
    parser.add_argument("--baseline", default="1,30", help="levels for a bare page of 8 buttons (empty = skip)")
    args = parser.parse_args()

    lines = ["| measurement | n | p50 ms | p95 ms | max ms | note |", "|---|---|---|---|---|---|"]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "home").mkdir()
        (tmp / "datasets").mkdir()
        if not args.app_processes:
            with running_app(tmp / "home", tmp / "datasets", tmp / "app.log") as url:
                lines += measure(url, args, 1, "")
        for count in [int(c) for c in (args.app_processes or "").split(",") if c.strip()]:
            home = tmp / f"home-{count}"
            with running_instance(home, tmp / f"up-{count}.log", app_processes=count,
                                  env={"DRAGDL_DATASETS": str(tmp / "datasets")}) as url:
                lines += measure(url, args, count, f"{count} app process(es) behind Caddy; ")
        if args.baseline:
            lines += baseline(tmp, [int(c) for c in args.baseline.split(",") if c.strip()], args)
    print("\n".join(lines))


def measure(url: str, args, processes: int, label: str) -> list[str]:
    """The table rows for one running app at `url` (`label` starts each note)."""
    # First use imports Paddle for the previews, in every app process: warm each (Caddy spreads new sessions).
    warm = asyncio.run(level(url, 1 if processes == 1 else 4 * processes, len(CHAIN), 0))
    lines = [row("first session, first edits (cold)", warm["latencies"], label + "includes importing Paddle")]
    if args.browser_samples and Path(CHROMIUM).exists():
        cold, cached, edits = browser_samples(url, args.browser_samples)
        lines += [row("browser: Build page load", cold, label + "navigation start -> canvas drawn, empty cache"),
                  row("browser: Build page load, second visit", cached, label + "the same, browser cache warm"),
                  row("browser: palette click -> node drawn", edits, label + "one tab, nothing else running")]
    for count in [int(c) for c in args.sessions.split(",") if c.strip()]:
        result = asyncio.run(level(url, count, args.edits, args.think))
        note = (f"{result['edits'] / result['wall']:.1f} edits/s overall"
                + ("" if result["complete"] else f"; stopped at the {LEVEL_TIMEOUT} s bound"))
        lines += [row(f"{count} sessions: page load (protocol)", result["loads"], label.rstrip("; ")),
                  row(f"{count} sessions: edit round trip", result["latencies"], label + note)]
    return lines


def baseline(tmp: Path, levels: list[int], args) -> list[str]:
    """The same clicks on a page that only draws the buttons: what Streamlit itself costs per rerun."""
    app = tmp / "baseline.py"
    app.write_text(BASELINE_APP)
    lines = []
    with running_app(tmp / "home", tmp / "datasets", tmp / "baseline.log", script=app) as url:
        for count in levels:
            result = asyncio.run(level(url, count, args.edits, args.think))
            lines.append(row(f"baseline, bare 8-button page, {count} sessions: click round trip",
                             result["latencies"], f"{result['edits'] / result['wall']:.1f} clicks/s overall"))
    return lines


if __name__ == "__main__":
    main()
