"""Images read the way a person sees them, everywhere: photos stored turned with an EXIF orientation, 16-bit
greys, transparent backgrounds, CMYK; archives zipped by Finder with a README beside the folder; and a run
directory made by `python train.py --run-dir D` that `predict` can use. Each test checks the pixels the
loaders return or the answers `predict` gives, not only that nothing crashes."""
import io
import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from dataset_archives import image_bytes, write_zip
from dragdl_core.stores import datasets as store
from dragdl_core.compiler.codegen import compile_graph
from dragdl_core.stores.datasets.images import BadImage, inspect_image
from dragdl_core.imaging import ImageReadError, read_image
from dragdl_core.runtime.datasets import image_folder, load_image
from real_photos import bar, cmyk_jpeg, encode, eps_bytes, png_16_bit, rotated_jpeg, transparent_png


def save(path, data: bytes):
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("orientation", [3, 6, 8])
def test_a_photo_stored_turned_is_loaded_upright(orientation, tmp_path):
    upright = bar("top")
    path = save(tmp_path / "photo.jpg", rotated_jpeg(upright, orientation))
    with Image.open(path) as raw:  # stored turned: without the tag the bar is not at the top
        assert raw.size == ((24, 16) if orientation == 3 else (16, 24))

    loaded = load_image(path, None, "grayscale")
    assert loaded.shape == (16, 24, 1)
    assert np.abs(loaded[..., 0].astype(int) - upright).mean() < 6  # JPEG noise only
    assert loaded[:4].mean() < 60 and loaded[4:].mean() > 200       # the bar is at the top


def test_a_16_bit_png_loads_like_its_8_bit_copy(tmp_path):
    picture = bar("bottom")
    eight = load_image(save(tmp_path / "8.png", encode(Image.fromarray(picture), "PNG")), None, "grayscale")
    sixteen = load_image(save(tmp_path / "16.png", png_16_bit(picture)), None, "grayscale")
    assert Image.open(tmp_path / "16.png").mode == "I;16"
    np.testing.assert_array_equal(sixteen, eight)
    rgb = load_image(tmp_path / "16.png", None, "rgb")  # convert("RGB") used to clip this to white
    np.testing.assert_array_equal(rgb, np.repeat(eight, 3, axis=2))


def test_32_bit_and_float_images_are_scaled_to_8_bits():
    from dragdl_core.imaging import make_visible

    picture = bar("top").astype(np.float64)
    cases = {"16-bit values in I": picture * 257, "0..1 floats": picture / 255, "0..255 floats": picture,
             "any range": picture * 1000 - 5000}
    for name, values in cases.items():
        mode = "I" if name.startswith("16") else "F"
        image = Image.fromarray(values.astype(np.int32 if mode == "I" else np.float32), mode)
        seen = np.asarray(make_visible(image), dtype=float)
        stretched = (picture - picture.min()) * 255 / (picture.max() - picture.min())
        expected = stretched if name == "any range" else picture
        assert np.abs(seen - expected).max() <= 1, name


@pytest.mark.parametrize("color", ["rgb", "grayscale"])
def test_a_transparent_background_is_white(color, tmp_path):
    picture = bar("top")
    loaded = load_image(save(tmp_path / "t.png", transparent_png(picture)), None, color)
    assert loaded.shape[2] == (3 if color == "rgb" else 1)
    assert (loaded[4:] == 255).all()        # stored as transparent black, seen as white
    assert loaded[:4].mean() < 60           # the opaque bar stays dark


def test_grey_with_alpha_and_a_palette_with_a_transparent_colour_are_composited_onto_white(tmp_path):
    la = np.zeros((8, 8, 2), np.uint8)
    la[:, :4] = (30, 255)  # left half opaque dark grey, right half transparent black
    loaded = read_image(encode(Image.fromarray(la, "LA"), "PNG"))
    assert loaded.mode == "L" and np.asarray(loaded)[0, 0] == 30 and np.asarray(loaded)[0, 7] == 255
    palette = Image.new("P", (8, 8), 1)
    palette.putpalette([0, 0, 0, 200, 0, 0] + [0] * 762)
    palette.paste(0, (4, 0, 8, 8))
    gif = read_image(encode(palette, "GIF", transparency=0), "rgb")
    assert tuple(np.asarray(gif)[0, 0]) == (200, 0, 0) and tuple(np.asarray(gif)[0, 7]) == (255, 255, 255)


def test_a_cmyk_jpeg_reads_as_its_colour(tmp_path):
    loaded = load_image(save(tmp_path / "c.jpg", cmyk_jpeg((200, 40, 40))), None, "rgb")
    assert np.abs(loaded.reshape(-1, 3).mean(0) - (200, 40, 40)).max() < 6


