"""The panel beside the canvas for the selected node: its parameters as widgets (from their declarations),
what is wrong with it, sample images after it (datasets and transforms) and the model summary (model nodes)."""
from __future__ import annotations

import streamlit as st

from app import canvas_view, previews
from app.param_widgets import param_widget
from app.session import current_actor
from dragdl_core.classroom import class_config, quotas
from dragdl_core.compiler import canvas, registry
from dragdl_core.compiler.canvas import format_shape
from dragdl_core.compiler.partial import completed, model_summary
from dragdl_core.compiler.summary import MODEL_CATEGORIES
from dragdl_core.compiler.validate import Analysis, analyze


def _set(node_id: str, name: str):
    def apply(value):
        canvas_view.update(canvas.set_param(canvas_view.graph(), node_id, name, value))
    return apply


def draw(analysis: Analysis, shown: Analysis) -> None:
    """`analysis` is the full graph's (errors); `shown` may be its completed path's (shapes so far)."""
    graph, chosen = canvas_view.graph(), canvas_view.selected()
    node = next((n for n in graph["nodes"] if n["id"] == chosen), None)
    edge = canvas.find_edge(graph, chosen) if chosen and node is None else None
    if edge is not None:
        st.subheader("Edge")
        st.write(f"`{edge['source']}` → `{edge['target']}`")
        order = canvas.merge_inputs(graph, edge["target"]) if canvas.is_merge(graph, edge["target"]) else []
        if order:
            position = next(k for k, e in enumerate(order) if e is edge)
            # the labels name the current order, so the key does too: a browser still holding a label from
            # before a change would otherwise send it back, and Streamlit would hand it over as a string
            key = f"input:{canvas_view.revision()}:{chosen}:{','.join(e['source'] for e in order)}"
            st.selectbox(f"Input of `{edge['target']}`", range(len(order)), index=position, key=key,
                         format_func=lambda k: f"input {k} (now from {order[k]['source']})",
                         help="The order in which the merge node takes its inputs: Concat joins channels in "
                              "this order (input 0 first); for Add the order does not change the sum.",
                         on_change=lambda: canvas_view.update(canvas.set_input(
                             canvas_view.graph(), chosen, st.session_state[key])))
        st.caption("Delete it with the Delete button above.")
        return
    if node is None:
        st.info("Select a node on the canvas to see and edit its parameters. Add nodes from the palette; "
                "connect them by dragging from a node's bottom handle to another's top handle.")
        return
    node_type = registry.get(node["type"])
    st.subheader(f"{node['type']} · {node['id']}")
    if node_type is None:
        st.error(f"Unknown node type '{node['type']}'; delete this node.")
        return
    # one element for the description and the shape: every element is sent again on every canvas edit
    st.markdown(f":small[:gray[{_escaped(node_type.description)}]]\n\n"
                f"Output shape: `{format_shape(shown.shapes.get(node['id']))}`")
    for err in analysis.node_errors(node["id"]):
        where = f"**{err['field']}**: " if err["field"] and err["field"] in node_type.params else ""
        st.error(where + err["message"], icon=":material/error:")
    params = node.get("params", {})
    for name, decl in node_type.params.items():
        value = params.get(name, None if decl.required else decl.default)
        key = f"param:{canvas_view.revision()}:{node['id']}:{name}"
        if node["type"] == "ImageFolder" and name == "name":
            dataset_picker(value, key, _set(node["id"], name))
        else:
            param_widget(name, decl, value, key, _set(node["id"], name))
    if node_type.category in ("dataset", "transform"):
        _preview(graph, node["id"])
    if node_type.category in MODEL_CATEGORIES:
        _summary(graph, node["id"])


def _escaped(text: str) -> str:
    """Text inside a :small[...] directive: a ']' would end it early."""
    return text.replace("[", "\\[").replace("]", "\\]")


def dataset_picker(value, key: str, on_change) -> None:
    """ImageFolder's dataset, picked from those the student may use (their own and the class's) rather
    than typed: 'fruit' for 'fruits' cannot happen. A name that is not there stays listed, marked."""
    from dragdl_core.stores import datasets as store

    from app.session import current_actor

    found = {d.name: d for d in store.list_datasets(owner=current_actor())}
    options = list(found) + ([value] if value and value not in found else [])

    def label(name: str) -> str:
        info = found.get(name)
        if info is None:
            return f"{name} (not found)"
        whose = "yours" if info.owner == current_actor().user else "the class's"
        return f"{name} · {len(info.classes)} classes · {info.images} images · {whose}"

    def changed():
        on_change(st.session_state[key])

    st.selectbox("dataset", options, index=options.index(value) if value in options else None, key=key,
                 format_func=label, on_change=changed, placeholder="choose a dataset",
                 help="Your datasets and the class's. Import your own images on the Datasets page.")
    if not found:
        st.caption("No datasets yet: import a zip of class folders on the Datasets page (or make the demo).")


def _preview(graph: dict, node_id: str) -> None:
    with st.expander("Sample images after this node", expanded=True):
        partial = completed(graph, upto=node_id)
        if partial is None:
            st.caption(f"Connect '{node_id}' to a dataset to see sample images.")
            return
        from dragdl_core.sandbox import SandboxError

        if not current_actor().is_instructor:  # the class's limits hold for previews too
            over = quotas.graph_errors(analyze(partial), class_config.current().limits)
            if over:
                st.caption(f"No preview: {over[0]['message']}")
                return
        try:
            classes, rows, has_random = previews.samples(
                partial, node_id, while_drawing=lambda: st.spinner("Drawing sample images…"))
        except (SandboxError, ValueError) as err:
            st.caption(f"No preview: {err}")
            return
        st.caption("Three draws of each image" + (" - random augmentation differs between draws."
                                                   if has_random else " (no random step so far: all alike)."))
        for label, images in zip(classes, rows):
            st.image(images, caption=[f"class {label}, draw {i + 1}" for i in range(len(images))], width=96)


def _summary(graph: dict, node_id: str) -> None:
    with st.expander("Model summary", expanded=True):
        summary = model_summary(graph)
        rows = summary["rows"]
        if not rows:
            st.caption("The summary appears once the model's input shape is known: connect the model "
                       "to a dataset and fix the errors shown.")
            return
        st.markdown(_summary_table(rows, node_id))
        st.caption(f"Total parameters: {summary['parameters']:,}, of which {summary['trainable']:,} learn.")


def _summary_table(rows: list[dict], node_id: str) -> str:
    """The summary as a Markdown table, narrow enough for the panel: one text element, where a dataframe costs
    a pandas frame and an Arrow encoding on every rerun of the Build page (every canvas edit) while a model
    node is selected. A 'trainable' column only when something is frozen."""
    def cell(text) -> str:  # a node id from a graph file may hold a '|'
        return str(text).replace("|", "\\|")

    frozen = any(r["trainable"] != r["parameters"] for r in rows)
    lines = ["| layer | output shape | parameters |" + (" trainable |" if frozen else ""),
             "|---|---|--:|" + ("--:|" if frozen else "")]
    for r in rows:
        layer = f"**{cell(r['layer'])} ◀**" if r["node"] == node_id else cell(r["layer"])
        lines.append(f"| {layer} | `{format_shape(r['output_shape'])}` | {r['parameters']:,} |"
                     + (f" {r['trainable']:,} |" if frozen else ""))
    return "\n".join(lines)
