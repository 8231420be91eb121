"""The pages of the app, in menu order. Pages switch to each other through `page(name)`."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

PAGES_DIR = Path(__file__).resolve().parent.parent / "pages"
PAGES = {  # name: (title, icon)
    "build": ("Build", ":material/account_tree:"),
    "tasks": ("Tasks", ":material/list_alt:"),
    "monitor": ("Monitor", ":material/monitoring:"),
    "predict": ("Predict", ":material/image_search:"),
    "datasets": ("Datasets", ":material/photo_library:"),
    "models": ("Models", ":material/model_training:"),
}


def page(name: str) -> st.Page:
    title, icon = PAGES[name]
    return st.Page(PAGES_DIR / f"{name}.py", title=title, icon=icon, url_path=name, default=name == "build")


def all_pages() -> list[st.Page]:
    return [page(name) for name in PAGES]
