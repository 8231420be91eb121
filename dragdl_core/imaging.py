"""Images the way a person sees them, read in one place for every part of DragDL (import statistics, the
dataset loaders, previews, the explorer's thumbnails, prediction), and images for people to look at.

`read_image` opens a file with the importer's five-format allow-list only (so EPS/Ghostscript and PIL's
rarer parsers are never reached), then: turns it upright by its EXIF orientation, scales 16-bit, 32-bit and
float values to 8 bits, composites transparency onto white, converts palette, CMYK, LA and the like, and
finally converts to the colour mode asked for. `fixes_needed` names those steps from the header alone, so an
import can count them without decoding twice."""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

FORMATS = ("PNG", "JPEG", "BMP", "GIF", "WEBP")  # MPO (camera JPEGs) comes through the JPEG plugin
MAX_PIXELS = 50_000_000
ORIENTATION_TAG = 0x0112
HIGH_BIT_MODES = {"I", "F", "I;16", "I;16L", "I;16B", "I;16N"}
GREY_MODES = {"1", "L", "LA", "La"} | HIGH_BIT_MODES

# fix -> what it did, in words for `datasets show` and the Datasets page
FIXES = {
    "orientation": "turned upright by its EXIF orientation",
    "high_bit_depth": "16-bit, 32-bit or float values scaled to 8 bits",
    "transparency": "transparent parts composited onto white",
    "palette": "palette colours converted",
    "cmyk": "CMYK converted to RGB",
    "other_mode": "colour mode converted (YCbCr, LAB, HSV, 1-bit)",
}


class ImageReadError(ValueError):
    """Why a file cannot be read as an image; one line naming the file."""


def open_image(source, max_pixels: int | None = MAX_PIXELS, label: str | None = None) -> Image.Image:
    """A PIL image from a path, bytes or binary file, header read, pixels not yet decoded; only the five
    allowed formats are tried. ImageReadError says why not (no such file, other format, too many pixels)."""
    label = label or (str(source) if isinstance(source, (str, Path)) else "image")
    if isinstance(source, (bytes, bytearray)):
        source = io.BytesIO(source)
    try:
        image = Image.open(source, formats=FORMATS)
    except FileNotFoundError:
        raise ImageReadError(f"{label}: no such file") from None
    except IsADirectoryError:
        raise ImageReadError(f"{label}: is a folder, not an image") from None
    except UnidentifiedImageError:
        raise ImageReadError(f"{label}: not an image DragDL reads (PNG, JPEG, BMP, GIF or WebP)") from None
    except Image.DecompressionBombError:
        raise ImageReadError(f"{label}: too many pixels; this looks like a decompression bomb") from None
    except Exception as err:  # PIL raises many kinds on a malformed header
        raise ImageReadError(f"{label}: damaged image ({type(err).__name__})") from None
    if max_pixels and image.width * image.height > max_pixels:
        image.close()
        raise ImageReadError(f"{label}: {image.width}x{image.height} is {image.width * image.height:,} pixels, "
                             f"over the limit of {max_pixels:,}")
    return image


def orientation(image: Image.Image) -> int:
    """The EXIF orientation (1 = upright; 2..8 mirrored and/or turned), 1 when absent or unreadable."""
    try:
        value = image.getexif().get(ORIENTATION_TAG, 1)
    except Exception:  # a broken EXIF block is no reason to refuse the picture
        return 1
    return value if isinstance(value, int) and 1 <= value <= 8 else 1


def upright_size(image: Image.Image) -> tuple[int, int]:
    """(width, height) as a person sees the image: orientations 5-8 swap the sides."""
    return image.size[::-1] if orientation(image) >= 5 else image.size


def has_transparency(image: Image.Image) -> bool:
    return image.mode in ("RGBA", "LA", "PA", "La", "RGBa") or "transparency" in image.info


def fixes_needed(image: Image.Image) -> tuple[str, ...]:
    """The steps `read_image` takes for this image beyond decoding, from its header (no pixel decoded)."""
    fixes = []
    if orientation(image) != 1:
        fixes.append("orientation")
    if image.mode in HIGH_BIT_MODES:
        fixes.append("high_bit_depth")  # (a transparent colour in a 16-bit grey image is not applied)
    elif has_transparency(image):
        fixes.append("transparency")
    if image.mode in ("P", "PA"):
        fixes.append("palette")
    elif image.mode == "CMYK":
        fixes.append("cmyk")
    elif image.mode not in ("L", "RGB", "RGBA", "LA", "RGBX") and image.mode not in HIGH_BIT_MODES:
        fixes.append("other_mode")
    return tuple(fixes)


