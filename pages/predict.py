"""Predict: a finished task's model answers uploaded images (or a camera photo) with a pie chart of
class probabilities and the image as the model saw it; several images give a table and a CSV."""
import io
from pathlib import Path

import pandas as pd
import streamlit as st

from app import charts, task_service
from app.downloads import model_downloads
from app.formatting import task_label
from app.session import current_user
from dragdl_core.serving.uploads import IMAGE_TYPES, MAX_UPLOAD_MB, UploadError, check_upload

UNSURE = 0.6  # below this top probability the answer comes with a caution

st.title("Predict", anchor=False)  # no "link to heading" stop before the page's first field
user = current_user()
finished = task_service.finished_tasks(user)
if not finished:
    st.info("No finished task yet: train one on the Build page; when it succeeds it can predict here.")
    st.stop()

by_id = {t["id"]: t for t in finished}
wanted = st.session_state.get("predict_task")
ids = list(by_id)
task_id = st.selectbox("Model of task", ids, index=ids.index(wanted) if wanted in by_id else 0,
                       format_func=lambda i: task_label(by_id[i]))
folder = Path(by_id[task_id]["run_dir"])

# The model runs in a sandbox child (Paddle imported there, memory and time limits), never in this process.
from dragdl_core.sandbox.prediction import PredictionUnavailable, model_info, predict_images  # noqa: E402

try:
    meta = model_info(folder)
except PredictionUnavailable as err:
    st.error(str(err))
    st.stop()
classes = meta["classes"]
st.caption(f"{len(classes)} classes: {', '.join(classes[:20])}{' …' if len(classes) > 20 else ''}"
           f" · input {meta.get('input_shape')}")
model_downloads(folder, task_id, "predict")


def training_samples(run_folder: Path) -> None:
    """'Your image should look like these': one training image per class, as the dataset gives them (the
    same sample drawing the Build page's preview uses), so a student sees colours, framing and size."""
    from dragdl_core import rundir
    from dragdl_core.compiler.partial import completed

    graph = rundir.read_graph(run_folder) or {}
    dataset = next((n for n in graph.get("nodes", []) if n["type"] not in ("Trainer",)), None)
    partial = completed(graph, upto=dataset["id"]) if dataset else None
    with st.expander("Your image should look like these (training images)", expanded=True):
        if partial is None:
            st.caption("No training images to show for this task.")
            return
        from app import previews
        from dragdl_core.sandbox import SandboxError

        try:
            classes, rows, _ = previews.samples(partial, dataset["id"],
                                                while_drawing=lambda: st.spinner("Drawing training images…"))
        except (SandboxError, ValueError) as err:
            st.caption(str(err))
            return
        firsts = {}
        for label, images in zip(classes, rows):
            firsts.setdefault(label, images[0])
        st.image(list(firsts.values()), caption=[f"class {c}" for c in firsts], width=72)
        st.caption("Same kind of picture, same colours (light on dark or dark on light), object centred "
                   "and filling the frame: the model only knows images like these.")


training_samples(folder)
uploads = st.file_uploader(f"Images (up to {MAX_UPLOAD_MB} MB each)", type=list(IMAGE_TYPES),
                           accept_multiple_files=True, key="predict_uploads")
images = [(u.name, u.getvalue()) for u in uploads or []]
if st.toggle("Use the camera", key="predict_camera"):
    photo = st.camera_input("Take a photo")
    if photo is not None:
        images.append(("camera.jpg", photo.getvalue()))
if not images:
    st.info("Upload one or more images to classify them.")
    st.stop()

accepted, refused = [], []
for name, data in images:  # the Predict page's upload rules (size, type), shared with the REST API
    try:
        check_upload(name, len(data))
        accepted.append((name, data))
    except UploadError as err:
        refused.append(str(err))
try:
    with st.spinner("Predicting…"):
        answers = predict_images(folder, accepted) if accepted else []
except PredictionUnavailable as err:
    st.error(str(err))
    st.stop()
results = [(data, answer) for (_, data), answer in zip(accepted, answers) if "error" not in answer]
for message in refused + [a["error"] for a in answers if "error" in a]:
    st.error(message)  # one line per file that could not be read; the others are still answered


def _show(data: bytes, result: dict) -> None:
    from dragdl_core.imaging import to_display

    left, middle, right = st.columns([1, 1, 2])
    try:
        left.image(data, caption=f"uploaded: {Path(result['image']).name}", width=160)
    except Exception:  # noqa: BLE001 - the browser's copy cannot be shown; the model's view still can
        left.caption(f"uploaded: {Path(result['image']).name}")
    middle.image(to_display(result["model_input"], 160), caption="as the model saw it", width=160)
    best, probability = next(iter(result["probabilities"].items()))
    right.plotly_chart(charts.probability_pie(result["probabilities"], f"{best} ({probability:.1%})"),
                       key=f"pie:{result['image']}")
    if probability < UNSURE:
        right.warning(f"The model is unsure: its best guess, {best}, has only {probability:.0%}. Check that "
                      "your image looks like the training images above; otherwise the answer means little.",
                      icon=":material/help:")
    explain_view(data, result)


def explain_view(data: bytes, result: dict) -> None:
    """Grad-CAM under the answer: where the model looked for the predicted class, or a class the student
    picks. Computed in a sandbox child like the prediction (`sandbox.prediction.explain_image`)."""
    from dragdl_core.sandbox import SandboxError
    from dragdl_core.sandbox.prediction import explain_image

    left, right = st.columns([1, 2])
    chosen = right.selectbox("Where did the model look for…", list(result["probabilities"]), index=0,
                             key=f"cam:{result['image']}",
                             help="Grad-CAM: red = the parts of the image that raised this class's score most")
    try:
        with st.spinner("Computing the heat map…"):
            class_name, overlay = explain_image(folder, Path(result["image"]).name, data, chosen)
    except (SandboxError, ValueError) as err:
        right.info(str(err))
        return
    left.image(overlay, caption=f"Grad-CAM for {class_name}", width=240)
    right.caption("Red areas raised the score of the chosen class; blue areas did not. If the heat sits on the "
                  "background rather than the object, the model may have learned a shortcut.")


if len(results) == 1:
    _show(*results[0])
elif results:
    table = pd.DataFrame([{"image": r["image"], "prediction": r["top"], "probability": r["probabilities"][r["top"]],
                           **{f"p({c})": r["probabilities"][c] for c in classes}} for _, r in results])
    st.dataframe(table, hide_index=True, width="stretch",
                 column_config={"probability": st.column_config.NumberColumn(format="percent")})
    buffer = io.StringIO()
    table.to_csv(buffer, index=False)
    st.download_button("Download CSV", buffer.getvalue(), file_name=f"predictions-{task_id}.csv",
                       mime="text/csv")
    names = [r["image"] for _, r in results]
    shown = st.selectbox("Show one image", names)
    _show(*results[names.index(shown)])
