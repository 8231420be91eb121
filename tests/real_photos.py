"""Images as phones, editors and scanners save them, built in code: a picture stored turned with an EXIF
orientation tag, 16-bit greys, transparent backgrounds, CMYK. Each comes with the upright 8-bit picture a
person sees, so a test can compare what DragDL reads with what it should read."""
from __future__ import annotations

import io

import numpy as np
from PIL import Image

# EXIF orientation -> the turn that stores an upright picture so that the tag turns it back
STORED_TURN = {3: Image.Transpose.ROTATE_180, 6: Image.Transpose.ROTATE_90, 8: Image.Transpose.ROTATE_270}


def bar(where: str = "top", width: int = 24, height: int = 16, seed: int = 0) -> np.ndarray:
    """A grey picture (uint8, height x width): a black bar across the top or bottom quarter on white, with
    a little noise so that no two are equal."""
    rng = np.random.RandomState(seed)
    pixels = np.clip(235 + rng.normal(0, 8, (height, width)), 0, 255)
    rows = slice(0, height // 4) if where == "top" else slice(height - height // 4, height)
    pixels[rows] = np.clip(20 + rng.normal(0, 8, (height // 4, width)), 0, 255)
    return pixels.astype(np.uint8)


def encode(image: Image.Image, fmt: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **options)
    return out.getvalue()


def rotated_jpeg(upright: np.ndarray, orientation: int) -> bytes:
    """A JPEG storing `upright` turned, with the EXIF orientation that turns it back (as phones do)."""
    exif = Image.Exif()
    exif[0x0112] = orientation
    stored = Image.fromarray(upright).convert("RGB").transpose(STORED_TURN[orientation])
    return encode(stored, "JPEG", quality=95, exif=exif.tobytes())


def png_16_bit(upright: np.ndarray) -> bytes:
    """The same grey picture as a 16-bit PNG (PIL mode I;16): each 8-bit value v stored as v * 257."""
    return encode(Image.fromarray(upright.astype(np.uint16) * 257), "PNG")


def transparent_png(upright: np.ndarray) -> bytes:
    """An RGBA PNG: the dark pixels of `upright` opaque, everything else fully transparent *black*
    (what editors store under a transparent background); on white it looks like `upright` thresholded."""
    dark = upright < 128
    rgba = np.zeros(upright.shape + (4,), np.uint8)
    rgba[dark, :3] = upright[dark, None]
    rgba[dark, 3] = 255
    return encode(Image.fromarray(rgba, "RGBA"), "PNG")


def cmyk_jpeg(rgb: tuple[int, int, int], size: int = 16) -> bytes:
    """A CMYK JPEG (as print workflows save) of one colour."""
    return encode(Image.new("RGB", (size, size), rgb).convert("CMYK"), "JPEG", quality=95)


def eps_bytes() -> bytes:
    """An Encapsulated PostScript file: PIL would hand it to Ghostscript if its EPS parser were allowed."""
    return (b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 16 16\n"
            b"newpath 0 0 moveto 16 16 lineto stroke\nshowpage\n%%EOF\n")