def test_only_the_five_formats_are_ever_parsed(tmp_path):
    """An EPS file named .png reaches neither Ghostscript nor any parser but the five allowed."""
    path = save(tmp_path / "drawing.png", eps_bytes())
    with pytest.raises(ImageReadError, match=r"drawing.png: not an image DragDL reads \(PNG, JPEG, BMP, GIF or WebP\)"):
        read_image(path)
    with pytest.raises(BadImage, match="not a PNG, JPEG, BMP, GIF or WebP image"):
        inspect_image(eps_bytes(), 10_000)
    tiff = encode(Image.new("RGB", (8, 8)), "TIFF")
    with pytest.raises(ImageReadError, match="drawing.tif: not an image DragDL reads"):
        read_image(tiff, label="drawing.tif")


# -- archives --------------------------------------------------------------------------------------------

def bars_archive(path, wrapper="My Project Images/", per_class=8):
    """A Finder-style zip: one top folder holding `top/` and `bottom/`, a README beside it and one inside;
    among the pictures, phone photos stored turned, a 16-bit PNG, a transparent PNG and a CMYK JPEG."""
    files = {"README.txt": b"Pictures of bars, for the class.\n", "LICENSE": b"CC-BY\n",
             f"{wrapper}notes.txt": b"top = bar at the top\n", "__MACOSX/._README.txt": b"\0",
             f"{wrapper}.DS_Store": b"\0"}
    for where in ("top", "bottom"):
        for i in range(per_class):
            files[f"{wrapper}{where}/{where}-{i:02d}.png"] = encode(Image.fromarray(bar(where, seed=i)), "PNG")
    for orientation in (3, 6, 8):
        files[f"{wrapper}top/phone-{orientation}.jpg"] = rotated_jpeg(bar("top", seed=50 + orientation), orientation)
    files[f"{wrapper}bottom/scan-16bit.png"] = png_16_bit(bar("bottom", seed=60))
    files[f"{wrapper}bottom/cutout.png"] = transparent_png(bar("bottom", seed=61))
    files[f"{wrapper}top/print.jpg"] = encode(Image.fromarray(bar("top", seed=62)).convert("CMYK"), "JPEG",
                                              quality=95)
    return write_zip(path, files)


def test_a_readme_beside_the_wrapper_folder_does_not_make_it_a_class(tmp_path):
    result = store.import_archive(bars_archive(tmp_path / "bars.zip"), "bars")

    assert dict(result.stats.classes) == {"top": 12, "bottom": 10}
    assert result.report["wrapper"] == "My Project Images"
    reasons = {s["file"]: s["reason"] for s in result.report["skipped"]}
    assert set(reasons) == {"README.txt", "LICENSE", "My Project Images/notes.txt"}
    assert "beside the wrapper folder 'My Project Images'" in reasons["README.txt"]
    reason = result.report["layout_reason"]
    assert "one folder per class (bottom, top)" in reason and "'My Project Images'" in reason
    assert "README.txt" in reason


def test_a_readme_inside_a_lone_class_folder_does_not_make_it_a_wrapper(tmp_path):
    files = {f"cat/{i}.png": image_bytes(seed=i) for i in range(6)}
    files["cat/README.txt"] = b"cats\n"
    with pytest.raises(store.DatasetError, match="found 1: 'cat'"):
        store.import_archive(write_zip(tmp_path / "one.zip", files), "one")


def test_the_import_counts_each_fix_and_records_upright_sizes(tmp_path, python_env):
    store.import_archive(bars_archive(tmp_path / "bars.zip"), "bars")
    info = store.describe("bars")
    assert dict(info.stats.fixes) == {"orientation": 3, "high_bit_depth": 1, "transparency": 1, "cmyk": 1}
    assert dict(info.stats.sizes) == {"24x16": 22}  # the turned phone photos counted as seen
    assert info.stats.modes["I;16"] == 1 and info.stats.modes["CMYK"] == 1

    shown = subprocess.run([sys.executable, "-m", "dragdl_core", "datasets", "show", "bars"], env=python_env,
                           capture_output=True, text=True, timeout=60)
    assert shown.returncode == 0, shown.stderr
    assert "3 turned upright by its EXIF orientation" in shown.stdout
    assert "1 16-bit, 32-bit or float values scaled to 8 bits" in shown.stdout
    assert "1 transparent parts composited onto white" in shown.stdout
    assert "1 CMYK converted to RGB" in shown.stdout
    assert "layout: one folder per class (bottom, top), inside 'My Project Images'" in shown.stdout


def test_the_explorer_thumbnails_show_pictures_as_training_sees_them(tmp_path):
    store.import_archive(bars_archive(tmp_path / "bars.zip"), "bars")
    folder = store.dataset_path("bars")
    for path in sorted((folder / "top").glob("phone-*.jpg")) + [folder / "bottom" / "cutout.png"]:
        shown = np.asarray(store.thumbnail(path).convert("L"), dtype=float)
        assert shown.shape == (16, 24), path.name
        dark, light = (shown[:4], shown[4:]) if path.parent.name == "top" else (shown[-4:], shown[:-4])
        assert dark.mean() < 70 and light.mean() > 190, path.name
    (folder / "top" / "broken.png").write_bytes(b"not an image")
    assert store.thumbnail(folder / "top" / "broken.png") is None


