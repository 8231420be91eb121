"""Small display helpers shared by the pages."""
from __future__ import annotations

import time


def age(created: float | None, now: float | None = None) -> str:
    """'42 s ago', '3 min ago', '5 h ago', '2 d ago'."""
    if not created:
        return ""
    seconds = max(0, (now or time.time()) - created)
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{int(seconds // size)} {unit} ago"
    return f"{int(seconds)} s ago"


def duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 10:
        return f"{seconds:.1f} s"
    seconds = int(round(seconds))
    minutes, seconds = divmod(seconds, 60)
    return f"{minutes} min {seconds:02d} s" if minutes else f"{seconds} s"


def task_label(task: dict) -> str:
    """Name and id; not the state, which changes while a picker shows the label."""
    return f"{task.get('name') or 'untitled'} · {task['id']}"
