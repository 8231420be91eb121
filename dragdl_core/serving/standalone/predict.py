"""Classify images with a model exported from DragDL, without Paddle and without DragDL.

    pip install onnxruntime numpy pillow
    python predict.py IMAGE...

Prints one JSON object a line: {"image", "top", "probabilities"} (classes, most likely first), what
`python -m dragdl_core predict RUN_DIR IMAGE --json` gives for the same image. It reads model.onnx,
labels.json and preprocess.json from its own folder; preprocess.json lists the evaluation-time steps the
model was trained with, replayed here with Pillow and numpy exactly as Paddle's transforms do them."""
from __future__ import annotations

import ast
import json
import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

HERE = Path(__file__).resolve().parent
MAX_PIXELS = 50_000_000
INTERPOLATION = {"nearest": Image.NEAREST, "bilinear": Image.BILINEAR, "bicubic": Image.BICUBIC,
                 "box": Image.BOX, "lanczos": Image.LANCZOS, "hamming": Image.HAMMING}
# what a Lambda expression may use (the same allow-list DragDL checked it against)
FUNCTIONS = {name: getattr(np, name) for name in (
    "abs", "clip", "sqrt", "exp", "log", "log1p", "square", "minimum", "maximum", "where",
    "mean", "std", "min", "max", "sin", "cos", "tanh", "floor", "ceil", "round", "sign",
    "fliplr", "flipud", "transpose")}
SYNTAX = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Compare, ast.BoolOp, ast.Call, ast.Name, ast.Load,
          ast.Constant, ast.Tuple, ast.Subscript, ast.Slice, ast.keyword, ast.operator, ast.unaryop,
          ast.cmpop, ast.boolop)


HIGH_BIT_MODES = {"I", "F", "I;16", "I;16L", "I;16B", "I;16N"}


def _orientation(picture: Image.Image) -> int:
    try:
        value = picture.getexif().get(0x0112, 1)
    except Exception:  # a broken EXIF block is no reason to refuse the picture
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def _to_8_bit(picture: Image.Image) -> Image.Image:
    arr = np.asarray(picture)
    if picture.mode.startswith("I;16"):
        scaled = arr.astype(np.float64) / 257.0
    else:
        arr = arr.astype(np.float64)
        lo, hi = (float(np.nanmin(arr)), float(np.nanmax(arr))) if arr.size else (0.0, 0.0)
        if picture.mode == "I" and lo >= 0 and hi <= 65535:
            scaled = arr / 257.0 if hi > 255 else arr
        elif picture.mode == "F" and lo >= 0 and hi <= 1:
            scaled = arr * 255.0
        elif lo >= 0 and hi <= 255:
            scaled = arr
        else:
            scaled = (arr - lo) * (255.0 / (hi - lo)) if hi > lo else np.zeros_like(arr)
    return Image.fromarray(np.clip(np.round(np.nan_to_num(scaled)), 0, 255).astype(np.uint8), "L")


def make_visible(picture: Image.Image, mode: str) -> Image.Image:
    """The picture as a person sees it, in `mode` ("L" or "RGB"): upright by its EXIF orientation, 16-bit,
    32-bit and float values scaled to 8 bits, transparency composited onto white, palette and CMYK
    converted. The same rules as DragDL's own reader (dragdl_core/imaging.py), copied here so this file
    needs no DragDL."""
    if _orientation(picture) != 1:
        picture = ImageOps.exif_transpose(picture)
    transparent = picture.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in picture.info
    if picture.mode in HIGH_BIT_MODES:
        picture = _to_8_bit(picture)
    elif transparent:
        grey = picture.mode in ("LA", "La") or (picture.mode in ("L", "1") and "transparency" in picture.info)
        rgba = picture.convert("RGBA")
        flat = Image.alpha_composite(Image.new("RGBA", rgba.size, (255, 255, 255, 255)), rgba).convert("RGB")
        picture = flat.convert("L") if grey else flat
    elif picture.mode not in ("L", "RGB"):
        picture = picture.convert("L" if picture.mode == "1" else "RGB")
    return picture.convert(mode) if picture.mode != mode else picture


def read_image(path, image: dict) -> Image.Image:
    """The image in the dataset's colour mode and native size, as DragDL's prediction reads it."""
    picture = Image.open(path)
    if picture.width * picture.height > MAX_PIXELS:
        raise ValueError(f"{path}: {picture.width}x{picture.height} is too large")
    picture.load()
    picture = make_visible(picture, image["mode"])
    height, width = image["size"]
    if picture.size != (width, height):
        picture = picture.resize((width, height), Image.BILINEAR)
    return picture


