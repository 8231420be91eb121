"""The palette: every registered node type, grouped as on the canvas, one click to add it after the
selected node (connected, at a free spot)."""
from __future__ import annotations

import streamlit as st

from app import canvas_view
from dragdl_core import canvas, registry

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


def draw() -> None:
    st.caption("Click a node type to add it after the selected node.")
    for group, types in groups().items():
        with st.expander(group, expanded=True):
            for node_type in types:
                st.button(node_type.name, key=f"palette:{node_type.name}", help=node_type.description,
                          on_click=_add, args=(node_type.name,), width="stretch")
