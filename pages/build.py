"""Build: the canvas. Palette in the sidebar, the graph in the middle, the selected node's properties on
the right; a Code tab with the generated script; Train submits the graph as a task."""
import json
from dataclasses import replace

import streamlit as st

from app import canvas_view, palette, property_panel, task_service
from app.navigation import page
from app.session import current_actor, current_user
from dragdl_core.classroom import class_config, quotas
from dragdl_core.compiler import canvas
from dragdl_core.compiler.codegen import compile_graph
from dragdl_core.compiler.graph import GraphError, load_graph
from dragdl_core.compiler.partial import analyses
from dragdl_core.compiler.templates import describe, open_template, templates

canvas_view.take_browser_changes()


def _edited() -> bool:
    """Whether the canvas holds work that replacing it would lose (anything but an empty canvas)."""
    return bool(canvas_view.graph()["nodes"])


def _replace_with(graph: dict, what: str, assignment: str | None = None) -> None:
    """Replace the canvas, keeping the old graph for Undo when there was one (template, upload, New)."""
    old = canvas_view.graph()
    if _edited():
        canvas_view.remember(f"{what}: your graph '{old.get('name', 'untitled')}' ({len(old['nodes'])} nodes) "
                             "was put aside.")
    else:
        canvas_view.forget()
    canvas_view.replace(graph, assignment=assignment)


def _load_template() -> None:
    title = st.session_state.get("template")
    if title:
        graph, assignment = open_template(title)
        _replace_with(graph, f"Opened the template '{title}'", assignment=assignment)


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
    _replace_with(graph.to_dict(), f"Loaded {upload.name}")


def _delete_selected() -> None:
    chosen = canvas_view.selected()
    if chosen:
        edge = canvas.find_edge(canvas_view.graph(), chosen)
        what = f"the edge {edge['source']} → {edge['target']}" if edge else f"the node '{chosen}'"
        canvas_view.remember(f"Deleted {what}.")
        canvas_view.update(canvas.delete_element(canvas_view.graph(), chosen), select=None)


def _rename(key: str) -> None:
    graph = dict(canvas_view.graph(), name=st.session_state[key].strip() or "untitled")
    canvas_view.update(graph)


def _new_graph() -> None:
    _replace_with(canvas.empty_graph(), "New empty canvas")
    st.session_state["template"] = None


def _submit(graph: dict) -> None:
    try:
        task_id = task_service.submit(graph, current_user(), assignment=canvas_view.assignment())
    except task_service.InvalidGraph as err:
        st.session_state["submit_error"] = "; ".join(e["message"] for e in err.errors)
        return
    except task_service.TaskError as err:
        st.session_state["submit_error"] = task_service.message_for(err, current_actor())
        return
    st.session_state["monitor_tasks"] = [task_id]
    st.switch_page(page("monitor"))


def _outside() -> tuple:
    """What the page draws outside the workbench fragment depends on: the name box and its key, and the
    template picker's choice. A fragment rerun that changed any of these (New, Undo, Fit) reruns the page."""
    return (canvas_view.revision(), canvas_view.graph().get("name"), st.session_state.get("template"))


st.title("Build", anchor=False)  # no "link to heading" stop before the page's first field
head = st.columns([2, 3], vertical_alignment="bottom")
name_key = f"graph_name:{canvas_view.revision()}"
head[0].text_input("Graph name", value=canvas_view.graph().get("name", "untitled"), key=name_key,
                   on_change=_rename, args=(name_key,))
head[1].selectbox("Start from a template", list(templates()), index=None, key="template", format_func=describe,
                  placeholder="choose a template (numbered from first steps to transfer learning)",
                  on_change=_load_template)
st.session_state["build_outside"] = _outside()


def problem_list(analysis, limit: int | None = None) -> str:
    shown_errors = analysis.errors[:limit] if limit else analysis.errors
    lines = [f"- {'`' + e['node'] + '`: ' if e['node'] else ''}{e['message']}" for e in shown_errors]
    if limit and len(analysis.errors) > limit:
        lines.append(f"- … and {len(analysis.errors) - limit} more (select a red node to see its own)")
    return "\n".join(lines)


