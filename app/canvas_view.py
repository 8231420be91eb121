"""The graph being built, kept in the session, and its drawing on the canvas (app/canvas_component).

The component adopts what Python sends only when the drawing's timestamp is newer than anything it has
shown or reported, and its report stays in the session until the next one: so every Python-side change
bumps the timestamp, and a report is taken back only when its timestamp is new (dragdl_core.compiler.canvas
does the merge)."""
from __future__ import annotations

import time

import streamlit as st

from app.canvas_component import canvas as draw_canvas
from dragdl_core.compiler import canvas

GRAPH, SELECTED, SENT_AT, SEEN_AT, REVISION = "graph", "selected", "canvas_sent_at", "canvas_seen_at", "graph_rev"
FIT = "canvas_fit"
ASSIGNMENT = "graph_assignment"  # the assignment the graph on the canvas was opened from, if any
UNDO = "canvas_undo"             # the graph before the last destructive action (New, template, delete)


def _init() -> None:
    if GRAPH not in st.session_state:
        st.session_state[GRAPH] = canvas.empty_graph()
        st.session_state[SELECTED] = None
        st.session_state[SENT_AT] = int(time.time() * 1000)
        st.session_state[SEEN_AT] = 0
        st.session_state[REVISION] = 0
        st.session_state[FIT] = False


def _read(key: str):
    """One read of the canvas's state, set up on first use. Every st.session_state access takes the session's
    lock, and the Build page reads this state about twenty times a rerun: one access each, not two."""
    try:
        return st.session_state[key]
    except KeyError:
        _init()
        return st.session_state[key]


def graph() -> dict:
    return _read(GRAPH)


def assignment() -> str | None:
    _init()
    return st.session_state.get(ASSIGNMENT)


def selected() -> str | None:
    return _read(SELECTED)


def revision() -> int:
    """Changes when the whole graph is replaced, so property widgets start from the new values."""
    return _read(REVISION)


def canvas_key() -> str:
    """The component's key: a new one for each whole graph, so the canvas remounts and fits it to view."""
    return f"canvas:{_read(REVISION)}"


def _bump() -> None:
    """Make the next drawing newer than anything the component has reported (its clock may differ)."""
    now = int(time.time() * 1000)
    st.session_state[SENT_AT] = max(now, st.session_state[SENT_AT] + 1, st.session_state[SEEN_AT] + 1)


def update(new_graph: dict, select=...) -> None:
    """An edit made in Python (palette, property panel, delete): store it and redraw. `select` (a node
    or edge id, or None) changes the selection; left out, the selection stays."""
    _init()
    st.session_state[GRAPH] = new_graph
    if select is not ...:
        st.session_state[SELECTED] = select
    _bump()


def select(element_id: str | None) -> None:
    _init()
    st.session_state[SELECTED] = element_id
    _bump()


def remember(message: str) -> None:
    """Keep the graph as it is now, so the destructive action about to happen can be undone; `message`
    says what happened, for the page to show with an Undo button."""
    _init()
    st.session_state[UNDO] = {"message": message, "graph": st.session_state[GRAPH],
                              "selected": st.session_state[SELECTED], "assignment": st.session_state.get(ASSIGNMENT)}


def last_change() -> str | None:
    """The message of the last destructive action that can still be undone, or None."""
    return (st.session_state.get(UNDO) or {}).get("message")


def forget() -> None:
    st.session_state.pop(UNDO, None)


def undo() -> None:
    """Put back the graph kept by remember()."""
    kept = st.session_state.pop(UNDO, None)
    if kept:
        replace(kept["graph"], select=kept["selected"], assignment=kept["assignment"], keep_layout=True)


def replace(new_graph: dict, select: str | None = None, assignment: str | None = None,
            keep_layout: bool = False) -> None:
    """A different graph altogether (template, upload, a task opened for editing); `assignment` when it
    comes from one, so that what is submitted from it counts for it whatever its name."""
    st.session_state[ASSIGNMENT] = assignment
    update(new_graph if keep_layout else canvas.with_positions(new_graph), select)
    st.session_state[REVISION] += 1
    st.session_state[FIT] = bool(new_graph["nodes"])


def fit() -> None:
    """Show the whole graph again (remount the canvas, which fits it to view)."""
    _init()
    st.session_state[REVISION] += 1
    st.session_state[FIT] = bool(st.session_state[GRAPH]["nodes"])
    _bump()


def tidy() -> None:
    """Lay the graph out again from scratch and show all of it."""
    update(canvas.tidy(graph()))
    fit()


def take_browser_changes() -> bool:
    """Merge the component's latest report if it is new; True when it changed more than positions (an
    edge drawn, a node clicked), which the rest of the page must show. Runs before anything is drawn."""
    _init()
    value = st.session_state.get(canvas_key())
    if not isinstance(value, dict) or not isinstance(value.get("timestamp"), (int, float)):
        return False
    if value["timestamp"] <= st.session_state[SEEN_AT]:
        return False
    st.session_state[SEEN_AT] = value["timestamp"]
    before_graph, before_selected = st.session_state[GRAPH], st.session_state[SELECTED]
    merged, chosen = canvas.merge_canvas(before_graph, value, before_selected)
    st.session_state[GRAPH], st.session_state[SELECTED] = merged, chosen
    if merged["edges"] != before_graph["edges"] or chosen != before_selected:
        _bump()  # new edge or selection: redraw labels, errors and highlight
        return True
    return False


@st.fragment
def canvas_fragment(shapes: dict, errors: list[dict], height: int | None = None) -> None:
    """The canvas alone reruns for the component's own reports (a node moved, say); only a report that
    changes the graph or the selection reruns the whole page."""
    if take_browser_changes():
        st.rerun(scope="app")
    draw(shapes, errors, height)


def draw(shapes: dict, errors: list[dict], height: int | None = None) -> None:
    """Draw the graph with each node's output shape and validation errors; the canvas is as tall as the
    graph needs (canvas.canvas_height) unless `height` is given, and never zooms out below canvas.MIN_ZOOM."""
    _init()
    current, chosen = st.session_state[GRAPH], st.session_state[SELECTED]
    height = height or canvas.canvas_height(current)
    nodes = canvas.flow_nodes(current, shapes, errors, chosen)
    edges = canvas.flow_edges(current, chosen)
    reported = st.session_state.get(canvas_key())
    if (isinstance(reported, dict) and reported.get("timestamp", 0) >= st.session_state[SENT_AT]
            and not canvas.same_drawing(reported, nodes, edges)):
        _bump()  # the component reported after our last change without showing it: it ignored it
    draw_canvas(canvas_key(), nodes, edges, timestamp=st.session_state[SENT_AT], height=height,
                fit_view=st.session_state[FIT], min_zoom=canvas.MIN_ZOOM)
