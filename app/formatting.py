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


DASH = "—"  # a missing value in a table or a figure, never "None"


def display_names(tasks: list[dict]) -> dict[str, str]:
    """{task id: a name to show}, unique among `tasks`: the task's name, with the start of its id added
    only where two tasks share a name (so a chart legend never shows the same entry twice)."""
    names = {t["id"]: t.get("name") or "untitled" for t in tasks}
    counts: dict[str, int] = {}
    for name in names.values():
        counts[name] = counts.get(name, 0) + 1
    return {i: f"{n} ({i[:6]})" if counts[n] > 1 else n for i, n in names.items()}


def styled(table, formats: dict[str, str]):
    """`table` for st.dataframe with `formats` per column and a dash for a missing value: the numbers stay
    numbers, so the column sorts as numbers (text "9.0%" sorts after "10.0%"), and no cell reads "None"."""
    return table.style.format(formats, na_rep=DASH)
