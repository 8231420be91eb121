"""The Sweep view on Monitor: a sweep's runs as a results table sorted by validation accuracy, a
parallel-coordinate plot of the varied values against it, Optuna's parameter importance for TPE sweeps,
their curves together, and "open best on canvas"."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import plotly.express as px
import streamlit as st

from app import canvas_view, task_service
from app.formatting import display_names, styled
from app.navigation import page
from app.session import current_actor
from dragdl_core import rundir


def sweep_ids(tasks: list[dict]) -> list[str]:
    seen = []
    for task in tasks:
        if task.get("sweep") and task["sweep"] not in seen:
            seen.append(task["sweep"])
    return seen


def results_table(rows: list[dict]) -> pd.DataFrame:
    """Best first (as sweeps.results orders them), numbers kept as numbers for the chart; `shown` formats."""
    names = display_names(rows)
    return pd.DataFrame([{"task": names[r["id"]], "state": r["state"], "val accuracy": r["val_accuracy"],
                          "test accuracy": r.get("accuracy"), **r["values"]} for r in rows])


def shown(table: pd.DataFrame):
    """Accuracies as percentages; a task not finished yet shows a dash, never "None"."""
    return styled(table, {"val accuracy": "{:.1%}", "test accuracy": "{:.1%}"})


def sweep_view(tasks: list[dict], user: str) -> None:
    ids = sweep_ids(tasks)
    if not ids:
        return
    st.header("Sweep")
    sweep_id = st.selectbox("Sweep", ids, key="monitor_sweep")
    rows = task_service.sweep_results(sweep_id, user)
    if not rows:
        st.caption("This sweep's tasks were deleted.")
        return
    table = results_table(rows)
    st.dataframe(shown(table), hide_index=True, width="stretch", key="sweep_results")
    varied = [c for c in table.columns if "." in c]
    done = table.dropna(subset=["val accuracy"])
    numeric = [c for c in varied if pd.api.types.is_numeric_dtype(done[c])] if len(done) else []
    if len(done) >= 2 and numeric:
        st.plotly_chart(px.parallel_coordinates(done, dimensions=[*numeric, "val accuracy"], color="val accuracy",
                                                title="Varied values and validation accuracy"),
                        key=f"sweep_parallel:{sweep_id}")
    importance(sweep_id)
    left, right = st.columns(2)
    if left.button("Show their curves", key="sweep_curves"):
        st.session_state["monitor_tasks"] = [r["id"] for r in rows]
        st.session_state.pop("monitor_select", None)
        st.rerun()
    best = rows[0]
    if best["val_accuracy"] is not None and right.button("Open best on canvas", key="sweep_best"):
        graph = rundir.read_graph(Path(best["run_dir"]))
        if graph is not None:
            graph["name"] = f"{graph.get('name', 'sweep')}-best"
            canvas_view.replace(graph)
            st.switch_page(page("build"))


def importance(sweep_id: str) -> None:
    """Optuna's parameter-importance plot, for a TPE sweep with enough finished trials."""
    from dragdl_core.tasks import sweeps

    record = sweeps.read(sweep_id)
    if record.get("search") != "tpe" or len(record.get("told", [])) < 2:
        return
    try:
        import optuna

        study = optuna.load_study(study_name=sweep_id, storage=sweeps.study_storage(sweep_id))
        st.plotly_chart(optuna.visualization.plot_param_importances(study), key=f"sweep_importance:{sweep_id}")
    except Exception as err:  # noqa: BLE001 - e.g. every trial failed: say so, keep the page
        st.caption(f"No parameter importance yet: {err}")


def _tunable(graph: dict) -> dict[str, object]:
    """node.param -> its current value, for every number or choice parameter of the graph's nodes."""
    from dragdl_core.compiler import registry
    from dragdl_core.compiler.params import Choice, Float, Int

    found = {}
    for node in graph.get("nodes", []):
        node_type = registry.get(node.get("type"))
        for name, declared in (node_type.params.items() if node_type else []):
            if isinstance(declared, (Int, Float, Choice)):
                value = node.get("params", {}).get(name, None if declared.required else declared.default)
                found[f"{node['id']}.{name}"] = value
    return found


def sweep_form(graph: dict, user: str, assignment: str | None, ready: bool) -> None:
    """Build page: mark parameters to vary with their values (or ranges for TPE) and press Sweep: one task
    per combination, followed on Monitor's Sweep view."""
    with st.expander("Sweep: train several variants (vary parameters)", key="sweep_open",
                     on_change="rerun") as box:
        if not box.open:  # drawn only when opened: the form is not redrawn on every canvas edit
            return
        tunable = _tunable(graph)
        chosen = st.multiselect("Parameters to vary", list(tunable), key="sweep_params",
                                help="Each combination of the values below becomes one training task")
        search = st.radio("Search", ["grid", "tpe"], horizontal=True, key="sweep_search",
                          format_func=lambda s: {"grid": "every combination",
                                                 "tpe": "Optuna TPE (ranges LOW..HIGH, add ,log)"}[s])
        specs = []
        for key in chosen:
            values = st.text_input(f"{key} values (comma-separated)", value=str(tunable[key]),
                                   key=f"sweep_values:{key}")
            specs.append(f"{key}={values}")
        trials = st.number_input("Trials", 1, 64, 4, key="sweep_trials") if search == "tpe" else None
        if st.button("Sweep", key="sweep_go", disabled=not (ready and chosen)):
            try:
                result = task_service.submit_sweep(graph, user, specs, assignment=assignment, search=search,
                                                   trials=trials)
            except task_service.InvalidGraph as err:
                st.error("; ".join(e["message"] for e in err.errors))
                return
            except task_service.TaskError as err:
                st.error(task_service.message_for(err, current_actor()))
                return
            st.session_state["monitor_tasks"] = result["tasks"]
            st.session_state["monitor_sweep"] = result["sweep"]
            st.switch_page(page("monitor"))
