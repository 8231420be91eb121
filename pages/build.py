"""Build: the canvas. Palette in the sidebar, the graph in the middle, the selected node's properties on
the right; a Code tab with the generated script; Train submits the graph as a task."""
import json
from dataclasses import replace

import streamlit as st

from app import canvas_view, palette, property_panel, task_service
from app.navigation import page
from app.session import current_actor, current_user
from dragdl_core import canvas, class_config, quotas
from dragdl_core.codegen import compile_graph
from dragdl_core.graph import GraphError, load_graph
from dragdl_core.partial import analyses
from dragdl_core.templates import open_template, templates

canvas_view.take_browser_changes()


def _load_template() -> None:
    title = st.session_state.get("template")
    if title:
        graph, assignment = open_template(title)
        canvas_view.replace(graph, assignment=assignment)


def _load_upload() -> None:
    upload = st.session_state.get("graph_upload")
    if upload is None:
        return
    try:
        graph = load_graph(upload.getvalue().decode("utf-8", errors="replace"))
    except GraphError as err:
        st.session_state["load_error"] = f"{upload.name}: {err}"
        return
    st.session_state.pop("load_error", None)
    canvas_view.replace(graph.to_dict())


def _delete_selected() -> None:
    chosen = canvas_view.selected()
    if chosen:
        canvas_view.update(canvas.delete_element(canvas_view.graph(), chosen), select=None)


def _rename(key: str) -> None:
    graph = dict(canvas_view.graph(), name=st.session_state[key].strip() or "untitled")
    canvas_view.update(graph)


def _new_graph() -> None:
    canvas_view.replace(canvas.empty_graph())


def _submit(graph: dict) -> None:
    try:
        task_id = task_service.submit(graph, current_user(), assignment=canvas_view.assignment())
    except task_service.InvalidGraph as err:
        st.session_state["submit_error"] = "; ".join(e["message"] for e in err.errors)
        return
    except task_service.TaskError as err:
        st.session_state["submit_error"] = str(err)
        return
    st.session_state["monitor_tasks"] = [task_id]
    st.switch_page(page("monitor"))


with st.sidebar:
    st.subheader("Palette")
    palette.draw()

graph = canvas_view.graph()
analysis, shown = analyses(graph)  # cached per distinct graph: read-only
if analysis.ok and not current_actor().is_instructor:  # the class's limits, marked on the node like any error
    over = quotas.graph_errors(analysis, class_config.current().limits)
    if over:  # a valid graph's shapes are its own: `shown` is `analysis`, so both carry the errors
        analysis = shown = replace(analysis, errors=analysis.errors + over)

st.title("Build")
top = st.columns([2, 2, 1, 1, 1, 1], vertical_alignment="bottom")
name_key = f"graph_name:{canvas_view.revision()}"
top[0].text_input("Graph name", value=graph.get("name", "untitled"), key=name_key, on_change=_rename,
                  args=(name_key,))
top[1].selectbox("Start from a template", list(templates()), index=None, key="template",
                 placeholder="choose a template", on_change=_load_template)
top[2].button("New", on_click=_new_graph, help="Start again from an empty canvas", width="stretch")
top[3].button("Delete", on_click=_delete_selected, disabled=not canvas_view.selected(), width="stretch",
              help="Delete the selected node (its neighbours are joined) or edge")
top[4].button("Deselect", on_click=canvas_view.select, args=(None,), disabled=not canvas_view.selected(),
              width="stretch", help="Clear the selection: the next palette click adds an unconnected node")
service_problem = task_service.problem()
ready = analysis.ok and not service_problem
why = " ".join(filter(None, ["" if analysis.ok else "Fix the problems shown on the canvas first.",
                             service_problem]))
if top[5].button("Train", type="primary", disabled=not ready, width="stretch",
                 help=why or "Submit this graph as a training task and watch it on the Monitor page"):
    _submit(graph)
if "submit_error" in st.session_state:
    st.error(st.session_state.pop("submit_error"))
if canvas_view.assignment():
    st.caption(f"Assignment **{canvas_view.assignment()}**: what you train from this graph counts for it on the "
               "class leaderboard, whatever you name it.")


def canvas_view_tab() -> None:
    left, right = st.columns([3, 2])
    with left:
        canvas_view.canvas_fragment(shown.shapes, analysis.errors)
        if not graph["nodes"]:
            st.info("Empty canvas: add a dataset from the palette, or start from a template.")
        elif analysis.ok:
            st.success(f"Valid: {len(analysis.order)} nodes, output {shown.shapes[analysis.order[-1].id]}. "
                       "Ready to train.", icon=":material/check_circle:")
        else:
            node_count = len({e["node"] for e in analysis.errors if e["node"]})
            st.warning(f"{len(analysis.errors)} problem(s)" + (f" on {node_count} node(s), marked in red"
                                                              if node_count else ""),
                       icon=":material/warning:")
            st.markdown(problem_list())
    with right:
        property_panel.draw(analysis, shown)


def problem_list() -> str:
    return "\n".join(f"- {'`' + e['node'] + '`: ' if e['node'] else ''}{e['message']}" for e in analysis.errors)


def code_tab_view() -> None:
    if not analysis.ok:
        st.info("The script is generated once the graph is valid. Still to fix:")
        st.markdown(problem_list())
        return
    script = compile_graph(analysis)
    st.download_button("Download train.py", script, file_name=f"{graph.get('name', 'graph')}-train.py",
                       mime="text/x-python")
    st.code(script, language="python", line_numbers=True)


def file_tab_view() -> None:
    st.download_button("Download graph JSON", json.dumps(graph, indent=2) + "\n",
                       file_name=f"{graph.get('name', 'graph')}.json", mime="application/json")
    st.file_uploader("Load a graph JSON", type=["json"], key="graph_upload", on_change=_load_upload)
    if "load_error" in st.session_state:
        st.error(st.session_state["load_error"])


# Lazy tabs: only the open one runs, so an edit on the canvas does not also rebuild the script view.
for tab, view in zip(st.tabs(["Canvas", "Code", "Save / load"], key="build_view", on_change="rerun"),
                     (canvas_view_tab, code_tab_view, file_tab_view)):
    if tab.open:
        with tab:
            view()