def resize(picture: Image.Image, size, interpolation: str) -> Image.Image:
    method = INTERPOLATION[interpolation]
    if isinstance(size, int):  # the shorter side becomes `size`, keeping the aspect
        w, h = picture.size
        if (w <= h and w == size) or (h <= w and h == size):
            return picture
        new = (size, int(size * h / w)) if w < h else (int(size * w / h), size)
        return picture.resize(new, method)
    return picture.resize((size[1], size[0]), method)


def center_crop(picture: Image.Image, size) -> Image.Image:
    height, width = size
    top = int(round((picture.height - height) / 2.0))
    left = int(round((picture.width - width) / 2.0))
    return picture.crop((left, top, left + width, top + height))


def grayscale(picture: Image.Image, channels: int) -> Image.Image:
    gray = picture.convert("L")
    if channels == 3:
        plane = np.array(gray, dtype=np.uint8)
        return Image.fromarray(np.dstack([plane, plane, plane]), "RGB")
    return gray


def expression(x: np.ndarray, text: str) -> np.ndarray:
    """A Lambda node's expression over x (float32 height x width x channels), after an allow-list check."""
    tree = ast.parse(text.strip(), mode="eval")
    for node in ast.walk(tree):
        if not isinstance(node, SYNTAX) or (isinstance(node, ast.Name) and node.id not in
                                            {"x", "pi", "e", *FUNCTIONS}):
            raise ValueError(f"preprocess.json: expression {text!r} uses something not allowed")
    names = {"x": x, "pi": float(np.pi), "e": float(np.e), **FUNCTIONS}
    return np.asarray(eval(compile(tree, "<expression>", "eval"), {"__builtins__": {}}, names),
                      dtype=np.float32)


def apply(step: dict, value):
    op = step["op"]
    if op == "resize":
        return resize(value, step["size"], step["interpolation"])
    if op == "center_crop":
        return center_crop(value, step["size"])
    if op == "pad":
        return ImageOps.expand(value, border=step["padding"], fill=step["fill"])
    if op == "grayscale":
        return grayscale(value, step["channels"])
    if op == "to_float":
        arr = np.asarray(value, dtype=np.float32) / 255.0
        return arr[..., None] if arr.ndim == 2 else arr
    if op == "normalize":
        mean = np.float32(np.array(step["mean"]).reshape(1, 1, -1))
        std = np.float32(np.array(step["std"]).reshape(1, 1, -1))
        return (value - mean) / std
    if op == "expression":
        return expression(value, step["expression"])
    if op == "to_chw":
        return np.ascontiguousarray(np.asarray(value, dtype=np.float32).transpose(2, 0, 1))
    raise ValueError(f"preprocess.json: unknown step {op!r}")


def prepare(path, preprocess: dict) -> np.ndarray:
    """The (channels, height, width) float32 array the model takes."""
    value = read_image(path, preprocess["image"])
    for step in preprocess["steps"]:
        value = apply(step, value)
    return value


def softmax(logits: np.ndarray) -> np.ndarray:
    z = np.exp(logits - logits.max())
    return z / z.sum()


class Model:
    def __init__(self, folder: Path = HERE):
        import onnxruntime

        self.labels = json.loads((folder / "labels.json").read_text())
        self.preprocess = json.loads((folder / "preprocess.json").read_text())
        options = onnxruntime.SessionOptions()
        options.log_severity_level = 3  # errors only: no notes about unused initializers on every start
        self.session = onnxruntime.InferenceSession(str(folder / "model.onnx"), options,
                                                    providers=["CPUExecutionProvider"])
        self.input = self.session.get_inputs()[0].name

    def predict(self, path) -> dict:
        x = prepare(path, self.preprocess)
        logits = self.session.run(None, {self.input: x[None]})[0][0].astype(np.float64)
        probs = softmax(logits)
        order = np.argsort(-probs, kind="stable")
        probabilities = {self.labels[i]: float(probs[i]) for i in order}
        return {"image": str(Path(path)), "top": self.labels[int(order[0])], "probabilities": probabilities}


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if argv else 2
    model = Model()
    status = 0
    for path in argv:
        try:
            print(json.dumps(model.predict(path)), flush=True)
        except (OSError, ValueError) as err:  # not an image, no such file: say which, go on with the rest
            print(f"error: {path}: {err}", file=sys.stderr)
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