def test_the_dataset_loader_returns_every_picture_upright_and_8_bit(tmp_path):
    store.import_archive(bars_archive(tmp_path / "bars.zip"), "bars")
    data = image_folder("bars", image_size=16, color="grayscale", val_ratio=0.0, test_ratio=0.0)
    parts = (data.train, data.val, data.test)
    images = np.concatenate([p.images for p in parts])[..., 0].astype(float)
    labels = np.concatenate([p.labels for p in parts])
    top = data.classes.index("top")
    for image, label in zip(images, labels):
        dark, light = (image[:4], image[4:]) if label == top else (image[-4:], image[:-4])
        assert dark.mean() < 70 and light.mean() > 190, f"class {data.classes[label]} looks wrong"
    assert {c: int(n) for c, n in zip(data.classes, np.bincount(labels))} == {"bottom": 10, "top": 12}


# -- training and prediction -----------------------------------------------------------------------------

BARS_GRAPH = {"format": "dragdl.graph", "version": 1, "name": "bars", "nodes": [
    {"id": "data", "type": "ImageFolder",
     "params": {"name": "bars", "image_size": 16, "color": "grayscale", "val_ratio": 0.0, "test_ratio": 0.2}},
    {"id": "head", "type": "ClassifierHead", "params": {"hidden_units": 0, "dropout": 0.0}},
    {"id": "train", "type": "Trainer", "params": {"epochs": 15, "batch_size": 8, "learning_rate": 0.01}}],
    "edges": [{"source": "data", "target": "head"}, {"source": "head", "target": "train"}]}


@pytest.fixture
def bars_run(tmp_path, python_env):
    """`python train.py --run-dir D` with the script outside D, as the README teaches."""
    store.import_archive(bars_archive(tmp_path / "bars.zip"), "bars")
    script = tmp_path / "scripts" / "train.py"
    script.parent.mkdir()
    script.write_text(compile_graph(BARS_GRAPH))
    run_dir = tmp_path / "run"
    done = subprocess.run([sys.executable, str(script), "--run-dir", str(run_dir)], env=python_env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "OMP_NUM_THREADS" not in done.stderr + done.stdout  # Paddle's start-up warning: log.txt only
    assert not (run_dir / "train.py").exists()
    return run_dir


def predict(run_dir, images, env):
    return subprocess.run([sys.executable, "-m", "dragdl_core", "predict", str(run_dir), *map(str, images),
                           "--json"], env=env, capture_output=True, text=True, timeout=120)


def test_predict_works_on_a_run_made_by_the_standalone_script_and_sees_photos_upright(bars_run, tmp_path,
                                                                                         python_env):
    pictures = tmp_path / "pictures"
    pictures.mkdir()
    top = bar("top", seed=99)
    paths = {"plain": save(pictures / "plain.png", encode(Image.fromarray(top), "PNG")),
             "sixteen": save(pictures / "sixteen.png", png_16_bit(top)),
             "transparent": save(pictures / "transparent.png", transparent_png(top)),
             "cmyk": save(pictures / "cmyk.jpg", encode(Image.fromarray(top).convert("CMYK"), "JPEG", quality=95))}
    for orientation in (3, 6, 8):
        paths[f"phone-{orientation}"] = save(pictures / f"phone-{orientation}.jpg", rotated_jpeg(top, orientation))
    # the control: the very pixels of the upside-down phone photo, without the tag, are a bar at the bottom
    paths["untagged"] = save(pictures / "untagged.jpg", encode(Image.fromarray(top).rotate(180), "JPEG", quality=95))

    done = predict(bars_run, paths.values(), python_env)
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == "" and "OMP_NUM_THREADS" not in done.stdout  # no Paddle noise
    answers = dict(zip(paths, json.loads(done.stdout)))
    for name, answer in answers.items():
        expected = "bottom" if name == "untagged" else "top"
        assert answer["top"] == expected and answer["probabilities"][expected] > 0.8, (name, answer)
    for name in ("sixteen", "transparent"):  # the same picture, stored another way: the same answer
        assert answers[name]["probabilities"]["top"] == pytest.approx(answers["plain"]["probabilities"]["top"],
                                                                      abs=0.02)
    assert answers["sixteen"]["probabilities"] == answers["plain"]["probabilities"]


def test_a_run_directory_without_its_script_says_what_is_missing(bars_run, tmp_path, python_env):
    image = save(tmp_path / "x.png", encode(Image.fromarray(bar("top")), "PNG"))
    copy = tmp_path / "copy"
    shutil.copytree(bars_run, copy)
    (copy / "model" / "train.py").unlink()
    done = predict(copy, [image], python_env)
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "Traceback" not in done.stderr
    assert "neither model/train.py nor train.py" in done.stderr

    shutil.copy(bars_run / "model" / "train.py", copy / "model" / "train.py")
    (copy / "model" / "inference.pdiparams").unlink()
    done = predict(copy, [image], python_env)
    assert done.returncode == 2 and done.stderr.strip().count("\n") == 0
    assert "no model/inference.pdiparams" in done.stderr

    shutil.rmtree(copy / "model")
    done = predict(copy, [image], python_env)
    assert done.returncode == 2 and "model/meta.json" in done.stderr and done.stderr.strip().count("\n") == 0
