"""The palette: every registered node type, grouped as on the canvas, one click to add it after the
selected node (connected, at a free spot)."""
from __future__ import annotations

import streamlit as st

from app import canvas_view
from dragdl_core.compiler import canvas, registry
from dragdl_core.compiler.templates import downloaded

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
    if downloaded(node_type.name):
        return "Downloaded on this server: ready to use."
    return ("Needs a one-time download that this server has not done yet: ask your instructor, "
            "or use Digits or Shapes, which need no download.")


def _picked(group: str) -> None:
    """A chip was clicked: add that node type, then clear the chip so the same type can be added again."""
    key = f"palette:{group}"
    type_name = st.session_state.get(key)
    st.session_state[key] = None
    if type_name:
        _add(type_name)


def draw() -> None:
    """One chip group per palette group rather than one button per node type: a rerun (every canvas edit)
    draws 5 widgets instead of 36, which was the largest share of the Build page's server time
    (benchmarks/ui_load.py). Descriptions are in each group's help."""
    st.caption("Click a node type to add it after the selected node. ⤓ marks a dataset that needs a download.")
    for group, types in groups().items():
        notes = {t.name: download_note(t) for t in types}
        help_ = "\n".join(f"- **{t.name}**: {t.description}" + (f" _{notes[t.name]}_" if notes[t.name] else "")
                           for t in types)
        st.pills(group, list(notes), key=f"palette:{group}", help=help_, on_change=_picked, args=(group,),
                 format_func=lambda name, notes=notes: name + (" ⤓" if notes[name] else ""))
