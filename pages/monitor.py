"""Monitor: live training curves (loss and accuracy, train and validation, by step or epoch), the
performance panel and the log while a task runs; the test report, confusion matrix and misclassified
images when it is done. Several tasks overlay their curves for comparison."""
from pathlib import Path

import pandas as pd
import streamlit as st

from app import charts, task_service
from app.downloads import model_downloads
from app.formatting import DASH, display_names, duration, task_label
from app.session import current_user
from dragdl_core import rundir

REFRESH_SECONDS = 2

st.title("Monitor", anchor=False)  # no "link to heading" stop before the page's first field
user = current_user()
tasks = task_service.list_tasks(user)
if not tasks:
    st.info("No tasks yet. Build a graph on the Build page and press Train.")
    st.stop()

by_id = {t["id"]: t for t in tasks}
shown_name = display_names(tasks)
wanted = [i for i in st.session_state.get("monitor_tasks", []) if i in by_id] or [tasks[0]["id"]]
chosen = st.multiselect("Tasks (several overlay their curves)", list(by_id), default=wanted,
                        format_func=lambda i: task_label(by_id[i]), key="monitor_select")
st.session_state["monitor_tasks"] = chosen
if not chosen:
    st.info("Choose a task to monitor.")
    st.stop()
active = any(by_id[i]["state"] in task_service.ACTIVE_STATES for i in chosen)
by = st.radio("Curves by", ["epoch", "step"], horizontal=True, key="monitor_by")


def _performance(metrics: rundir.Metrics) -> None:
    step = metrics.steps[-1] if metrics.steps else {}
    epoch = metrics.epochs[-1] if metrics.epochs else {}
    cells = st.columns(5)
    cells[0].metric("images / s", f"{step['images_per_sec']:,.0f}" if step.get("images_per_sec") else DASH)
    cells[1].metric("step time", f"{step['step_time'] * 1000:.0f} ms" if step.get("step_time") else DASH)
    cells[2].metric("epoch time", duration(epoch.get("epoch_time")) or DASH)
    cells[3].metric("CPU", f"{epoch['cpu_percent']:.0f} %" if epoch.get("cpu_percent") is not None else DASH)
    cells[4].metric("memory", f"{epoch['rss_mb']:,.0f} MB" if epoch.get("rss_mb") is not None else DASH)


@st.fragment(run_every=REFRESH_SECONDS if active else None)
def live() -> None:
    current = {t["id"]: t for t in task_service.list_tasks(user)}
    runs = [(i, current[i]) for i in chosen if i in current]
    if any(t["state"] in task_service.ACTIVE_STATES for _, t in runs) != active:
        st.rerun()  # a task finished (or started): redraw with its report and the right refresh rate
    metrics = {i: rundir.read_metrics(Path(task["run_dir"])) for i, task in runs}  # listed: already checked
    for i, task in runs:
        progress = float(task.get("progress") or 0.0)
        eta = f", about {duration(task['eta_seconds'])} left" if task.get("eta_seconds") else ""
        queue = f" (position {task['queue_position']} in the queue)" if task.get("queue_position") else ""
        st.progress(progress, text=f"**{shown_name.get(i, i)}** · {task['state']}{queue} · "
                                   f"{progress:.0%}{eta}")
        if task.get("error"):
            st.error(task["error"])
    labelled = [(shown_name.get(i, i), metrics[i]) for i, task in runs]
    left, right = st.columns(2)
    left.plotly_chart(charts.training_curves(labelled, "loss", by), key="loss_chart")
    right.plotly_chart(charts.training_curves(labelled, "accuracy", by), key="accuracy_chart")
    first = runs[0][0]
    st.subheader("Performance" + (f" · {shown_name.get(first, first)}" if len(runs) > 1 else ""))
    _performance(metrics[first])
    with st.expander("Log", expanded=active):
        st.code(task_service.logs(first, user, tail=60) or "(no log yet)", language=None)


live()


def configuration(task_id: str) -> None:
    """What the task trained: its graph, node by node with the parameters set, and the Trainer's
    hyper-parameters in full (defaults included), as submitted (graph.json is never rewritten)."""
    from dragdl_core.compiler import registry
    from dragdl_core.compiler.canvas import changed_params

    graph = rundir.read_graph(Path(by_id[task_id]["run_dir"])) or {}
    nodes = graph.get("nodes", [])
    with st.expander(f"Graph and hyper-parameters · {shown_name[task_id]}", expanded=len(chosen) == 1):
        if not nodes:
            st.caption("This task has no graph.json.")
            return
        steps = []
        for n in nodes:
            changed = ", ".join(f"{k}={v}" for k, v in changed_params(n))
            steps.append(f"`{n['id']}` **{n['type']}**" + (f" ({changed})" if changed else ""))
        st.markdown(" → ".join(steps))
        trainer = next((n for n in nodes if n["type"] == "Trainer"), None)
        declared = registry.get("Trainer")
        if trainer and declared:
            values = {name: trainer.get("params", {}).get(name, None if decl.required else decl.default)
                      for name, decl in declared.params.items()}
            st.dataframe(pd.DataFrame([{"hyper-parameter": k, "value": DASH if v is None else str(v)}
                                       for k, v in values.items()]), hide_index=True)


for task_id in chosen:
    configuration(task_id)

reports = {i: rundir.read_report(Path(by_id[i]["run_dir"])) for i in chosen}  # each read once per rerun
finished = [i for i in chosen if reports[i]]
if len(chosen) > 1 and finished:
    st.subheader("Comparison")
    st.dataframe(pd.DataFrame([{"name": shown_name[i], "test accuracy": f"{reports[i]['accuracy']:.1%}",
                                "task": i} for i in finished]), hide_index=True)

for task_id in finished:
    folder, report = Path(by_id[task_id]["run_dir"]), reports[task_id]
    st.header(f"Test report · {shown_name[task_id]}")
    cells = st.columns(4)
    cells[0].metric("test accuracy", f"{report['accuracy']:.1%}")
    cells[1].metric("test loss", f"{report.get('loss', float('nan')):.3f}")
    cells[2].metric("epochs trained", report.get("epochs_trained", DASH))
    cells[3].metric("parameters", f"{report['parameters']:,}" if "parameters" in report else DASH)
    model_downloads(folder, task_id, "monitor")
    left, right = st.columns([2, 3])
    per_class = pd.DataFrame.from_dict(report["per_class"], orient="index").rename_axis("class").reset_index()
    left.dataframe(per_class, hide_index=True, width="stretch")
    right.plotly_chart(charts.confusion_heatmap(report), key=f"confusion:{task_id}")
    wrong = rundir.misclassified(folder)
    st.subheader(f"Misclassified test images ({len(wrong)} shown)")
    if wrong:
        from dragdl_core.imaging import enlarge

        st.image([enlarge(w.path) for w in wrong], caption=[f"{w.label} → {w.predicted}" for w in wrong],
                 width=84)
    else:
        st.caption("None: every test image was classified correctly.")

from app.sweep_view import sweep_view  # noqa: E402

sweep_view(tasks, user)
