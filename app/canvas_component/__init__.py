"""The Build page's canvas: a Streamlit component of our own, React Flow in a frame (`frontend/`, built into
`build/`, which is committed so the app needs no Node).

It replaced streamlit-flow-component, whose one 2.8 MB script (ELK layouts, KaTeX, Markdown, Bootstrap, two
Reacts, Apache Arrow, none used here) cost the Build page about 0.9 s of its first draw in Chromium; this one
is 0.3 MB. The protocol is the one app/canvas_view.py documents: Python sends a drawing with a timestamp;
the canvas reports positions, a drawn edge and a clicked element with a newer one."""
from __future__ import annotations

from pathlib import Path

import streamlit.components.v1 as components

BUILD = Path(__file__).resolve().parent / "build"
_component = components.declare_component("canvas", path=str(BUILD))


def canvas(key: str, nodes: list[dict], edges: list[dict], timestamp: int, height: int, fit_view: bool,
           min_zoom: float) -> dict | None:
    """Draw `nodes` and `edges` (React Flow dicts: dragdl_core.compiler.canvas.flow_nodes / flow_edges); the
    component's last report ({nodes, edges, selectedId, timestamp}), also kept in st.session_state[key]."""
    return _component(key=key, nodes=nodes, edges=edges, timestamp=timestamp, height=height, fitView=fit_view,
                      minZoom=min_zoom, default=None)
