"""Sample images after a node, drawn in a sandbox child (dragdl_core.runtime.sandboxed runs the preview).

The caller checks the class's limits first (a dataset over them is never generated) and keeps a small cache
of its own; the child keeps the decoded datasets within a byte budget."""
from __future__ import annotations

from .pool import run

TIME_LIMIT_S = 30.0  # a cold child generating a synthetic dataset at the class's largest size
MAX_PX = 192  # previews are shown at most 96 px wide: twice that stays sharp on a high-density screen


def preview_images(graph: dict, node_id: str) -> tuple[list[str], list[list], bool]:
    """(class of each row, rows of display images (PIL, at most MAX_PX on a side: a Resize to 4096 px does not
    travel into the web process as such), whether draws differ). Raises PreviewError
    (from dragdl_core.runtime.preview, rebuilt here without importing Paddle as a SandboxError message) or
    SandboxError when the work overran its limits."""
    return run("paddle", "dragdl_core.runtime.sandboxed:preview_in_child", (graph, node_id, MAX_PX),
               time_limit=TIME_LIMIT_S)
