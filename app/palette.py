"""The palette: every registered node type, grouped as on the canvas, one click to add it after the
selected node (connected, at a free spot)."""
from __future__ import annotations

import streamlit as st

from app import canvas_view
from dragdl_core.compiler import canvas, registry

GROUP_ORDER = ("Datasets", "Transforms", "Layers", "Models", "Train")


def groups() -> dict[str, list]:
    """Node types by palette group, in group order, alphabetically within a group."""
    grouped = {name: [] for name in GROUP_ORDER}
    for node_type in registry.node_types().values():
        grouped.setdefault(registry.PALETTE_GROUPS[node_type.category], []).append(node_type)
    for types in grouped.values():
        types.sort(key=lambda t: t.name.lower())
    return {name: types for name, types in grouped.items() if types}


def _add(type_name: str) -> None:
    chosen = canvas_view.selected()
    after = chosen if any(n["id"] == chosen for n in canvas_view.graph()["nodes"]) else None
    new_graph, new_id = canvas.add_node(canvas_view.graph(), type_name, after=after)
    canvas_view.update(new_graph, select=new_id)


def download_note(node_type) -> str | None:
    """For a dataset that needs a download: whether the server has it, and what to do if not."""
    if not getattr(node_type, "needs_download", False):
        return None
    if not node_type.missing_files():
        return "Downloaded on this server: ready to use."
    return ("Needs a one-time download that this server has not done yet: ask your instructor, "
            "or use Digits or Shapes, which need no download.")


def draw() -> None:
    st.caption("Click a node type to add it after the selected node. ⤓ marks a dataset that needs a download.")
    for group, types in groups().items():
        with st.expander(group, expanded=True):
            for node_type in types:
                note = download_note(node_type)
                st.button(node_type.name + (" ⤓" if note else ""), key=f"palette:{node_type.name}",
                          help=node_type.description + (f" {note}" if note else ""),
                          on_click=_add, args=(node_type.name,), width="stretch")