def status_next_to_train(graph: dict, analysis, shown, service_problem: str | None) -> None:
    """Why Train is or is not available, in view beside it: the problems, or 'ready'."""
    if "submit_error" in st.session_state:
        st.error(st.session_state.pop("submit_error"))
    if not graph["nodes"]:
        st.info("Empty canvas: choose a template above, or add a dataset from the palette on the left.")
    elif analysis.ok:
        st.success(f"Valid: {len(analysis.order)} nodes, output {shown.shapes[analysis.order[-1].id]}. "
                   + ("Ready to train." if not service_problem else ""), icon=":material/check_circle:")
    else:
        node_count = len({e["node"] for e in analysis.errors if e["node"]})
        with st.container(border=True):
            st.markdown(f"**Fix {len(analysis.errors)} problem(s) to train**"
                        + (f" (on {node_count} node(s), marked in red):" if node_count else ":")
                        + "\n\n" + problem_list(analysis, limit=6))
        details = [e for e in analysis.errors if e.get("detail")]
        if details and current_actor().is_instructor:
            with st.expander("Details for the instructor"):
                st.markdown("\n".join(f"- `{e['node']}`: {e['detail']}" for e in details))
    if service_problem:
        st.warning(service_problem, icon=":material/cloud_off:")


@st.fragment
def workbench() -> None:
    """Everything an edit changes - the palette, Train and why, the tools, the canvas, the selected node's
    panel, the script - as one fragment: a palette click, a parameter or a tool reruns this, not the whole
    page (the app shell, the title, the name box and the template picker), which is about a fifth of a
    rerun's server time (benchmarks/ui_load.py)."""
    canvas_view.take_browser_changes()  # the canvas's latest report, as at the top of a whole-page run
    if _outside() != st.session_state.get("build_outside"):
        st.rerun(scope="app")  # New, Undo or Fit changed what is drawn outside
    with st.sidebar:
        st.subheader("Palette")
        palette.draw()

    graph = canvas_view.graph()
    analysis, shown = analyses(graph)  # cached per distinct graph: read-only
    if analysis.ok and not current_actor().is_instructor:  # the class's limits, marked on the node like any error
        over = quotas.graph_errors(analysis, class_config.current().limits)
        if over:  # a valid graph's shapes are its own: `shown` is `analysis`, so both carry the errors
            analysis = shown = replace(analysis, errors=analysis.errors + over)

    service_problem = task_service.problem_for(current_actor())
    ready = analysis.ok and not service_problem
    with st.container(horizontal=True, wrap=False):  # blocks, not st.columns, which cost several times more
        if st.button("Train", type="primary", disabled=not ready, width=140,
                     help="Submit this graph as a training task and watch it on the Monitor page"):
            _submit(graph)
        with st.container():
            status_next_to_train(graph, analysis, shown, service_problem)
    from app.sweep_view import sweep_form

    sweep_form(graph, current_user(), canvas_view.assignment(), ready)
    if canvas_view.assignment():
        st.caption(f"Assignment **{canvas_view.assignment()}**: what you train from this graph counts for it on "
                   "the class leaderboard, whatever you name it.")

    with st.container(horizontal=True):  # one block where st.columns(5) sends six, on every rerun
        st.button("New", on_click=_new_graph, width="stretch",
                  help="Start again from an empty canvas (Undo brings your graph back)")
        st.button("Delete", on_click=_delete_selected, disabled=not canvas_view.selected(), width="stretch",
                  help="Delete the selected node (its neighbours are joined) or edge")
        st.button("Deselect", on_click=canvas_view.select, args=(None,), disabled=not canvas_view.selected(),
                  width="stretch", help="Clear the selection: the next palette click adds an unconnected node")
        st.button("Tidy", on_click=canvas_view.tidy, disabled=not graph["nodes"], width="stretch",
                  help="Lay the graph out again, top to bottom")
        st.button("Fit", on_click=canvas_view.fit, disabled=not graph["nodes"], width="stretch",
                  help="Show the whole graph")
    if canvas_view.last_change():
        note, undo, dismiss = st.columns([6, 1, 1], vertical_alignment="center")
        note.info(canvas_view.last_change(), icon=":material/history:")
        undo.button("Undo", on_click=canvas_view.undo, width="stretch", key="undo")
        dismiss.button("OK", on_click=canvas_view.forget, width="stretch", key="undo_dismiss")

    def canvas_view_tab() -> None:
        with st.container(key="canvas_row"):  # stacks under 1000 px wide (app/style.py): the canvas stays wide
            left, right = st.columns([3, 2])
        with left:
            canvas_view.canvas_fragment(shown.shapes, analysis.errors)
        with right:
            property_panel.draw(analysis, shown)

    def code_tab_view() -> None:
        if not analysis.ok:
            st.info("The script is generated once the graph is valid: fix the problems listed beside Train first.")
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


workbench()
