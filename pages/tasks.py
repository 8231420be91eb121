"""Tasks: the student's training tasks with state, queue position, progress, accuracy and age; stop,
retry, delete, watch, predict, and open a copy on the canvas to change and submit again."""
from pathlib import Path

import pandas as pd
import streamlit as st

from app import canvas_view, task_service
from app.formatting import age, duration, task_label
from app.navigation import page
from app.session import current_user
from dragdl_core import assignments, rundir

REFRESH_SECONDS = 2

st.title("Tasks")
user = current_user()
if task_service.problem():
    st.info(task_service.problem(), icon=":material/info:")


def _act(action, task_id: str, done: str) -> None:
    try:
        action(task_id)
    except task_service.TaskError as err:
        st.error(f"{task_id}: {err}")
        return
    st.toast(done)
    st.rerun()


def _open_copy(task: dict) -> None:
    graph = rundir.read_graph(Path(task["run_dir"]))
    if graph is None:
        st.error(f"{task['id']} has no graph.json to open")
        return
    graph["name"] = f"{graph.get('name', 'untitled')}-copy"
    canvas_view.replace(graph, assignment=assignments.counted_for(task))  # a copy still counts for it
    st.switch_page(page("build"))


def _table(tasks: list[dict]) -> pd.DataFrame:
    return pd.DataFrame([{
        "task": t["id"], "name": t.get("name") or "", "state": t["state"],
        "queue": t.get("queue_position"), "progress": float(t.get("progress") or 0.0),
        "accuracy": t.get("accuracy"), "age": age(t.get("created")),
        "eta": duration(t.get("eta_seconds")) if t["state"] in task_service.ACTIVE_STATES else "",
        "error": t.get("error") or "",
    } for t in tasks])


tasks = task_service.list_tasks(user)
active = any(t["state"] in task_service.ACTIVE_STATES for t in tasks)


@st.fragment(run_every=REFRESH_SECONDS if active else None)
def task_list() -> None:
    current = task_service.list_tasks(user)
    if not current:
        st.info("No tasks yet. Build a graph on the Build page and press Train.")
        return
    if any(t["state"] in task_service.ACTIVE_STATES for t in current) != active:
        st.rerun()  # something started or finished: redraw the page (actions, refresh rate)
    st.dataframe(_table(current), hide_index=True, width="stretch", key="task_table", on_select="rerun",
                 selection_mode="single-row", column_config={
                     "progress": st.column_config.ProgressColumn("progress", min_value=0.0, max_value=1.0),
                     "accuracy": st.column_config.NumberColumn("test accuracy", format="percent"),
                     "queue": st.column_config.NumberColumn("queue position"),
                 })


task_list()

if tasks:
    selection = st.session_state.get("task_table")
    rows = selection.selection.rows if selection is not None else []
    labels = {task_label(t): t for t in tasks}
    default = task_label(tasks[rows[0]]) if rows and rows[0] < len(tasks) else None
    chosen = st.selectbox("Task", list(labels), index=list(labels).index(default) if default else 0)
    task = labels[chosen]
    state = task["state"]
    control = task_service.available() and not task.get("read_only")  # runs only on disk: read-only
    if task.get("read_only"):
        st.caption("A run on disk that the task service does not know (trained from the command line): "
                   "it can be watched, used and copied, not stopped, retried or deleted here.")
    buttons = st.columns(6)
    if buttons[0].button("Monitor", width="stretch"):
        st.session_state["monitor_tasks"] = [task["id"]]
        st.switch_page(page("monitor"))
    if buttons[1].button("Predict", width="stretch", disabled=state != "succeeded"):
        st.session_state["predict_task"] = task["id"]
        st.switch_page(page("predict"))
    if buttons[2].button("Stop", width="stretch", disabled=not control or state not in task_service.ACTIVE_STATES):
        _act(task_service.stop, task["id"], f"Stopping {task['id']}")
    if buttons[3].button("Retry", width="stretch", disabled=not control or state not in ("failed", "stopped"),
                         help="Run again, resuming from the last finished epoch"):
        _act(task_service.retry, task["id"], f"{task['id']} queued again")
    if buttons[4].button("Delete", width="stretch", disabled=not control or state in task_service.ACTIVE_STATES,
                         help="Delete the task and its run directory (stop it first)"):
        _act(task_service.delete, task["id"], f"Deleted {task['id']}")
    if buttons[5].button("Open on canvas", width="stretch", help="Edit a copy of this task's graph"):
        _open_copy(task)
    if task.get("error"):
        st.error(task["error"])
