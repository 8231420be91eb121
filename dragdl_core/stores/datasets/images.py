"""One uploaded file judged as an image: its pixel count read from the header before anything is decoded
(decompression bombs), then decoded once to prove it is not damaged. Only the formats the ImageFolder loader
reads are accepted (`imaging.FORMATS`, the allow-list every image reader uses), which also keeps PIL's rarer
parsers away from uploads. The facts are those of the image as a person sees it (`dragdl_core.imaging`): its
size once turned upright, and which fixes reading it takes."""
from __future__ import annotations

import io
import math
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from ...imaging import FORMATS, fixes_needed, make_visible, upright_size

# PIL format -> the suffix it is stored under (the loader picks files by suffix, so a PNG named .jpg is renamed).
STORED_SUFFIX = {"PNG": ".png", "JPEG": ".jpg", "MPO": ".jpg", "BMP": ".bmp", "GIF": ".gif", "WEBP": ".webp"}
OPENED_FORMATS = FORMATS


class BadImage(Exception):
    """Why a file is not imported as an image; shown next to its name in the import report."""


@dataclass(frozen=True)
class ImageFacts:
    format: str
    width: int
    height: int
    mode: str
    fixes: tuple[str, ...] = ()  # imaging.FIXES keys: what reading it as a person sees it takes

    @property
    def size(self) -> str:
        return f"{self.width}x{self.height}"

    @property
    def suffix(self) -> str:
        return STORED_SUFFIX[self.format]


def inspect_image(data: bytes, max_pixels: int) -> ImageFacts:
    """The facts of a readable image within the pixel limit, or BadImage saying what is wrong."""
    try:
        image = Image.open(io.BytesIO(data), formats=OPENED_FORMATS)  # reads the header only
    except UnidentifiedImageError:
        raise BadImage("not a PNG, JPEG, BMP, GIF or WebP image") from None
    except Image.DecompressionBombError:
        raise BadImage(f"too many pixels (limit {max_pixels:,}); this looks like a decompression bomb") from None
    except Exception as err:  # PIL raises many kinds on a malformed header
        raise BadImage(f"damaged image ({type(err).__name__})") from None
    with image:
        width, height = image.size
        if width * height > max_pixels:
            raise BadImage(f"{width}x{height} is {width * height:,} pixels, over the limit of {max_pixels:,}")
        facts = facts_of(image)
        try:
            if image.format in ("JPEG", "MPO"):  # decode every block at 1/8 scale: damage shows, memory stays small
                image.draft(image.mode, (math.ceil(width / 8), math.ceil(height / 8)))
            image.load()
            make_visible(image)  # the reading every loader does (upright, 8-bit, on white) works on it
        except Exception as err:  # truncated data, bad CRC, broken decoder state
            raise BadImage(f"damaged image ({type(err).__name__}: {str(err)[:80]})") from None
    return facts


def facts_of(image: Image.Image) -> ImageFacts:
    """Format, upright size, stored mode and needed fixes of an opened image, from its header."""
    width, height = upright_size(image)
    return ImageFacts(image.format, width, height, image.mode, fixes_needed(image))
