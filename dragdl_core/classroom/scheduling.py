"""Fair order for the shared queue: tasks of different users interleave, so one student's twenty tasks do not
starve everyone else.

Round robin across users: a user's i-th waiting task sits in round `running + i`, where `running` counts
that user's tasks already on a worker; rounds go in order, and within a round the task queued earlier goes
first (a retried task queues again at the back). A user with nothing running is therefore served before
anyone gets a second worker, and a user who submits twenty tasks gets one task per round like everybody
else. Pure: the task service applies the order to its RQ queue (see tasks/fair_queue.py)."""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Iterable, Mapping


@dataclass(frozen=True)
class Waiting:
    """A queued task as the scheduler sees it; `queued` orders tasks by when they joined the queue (a time, or
    a position: any increasing number)."""
    id: str
    user: str
    queued: float


def fair_order(waiting: Iterable[Waiting], running: Mapping[str, int] | None = None) -> list[Waiting]:
    """`waiting` in the order workers should take it."""
    running = running or {}
    by_user: dict[str, list[Waiting]] = defaultdict(list)
    for task in waiting:
        by_user[task.user].append(task)
    keyed = []
    for user, tasks in by_user.items():
        for i, task in enumerate(sorted(tasks, key=lambda t: (t.queued, t.id))):
            keyed.append(((running.get(user, 0) + i, task.queued, task.id), task))
    return [task for _, task in sorted(keyed, key=lambda pair: pair[0])]


def running_counts(users_of_running_tasks: Iterable[str]) -> dict[str, int]:
    return dict(Counter(users_of_running_tasks))
