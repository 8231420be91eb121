"""Datasets: what can be trained on. A placeholder until the dataset-upload issue (6) replaces this page:
the built-in sources, and the image folders under the datasets directory with their class counts."""
import pandas as pd
import streamlit as st

from dragdl_core import config, registry

st.title("Datasets")
st.subheader("Built in")
st.dataframe(pd.DataFrame([{"dataset": t.name, "description": t.description}
                           for t in registry.by_category("dataset") if t.name != "ImageFolder"]),
             hide_index=True, width="stretch")

st.subheader("Your image folders")
root = config.datasets_dir()
st.caption(f"One folder per dataset under `{root}`, with one sub-folder per class; use them with the "
           "ImageFolder node.")
folders = sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
if not folders:
    st.info("No image folders yet.")
else:
    rows = []
    for folder in folders:
        classes = [c for c in folder.iterdir() if c.is_dir()]
        rows.append({"name": folder.name, "classes": len(classes),
                     "images": sum(1 for c in classes for f in c.iterdir() if f.is_file())})
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