def _to_8_bit(image: Image.Image) -> Image.Image:
    """16-bit values divided down to 0..255; 32-bit integers likewise when they fit in 16 bits, else
    stretched from their own minimum to maximum; floats taken as 0..1 when they lie there, as 0..255 when
    they lie there, else stretched."""
    arr = np.asarray(image)
    if image.mode.startswith("I;16"):
        scaled = arr.astype(np.float64) / 257.0
    else:
        arr = arr.astype(np.float64)
        lo, hi = (float(np.nanmin(arr)), float(np.nanmax(arr))) if arr.size else (0.0, 0.0)
        if image.mode == "I" and lo >= 0 and hi <= 65535:
            scaled = arr / 257.0 if hi > 255 else arr
        elif image.mode == "F" and lo >= 0 and hi <= 1:
            scaled = arr * 255.0
        elif lo >= 0 and hi <= 255:
            scaled = arr
        else:
            scaled = (arr - lo) * (255.0 / (hi - lo)) if hi > lo else np.zeros_like(arr)
    return Image.fromarray(np.clip(np.round(np.nan_to_num(scaled)), 0, 255).astype(np.uint8), "L")


def _onto_white(image: Image.Image) -> Image.Image:
    grey = image.mode in ("LA", "La") or (image.mode in ("L", "1") and "transparency" in image.info)
    rgba = image.convert("RGBA")
    white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    flat = Image.alpha_composite(white, rgba).convert("RGB")
    return flat.convert("L") if grey else flat


def make_visible(image: Image.Image, color: str | None = None) -> Image.Image:
    """An opened image as a person sees it, in mode "L" or "RGB": `color` "L"/"grayscale" or "RGB"/"rgb",
    None to keep grey images grey and give every other one RGB."""
    image = ImageOps.exif_transpose(image) if orientation(image) != 1 else image
    if image.mode in HIGH_BIT_MODES:
        image = _to_8_bit(image)
    elif has_transparency(image):
        image = _onto_white(image)
    elif image.mode not in ("L", "RGB"):
        image = image.convert("L" if image.mode == "1" else "RGB")
    wanted = {"l": "L", "grayscale": "L", "grey": "L", "gray": "L", "rgb": "RGB"}.get(str(color).lower())
    if wanted and image.mode != wanted:
        image = image.convert(wanted)
    return image


def read_image(source, color: str | None = None, max_pixels: int | None = MAX_PIXELS,
               label: str | None = None, at_least: int | None = None) -> Image.Image:
    """Open, decode and `make_visible` one image (see the module docstring); ImageReadError naming the file
    for anything that is not a readable PNG, JPEG, BMP, GIF or WebP within `max_pixels`. `at_least`: a
    JPEG may be decoded at a reduced scale that keeps both sides at least this long (thumbnails)."""
    image = open_image(source, max_pixels, label)
    label = label or (str(source) if isinstance(source, (str, Path)) else "image")
    try:
        if at_least and image.format in ("JPEG", "MPO"):
            image.draft(image.mode, (at_least, at_least))
        image.load()  # closes a file PIL opened itself; the decoded pixels stay
        return make_visible(image, color)
    except Exception as err:  # truncated data, bad CRC, broken decoder state
        image.close()
        raise ImageReadError(f"{label}: damaged image ({type(err).__name__}: {str(err)[:80]})") from None


def to_display(array: np.ndarray, min_side: int = 96) -> Image.Image:
    """A (C, H, W) float array - the layout models take - stretched to 0..255 per image and enlarged without smoothing
    (so an 8x8 digit stays crisp) until its shorter side is at least `min_side` pixels."""
    arr = np.asarray(array, dtype=np.float32).transpose(1, 2, 0)
    arr = arr[:, :, 0] if arr.shape[2] != 3 else arr  # one channel (or an odd count) shows as grey
    lo, hi = float(np.nanmin(arr)), float(np.nanmax(arr))
    scaled = (arr - lo) / (hi - lo) if hi > lo else np.zeros_like(arr)
    return _upscale(Image.fromarray(np.nan_to_num(np.round(scaled * 255)).astype(np.uint8)), min_side)


def enlarge(path, min_side: int = 96) -> Image.Image:
    """An image file, read like every other (`read_image`), enlarged like `to_display` for small images
    such as 8x8 digits."""
    return _upscale(read_image(path), min_side)


def fit_within(image: Image.Image, max_side: int) -> Image.Image:
    """`image`, or a copy shrunk (aspect kept) so that its longer side is at most `max_side` pixels."""
    if max(image.size) <= max_side:
        return image
    image = image.copy()
    image.thumbnail((max_side, max_side))
    return image


def _upscale(image: Image.Image, min_side: int) -> Image.Image:
    factor = max(1, -(-min_side // max(1, min(image.size))))
    if factor > 1:
        return image.resize((image.width * factor, image.height * factor), Image.NEAREST)
    return image.copy()
