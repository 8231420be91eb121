"""Class: the instructor's page. Every task with its owner, the queue and the workers, stop any task, the
leaderboard (best test accuracy per student for each assignment), publishing a template graph as an
assignment and a dataset to the whole class. The services check the role again on every action."""
import json

import pandas as pd
import streamlit as st

from app import canvas_view, task_service
from app.formatting import age, styled
from app.session import current_actor
from dragdl_core.classroom import access, assignments, class_config, leaderboard
from dragdl_core.stores import datasets as datasets_store
from dragdl_core.config import REPO_ROOT
from dragdl_core.compiler.graph import GraphError, load_graph

REFRESH_SECONDS = 3

st.title("Class", anchor=False)  # no "link to heading" stop before the page's first field
actor = current_actor()
if not access.may(actor, "see_queue"):
    st.error("Only an instructor may see this page.")
    st.stop()
problem = task_service.problem()
if problem:
    st.info(problem, icon=":material/info:")


@st.fragment(run_every=REFRESH_SECONDS)
def queue_and_tasks() -> None:
    st.subheader("Queue and workers")
    try:
        overview = task_service.queue_status(actor)
        every = task_service.all_tasks(actor)
    except task_service.TaskError as err:
        st.warning(str(err))
        return
    columns = st.columns(3)
    columns[0].metric("Queued", overview["queued"])
    columns[1].metric("Running", overview["running"])
    columns[2].metric("Workers", len(overview["workers"]))
    if overview["workers"]:
        st.dataframe(pd.DataFrame([{"worker": w["name"], "state": w["state"], "task": w["task"] or "",
                                    "student": w["user"] or "", "why idle": w.get("paused") or ""}
                                   for w in overview["workers"]]),
                     hide_index=True, width="stretch", key="workers_table")
    else:
        st.caption("No worker is running: start them with `python -m dragdl_core up --config FILE`.")
    st.subheader("Every task")
    if not every:
        st.caption("No task yet.")
        return
    st.dataframe(styled(pd.DataFrame([{
        "task": t["id"], "student": t["user"], "name": t.get("name") or "", "state": t["state"],
        "queue": t.get("queue_position"), "progress": float(t.get("progress") or 0.0),
        "test accuracy": t.get("accuracy"), "worker": t.get("worker") or "", "age": age(t.get("created")),
    } for t in every]), {"queue": "{:.0f}", "test accuracy": "{:.1%}"}),
        hide_index=True, width="stretch", key="all_tasks_table", column_config={
        "progress": st.column_config.ProgressColumn("progress", min_value=0.0, max_value=1.0),
    })


def stop_any_task() -> None:
    try:
        active = [t for t in task_service.all_tasks(actor) if t["state"] in task_service.ACTIVE_STATES]
    except task_service.TaskError:
        return
    if not active:
        return
    labels = {f"{t['id']} · {t['user']} · {t.get('name') or ''} ({t['state']})": t["id"] for t in active}
    left, right = st.columns([4, 1], vertical_alignment="bottom")
    chosen = left.selectbox("Stop a task", list(labels), key="stop_choice")
    if right.button("Stop", key="stop_any", width="stretch"):
        try:
            task_service.stop(labels[chosen])
        except task_service.TaskError as err:
            st.error(str(err))
            return
        st.toast(f"Stopping {labels[chosen]}")
        st.rerun()


def leaderboards() -> None:
    st.subheader("Leaderboard")
    published = assignments.list_assignments()
    if not published:
        st.caption("Publish an assignment below; each student's best test accuracy on it shows here.")
        return
    try:
        every = task_service.all_tasks(actor)
    except task_service.TaskError as err:
        st.warning(str(err))
        return
    boards = leaderboard.leaderboard(every, [a.name for a in published])
    for assignment in published:
        entries = boards[assignment.name]
        st.markdown(f"**{assignment.title}** (`{assignment.name}`)")
        if not entries:
            st.caption("No finished task yet.")
            continue
        st.dataframe(pd.DataFrame([{"rank": e.rank, "student": e.user, "test accuracy": e.accuracy,
                                    "finished tasks": e.attempts, "best task": e.task_id} for e in entries]),
                     hide_index=True, width="stretch", key=f"board_{assignment.name}", column_config={
                         "test accuracy": st.column_config.NumberColumn(format="percent")})


def _template_sources() -> dict[str, dict]:
    """Graphs the instructor can publish: the one on the canvas and the examples shipped with DragDL."""
    sources = {}
    canvas = canvas_view.graph()
    if canvas.get("nodes"):
        sources[f"the graph on the Build page ({canvas.get('name', 'untitled')})"] = canvas
    for path in sorted((REPO_ROOT / "examples").glob("*.json")):
        try:
            sources[f"example: {path.name}"] = json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            continue
    return sources


def publish_assignment() -> None:
    st.subheader("Assignments")
    sources = _template_sources()
    with st.form("publish_form", clear_on_submit=False):
        source = st.selectbox("Template graph", list(sources) + ["upload a graph file"], key="template_source")
        upload = st.file_uploader("Graph file (JSON)", type=["json"], key="template_upload")
        title = st.text_input("Title", max_chars=200, key="assignment_title")
        description = st.text_area("What students should do", key="assignment_description")
        replace = st.checkbox("Replace an assignment with this title", key="assignment_replace")
        submitted = st.form_submit_button("Publish to the class", type="primary")
    if submitted:
        try:
            graph = load_graph(upload.getvalue().decode("utf-8")) if source == "upload a graph file" and upload \
                else sources.get(source)
            if graph is None:
                raise assignments.AssignmentError("choose a template graph (or upload one)")
            published = assignments.publish(graph, title, description, actor=actor, replace=replace)
        except (assignments.AssignmentError, GraphError, UnicodeDecodeError, access.AccessDenied) as err:
            st.error(f"Not published: {err}")
        else:
            st.success(f"Published **{published.title}**: students find it on the Build page.")
    for assignment in assignments.list_assignments():
        left, right = st.columns([5, 1], vertical_alignment="center")
        left.markdown(f"**{assignment.title}** (`{assignment.name}`) - {assignment.description[:120]}")
        if right.button("Withdraw", key=f"withdraw_{assignment.name}", width="stretch"):
            assignments.withdraw(assignment.name, actor=actor)
            st.rerun()


def share_datasets() -> None:
    st.subheader("Datasets for the class")
    found = datasets_store.list_datasets(owner=actor)
    if not found:
        st.caption("No datasets yet (import one on the Datasets page).")
        return
    st.dataframe(pd.DataFrame([{"dataset": d.name, "owner": d.owner or "(the class)", "images": d.images,
                                "shared with the class": d.shared or d.owner is None} for d in found]),
                 hide_index=True, width="stretch", key="datasets_table")
    private = [d.name for d in found if d.owner is not None]
    if not private:
        return
    left, right = st.columns([4, 1], vertical_alignment="bottom")
    name = left.selectbox("Dataset", private, key="share_choice")
    shared = next(d.shared for d in found if d.name == name)
    if right.button("Make private" if shared else "Share with the class", key="share", width="stretch"):
        try:
            datasets_store.share(name, shared=not shared, owner=actor)
        except datasets_store.DatasetError as err:
            st.error(err.message)
            return
        st.rerun()


def settings() -> None:
    with st.expander("Class settings"):
        st.table([{"setting": k, "value": v} for k, v in class_config.describe(class_config.current())])


queue_and_tasks()
stop_any_task()
leaderboards()
publish_assignment()
share_datasets()
settings()
