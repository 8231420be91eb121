"""Datasets page: upload a zip of class folders (or with a `path,label` CSV), read the import report, explore a
dataset (class counts, sample images, image sizes and modes, the train/val/test split) and delete it.
All logic lives in dragdl_core.stores.datasets; this page only shows it."""
from __future__ import annotations

import sys
from pathlib import Path

import plotly.graph_objects as go
import streamlit as st

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run on its own (streamlit run pages/datasets.py) as well as inside the app
    sys.path.insert(0, str(ROOT))

from app.session import current_actor  # noqa: E402
from app.param_widgets import param_slider  # noqa: E402
from dragdl_core.stores import datasets as store  # noqa: E402
from dragdl_core.nodes.datasets.base import SPLIT_PARAMS  # noqa: E402

SAMPLES_PER_CLASS = 6
SHOWN_SKIPS = 200


def bar(labels, values, title: str, x_title: str) -> go.Figure:
    figure = go.Figure(go.Bar(x=list(labels), y=list(values), text=list(values), textposition="auto"))
    figure.update_layout(title=title, xaxis_title=x_title, yaxis_title="images", height=320,
                         margin=dict(l=40, r=10, t=40, b=40))
    return figure


def show_report(report: dict) -> None:
    skipped = report.get("skipped") or []
    notes = []
    if report.get("layout_reason"):
        notes.append(f"Layout: {report['layout_reason']}")
    elif report.get("wrapper"):
        notes.append(f"top folder `{report['wrapper']}` taken as a wrapper")
    if report.get("ignored"):
        notes.append(f"{report['ignored']} system file(s) ignored (.DS_Store, __MACOSX, hidden files)")
    for raw, clean in (report.get("renamed_classes") or {}).items():
        notes.append(f"class `{raw}` stored as `{clean}`")
    for name in report.get("dropped_classes") or []:
        notes.append(f"class `{name}` had no usable image and was left out")
    for note in notes:
        st.caption(note)
    if skipped:
        with st.expander(f"{len(skipped)} file(s) skipped", expanded=len(skipped) <= 20):
            st.dataframe([{"file": s["file"], "reason": s["reason"]} for s in skipped[:SHOWN_SKIPS]],
                         hide_index=True)


def import_section(user) -> None:
    st.subheader("Import a zip")
    st.caption("One folder per class (`cat/001.jpg`, `dog/002.png`, optionally inside one top folder), or images "
               "with a `path,label` CSV at the top. PNG, JPEG, BMP, GIF and WebP are read; anything else is skipped "
               "and listed.")
    upload = st.file_uploader("Zip archive", type=["zip"], key="upload")
    default_name = Path(upload.name).stem if upload else ""
    name = st.text_input("Dataset name", placeholder=default_name or "my-dataset", max_chars=64,
                         help="letters, digits, _ . - ; the name an ImageFolder node uses. Empty: the zip's name",
                         key="import_name")
    replace = st.checkbox("Replace a dataset of mine with this name", key="import_replace")
    with st.expander("Import limits"):
        st.table([{"setting": k, "value": v} for k, v in store.Limits.from_env().describe().items()])
    if not st.button("Import", type="primary", disabled=upload is None, key="import"):
        return
    bar_widget = st.progress(0.0, text="reading the archive")
    shown = {"percent": -1}

    def progress(done: int, total: int) -> None:
        percent = 100 * done // total if total else 100
        if percent != shown["percent"]:
            shown["percent"] = percent
            bar_widget.progress(percent / 100, text=f"checking and storing images: {done}/{total}")

    try:
        result = store.import_archive(upload, name or default_name, owner=user, replace=replace,
                                      progress=progress, source_name=upload.name)
    except store.DatasetError as err:
        bar_widget.empty()
        st.session_state["import_outcome"] = {"error": err.message, "report": err.report or {}}
    else:
        bar_widget.empty()
        st.session_state["import_outcome"] = {"name": result.name, "images": result.stats.images,
                                              "classes": len(result.stats.classes), "report": result.report}
        st.session_state["explore"] = result.name  # the explorer below opens the new dataset


def use_on_canvas(name: str) -> None:
    """Put the dataset on the Build canvas: into the graph's ImageFolder node if it has one, otherwise as
    the dataset of the ImageFolder template (the graph it replaces can be brought back with Undo)."""
    from app import canvas_view
    from app.navigation import page
    from dragdl_core.compiler import canvas
    from dragdl_core.compiler.templates import EXAMPLES_DIR, load_template

    graph = canvas_view.graph()
    folder = next((n for n in graph["nodes"] if n["type"] == "ImageFolder"), None)
    if folder is not None:
        canvas_view.update(canvas.set_param(graph, folder["id"], "name", name), select=folder["id"])
    else:
        template = load_template(EXAMPLES_DIR / "imagefolder.json")
        data = next(n for n in template["nodes"] if n["type"] == "ImageFolder")
        data["params"]["name"] = name
        template["name"] = f"{name}-cnn"
        if graph["nodes"]:
            canvas_view.remember(f"Opened '{name}' in the ImageFolder template: your graph "
                                 f"'{graph.get('name', 'untitled')}' was put aside.")
        canvas_view.replace(template, select=data["id"])
    st.switch_page(page("build"))


