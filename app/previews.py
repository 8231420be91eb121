"""Sample images after a node (the Build panel's preview, the Predict page's "look like these"), drawn in a
sandbox child and kept for every session of this app process.

A class opens the same templates: thirty students adding Digits ask for the same thirty images, and each
drawing costs a sandbox child up to seconds (benchmarks/ui_load.py), so one drawing serves them all, and a
session asking while another's drawing of the same thing is under way waits for it instead of starting its
own. The key is the partial graph with what its nodes depend on besides it (NodeType.cache_stamp: for an
ImageFolder the acting user and the folder's change time), so a student's own images are never shown to
another. Kept as PNG data URLs, no larger than shown: st.image passes a data URL through as it is, where a
PIL image would be encoded, hashed and stored again on every rerun."""
from __future__ import annotations

import base64
import contextlib
import io
import threading
from collections import OrderedDict

from dragdl_core.compiler.partial import graph_key
from dragdl_core.imaging import fit_within
from dragdl_core.sandbox.preview import MAX_PX

MAX_ENTRIES = 256
MAX_BYTES = 64 << 20  # of data URLs, for the whole process

_kept: OrderedDict = OrderedDict()  # key -> (classes, rows of data URLs, whether draws differ)
_drawing: dict = {}  # key -> lock held while one session draws it
_lock = threading.Lock()


def data_url(image) -> str:
    """A PIL image as a PNG data URL, no larger than MAX_PX on its longer side (the child already shrinks
    previews; this holds for any caller)."""
    buffer = io.BytesIO()
    fit_within(image, MAX_PX).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def _weight(entry) -> int:
    return sum(len(url) for row in entry[1] for url in row)


def samples(partial: dict, node_id: str, while_drawing=contextlib.nullcontext):
    """(class of each row, rows of images as data URLs, whether draws differ) for the completed path
    `partial` up to `node_id`; `while_drawing()` (a spinner) is entered only when they are not kept yet.
    Raises SandboxError or ValueError (nothing is kept then)."""
    from dragdl_core.sandbox.preview import preview_images

    key = (graph_key(partial), node_id)
    with _lock:
        if key in _kept:
            _kept.move_to_end(key)
            return _kept[key]
        drawing = _drawing.setdefault(key, threading.Lock())
    with while_drawing(), drawing:  # one session draws; the others asking for the same wait, then find it kept
        with _lock:
            if key in _kept:
                return _kept[key]
        try:
            classes, rows, has_random = preview_images(partial, node_id)
            entry = classes, [[data_url(img) for img in row] for row in rows], has_random
            with _lock:
                _kept[key] = entry
                while len(_kept) > 1 and (len(_kept) > MAX_ENTRIES
                                          or sum(map(_weight, _kept.values())) > MAX_BYTES):
                    _kept.popitem(last=False)
            return entry
        finally:
            with _lock:
                _drawing.pop(key, None)


def forget() -> None:
    """Drop everything kept (tests)."""
    with _lock:
        _kept.clear()
