"""Tasks: the student's training tasks with state, queue position, progress, accuracy and age; stop,
retry, delete, watch, predict, and open a copy on the canvas to change and submit again."""
from pathlib import Path

import pandas as pd
import streamlit as st

from app import canvas_view, task_service
from app.formatting import age, duration, task_label
from app.navigation import page
from app.session import current_actor, current_user
from dragdl_core import rundir
from dragdl_core.classroom import assignments

REFRESH_SECONDS = 2

st.title("Tasks", anchor=False)  # no "link to heading" stop before the page's first field
user = current_user()
if task_service.problem():
    st.info(task_service.problem_for(current_actor()), icon=":material/info:")


def _act(action, task_id: str, done: str, keep: bool = False) -> None:
    """Do it and say so: a toast, or (`keep`) a message that stays on the page after the rerun."""
    try:
        action(task_id)
    except task_service.TaskError as err:
        st.error(f"{task_id}: {task_service.message_for(err, current_actor())}")
        return
    if keep:
        st.session_state["task_done_message"] = done
    else:
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


DASH = "—"  # a missing value, never "None"


def _table(tasks: list[dict], chosen: str | None) -> pd.DataFrame:
    return pd.DataFrame([{
        "": "▶" if t["id"] == chosen else "",
        "name": t.get("name") or "untitled", "task": t["id"], "state": t["state"],
        "queue": str(t["queue_position"]) if t.get("queue_position") is not None else DASH,
        "progress": float(t.get("progress") or 0.0),
        "accuracy": f"{t['accuracy']:.1%}" if isinstance(t.get("accuracy"), (int, float)) else DASH,
        "age": age(t.get("created")) or DASH,
        "eta": (duration(t.get("eta_seconds")) or DASH) if t["state"] in task_service.ACTIVE_STATES else DASH,
        "error": t.get("error") or "",
    } for t in tasks])


tasks = task_service.list_tasks(user)
active = any(t["state"] in task_service.ACTIVE_STATES for t in tasks)
labels = {task_label(t): t for t in tasks}
PICK, CONFIRM, DONE = "task_pick", "task_confirm_delete", "task_done_message"
if st.session_state.get(PICK) not in labels:  # the first task, or the one chosen before is gone
    st.session_state[PICK] = next(iter(labels), None)


def _chosen_id() -> str | None:
    picked = labels.get(st.session_state.get(PICK))
    return picked["id"] if picked else None


@st.fragment(run_every=REFRESH_SECONDS if active else None)
def task_list() -> None:
    current = task_service.list_tasks(user)
    if not current:
        st.info("No tasks yet. Build a graph on the Build page and press Train.")
        return
    if any(t["state"] in task_service.ACTIVE_STATES for t in current) != active:
        st.rerun()  # something started or finished: redraw the page (actions, refresh rate)
    st.dataframe(_table(current, _chosen_id()), hide_index=True, width="stretch", key="task_table",
                 column_config={
                     "": st.column_config.TextColumn("", width=24, help="The task the buttons below act on"),
                     "progress": st.column_config.ProgressColumn("progress", min_value=0.0, max_value=1.0),
                     "accuracy": st.column_config.TextColumn("test accuracy"),
                     "queue": st.column_config.TextColumn("queue position"),
                 })


if DONE in st.session_state:
    st.success(st.session_state.pop(DONE), icon=":material/check:")

if tasks:
    # one selection: this picker (the table marks the same task with ▶); every button acts on it
    chosen = st.selectbox("Task", list(labels), key=PICK, help="The task the buttons below act on")
    task = labels[chosen]
    state = task["state"]
task_list()

if tasks:
    control = task_service.available() and not task.get("read_only")  # runs only on disk: read-only
    if task.get("read_only"):
        st.caption("A run on disk that the task service does not know (trained from the command line): "
                   "it can be watched, used and copied, not stopped, retried or deleted here.")
    buttons = st.container(horizontal=True)  # each button as wide as its label; the row wraps when narrow
    if buttons.button("Monitor", width="content"):
        st.session_state["monitor_tasks"] = [task["id"]]
        st.switch_page(page("monitor"))
    if buttons.button("Predict", width="content", disabled=state != "succeeded"):
        st.session_state["predict_task"] = task["id"]
        st.switch_page(page("predict"))
    if buttons.button("Stop", width="content", disabled=not control or state not in task_service.ACTIVE_STATES):
        _act(task_service.stop, task["id"], f"Stopping {chosen}")
    if buttons.button("Retry", width="content", disabled=not control or state not in ("failed", "stopped"),
                         help="Run again, resuming from the last finished epoch"):
        _act(task_service.retry, task["id"], f"{chosen} queued again")
    if buttons.button("Delete…", width="content", disabled=not control or state in task_service.ACTIVE_STATES,
                         help="Delete the task and its run directory (stop it first); asks first"):
        st.session_state[CONFIRM] = task["id"]
    if buttons.button("Open on canvas", width="content", help="Edit a copy of this task's graph"):
        _open_copy(task)
    if st.session_state.get(CONFIRM) == task["id"]:
        with st.container(border=True):
            st.warning(f"Delete **{chosen}** ({state})? Its run, trained model and report are removed for good.",
                       icon=":material/warning:")
            yes, no, _ = st.columns([2, 1, 3])
            if yes.button(f"Yes, delete {task.get('name') or task['id']}", type="primary", key="delete_yes"):
                st.session_state.pop(CONFIRM, None)
                _act(task_service.delete, task["id"], f"Deleted {chosen}.", keep=True)
            if no.button("Cancel", key="delete_no"):
                st.session_state.pop(CONFIRM, None)
                st.rerun()
    else:
        st.session_state.pop(CONFIRM, None)  # a confirmation never outlives a change of task
    if task.get("error"):
        st.error(task["error"])
