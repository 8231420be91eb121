"""The pages of the app, in menu order. Pages switch to each other through `page(name)`."""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from dragdl_core.classroom.access import Actor

PAGES_DIR = Path(__file__).resolve().parent.parent / "pages"
PAGES = {  # name: (title, icon)
    "build": ("Build", ":material/account_tree:"),
    "tasks": ("Tasks", ":material/list_alt:"),
    "monitor": ("Monitor", ":material/monitoring:"),
    "predict": ("Predict", ":material/image_search:"),
    "datasets": ("Datasets", ":material/photo_library:"),
    "models": ("Models", ":material/model_training:"),
    "instructor": ("Class", ":material/school:"),   # instructors only
}
INSTRUCTOR_PAGES = ("instructor",)


def page(name: str) -> st.Page:
    title, icon = PAGES[name]
    return st.Page(PAGES_DIR / f"{name}.py", title=title, icon=icon, url_path=name, default=name == "build")


def all_pages(actor: Actor | None = None) -> list[st.Page]:
    """The pages `actor` may open (all of them for an instructor, or when nobody is given). Made once per
    session and kept: a Page resolves its file and hashes its path (~4% of a Build-page rerun). Not shared
    between sessions: st.navigation arms the returned Page and run() disarms it, so two sessions' runs
    would trip over one object."""
    shown = tuple(n for n in PAGES if n not in INSTRUCTOR_PAGES or actor is None or actor.is_instructor)
    kept = st.session_state.get("_pages")
    if kept is None or kept[0] != shown:
        kept = st.session_state["_pages"] = (shown, [page(name) for name in shown])
    return kept[1]