def import_outcome() -> None:
    outcome = st.session_state.get("import_outcome")
    if not outcome:
        return
    if "error" in outcome:
        st.error(f"Import failed: {outcome['error']}")
    else:
        st.success(f"Imported **{outcome['name']}**: {outcome['classes']} classes, {outcome['images']} images. "
                   f"Use it on the canvas with an ImageFolder node, name `{outcome['name']}`.")
        if st.button(f"Use {outcome['name']} on the canvas", type="primary", key="use_imported"):
            use_on_canvas(outcome["name"])
    show_report(outcome["report"])


def explorer(user) -> None:
    st.subheader("Explore")
    datasets = store.list_datasets(owner=user)
    if not datasets:
        st.info("No datasets yet. Import a zip above, or start from a small demo of synthetic shapes.")
        if st.button("Create the Shapes demo dataset", key="demo"):
            try:
                store.write_demo("shapes-demo", owner=user)
                st.session_state["explore"] = "shapes-demo"
                st.rerun()
            except store.DatasetError as err:
                st.error(err.message)
        return
    names = [d.name for d in datasets]
    if st.session_state.get("explore") not in names:
        st.session_state.pop("explore", None)
    name = st.selectbox("Dataset", names, key="explore")
    try:
        info = store.describe(name, owner=user)
    except store.DatasetError as err:  # deleted by someone else since the list was read
        st.error(err.message)
        return
    if st.button(f"Use {name} on the canvas", key="use_explored",
                 help="As the ImageFolder dataset of the graph on the Build page"):
        use_on_canvas(name)
    cols = st.columns(3)
    cols[0].metric("Classes", len(info.classes))
    cols[1].metric("Images", info.images)
    cols[2].metric("Smallest class", min(info.classes.values(), default=0))
    shared = " · shared with the class" if info.shared else ""
    st.caption(f"owner {info.owner or 'the class'}{shared} · created {(info.created or '-')[:10]} · "
               f"from {info.meta.get('source') or 'a folder made by hand'}")
    st.plotly_chart(bar(info.classes.keys(), info.classes.values(), "Images per class", "class"), key="classes")
    split_preview(info)
    samples(name, user)
    distribution(info)
    if info.report:
        with st.expander("Import report"):
            show_report(info.report)
    delete_section(info, user)


def split_preview(info) -> None:
    with st.expander("Train / validation / test split"):
        st.caption("What an ImageFolder node with these ratios trains, validates and tests on (stratified per class).")
        left, right = st.columns(2)
        with left:
            val = param_slider("val_ratio", SPLIT_PARAMS["val_ratio"], key="val_ratio", step=0.05)
        with right:
            test = param_slider("test_ratio", SPLIT_PARAMS["test_ratio"], key="test_ratio", step=0.05)
        rows = [{"class": c, **parts} for c, parts in store.split_preview(info.classes, val, test).items()]
        st.dataframe(rows, hide_index=True)


def samples(name: str, user) -> None:
    st.markdown("**Samples**")
    for label, paths in store.samples(name, SAMPLES_PER_CLASS, owner=user).items():
        st.caption(label)
        if not paths:
            st.write("no images")
            continue
        for column, path in zip(st.columns(SAMPLES_PER_CLASS), paths):
            image = store.thumbnail(path)  # as training sees it: upright, 8-bit, transparency on white
            if image is None:
                column.caption(f"{path.name}: unreadable")
            else:
                column.image(image, caption=path.name, width="stretch")


def distribution(info) -> None:
    left, right = st.columns(2)
    sizes = info.stats.sizes.most_common(20)
    left.plotly_chart(bar([s for s, _ in sizes], [n for _, n in sizes], "Image sizes (top 20)", "width x height"),
                      key="sizes")
    modes = info.stats.modes.most_common()
    right.plotly_chart(bar([m for m, _ in modes], [n for _, n in modes], "Colour modes", "PIL mode"), key="modes")
    fixes = info.stats.fixes
    st.caption("Read as a person sees them: " + (", ".join(f"{n} {store.FIXES.get(k, k)}" for k, n in fixes.most_common())
                                                  if fixes else "no image needed a fix"))


def delete_section(info, user) -> None:
    if not store.may_change(info.path, user):
        st.caption("Only its owner or an instructor can delete this dataset.")
        return
    if st.session_state.get("confirm_delete") != info.name:
        if st.button(f"Delete {info.name}", key="delete"):
            st.session_state["confirm_delete"] = info.name
            st.rerun()
        return
    st.warning(f"Delete **{info.name}** and its {info.images} images? Graphs that use it will no longer validate.")
    yes, no = st.columns(2)
    if yes.button(f"Yes, delete {info.name}", type="primary", key="delete_yes"):
        try:
            store.delete(info.name, owner=user)
        except store.DatasetError as err:
            st.error(err.message)
            return
        st.session_state.pop("confirm_delete", None)
        st.session_state["import_outcome"] = None
        st.toast(f"Deleted {info.name}")
        st.rerun()
    if no.button("Cancel", key="delete_no"):
        st.session_state.pop("confirm_delete", None)
        st.rerun()


st.title("Datasets", anchor=False)  # no "link to heading" stop before the page's first field
user = current_actor()
import_section(user)
import_outcome()
st.divider()
explorer(user)
