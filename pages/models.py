"""Models: the model node types the canvas offers, and the trained models of finished tasks."""
from pathlib import Path

import pandas as pd
import streamlit as st

from app import task_service
from app.downloads import model_downloads
from app.formatting import DASH, age, display_names, styled, task_label
from app.navigation import page
from app.session import current_user
from dragdl_core import rundir
from dragdl_core.compiler import registry

st.title("Models", anchor=False)  # no "link to heading" stop before the page's first field
st.subheader("Model building blocks")
st.caption("From the Models group of the palette; layers (Layers group) build a network by hand.")
for node_type in registry.node_types().values():
    if registry.PALETTE_GROUPS[node_type.category] != "Models":
        continue
    with st.expander(f"**{node_type.name}** — {node_type.description}"):
        doc = node_type.to_doc()["params"]
        st.dataframe(pd.DataFrame([{"parameter": k, "default": DASH if v.get("default", "") is None
                                    else str(v.get("default", "(required)")),
                                    "allowed": v.get("bounds") or DASH, "description": v["description"]}
                                   for k, v in doc.items()]), hide_index=True, width="stretch")

st.subheader("Your trained models")
user = current_user()
finished = task_service.finished_tasks(user)
if not finished:
    st.info("No finished task yet.")
    st.stop()
# the same names, figures and formats as the Tasks and Monitor pages: a name first, the id after
names = display_names(finished)
rows = []
for task in finished:
    folder = Path(task["run_dir"])
    report = rundir.read_report(folder) or {}
    graph = rundir.read_graph(folder) or {}
    rows.append({"name": names[task["id"]], "test accuracy": report.get("accuracy"),
                 "classes": len(report.get("classes", [])) or None, "parameters": report.get("parameters"),
                 "trained": age(task.get("finished") or task.get("created")) or DASH,
                 "nodes": " → ".join(n["type"] for n in graph.get("nodes", [])) or DASH, "task": task["id"]})
st.dataframe(styled(pd.DataFrame(rows), {"test accuracy": "{:.1%}", "classes": "{:.0f}", "parameters": "{:,.0f}"}),
             hide_index=True, width="stretch")  # numbers stay numbers: the columns sort as numbers
by_id = {t["id"]: t for t in finished}
chosen = st.selectbox("Task", list(by_id), format_func=lambda i: task_label(by_id[i]))
model_downloads(Path(by_id[chosen]["run_dir"]), chosen, "models")
if st.button("Predict with this model"):
    st.session_state["predict_task"] = chosen
    st.switch_page(page("predict"))
