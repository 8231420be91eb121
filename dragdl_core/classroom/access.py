"""Who may do what: the one place that decides, for the task service, the dataset store and the pages.

An Actor is a signed-in user with a role. Students act on their own tasks and private datasets, and may read
(view, train on) datasets shared with the class; instructors act on everything and alone run the class
(see every task, publish assignments and datasets, register custom models, manage accounts). `None` as the
actor is a trusted caller - the server's command line or a worker - and may do anything.

A refusal raises AccessDenied naming the action and the object but nothing about the other user: not their
name, not the task's name, not whether it is running. Pure: no Streamlit, Redis or RQ."""
from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

STUDENT, INSTRUCTOR = "student", "instructor"
ROLES = (STUDENT, INSTRUCTOR)

TASK_ACTIONS = ("view", "monitor", "predict", "stop", "retry", "delete", "submit")
DATASET_READS = ("view", "use")                 # see its images, train on it
DATASET_WRITES = ("replace", "delete")        # sharing with the class is CLASS_ACTIONS' publish_dataset
CLASS_ACTIONS = {                               # instructor-only, with the words a refusal uses
    "list_all_tasks": "see every student's tasks",
    "see_queue": "see the queue and the workers",
    "publish_assignment": "publish assignments",
    "publish_dataset": "publish datasets to the class",
    "register_model": "register custom models",
    "manage_users": "manage accounts",
    "see_leaderboard": "see the leaderboard",
}


class AccessDenied(PermissionError):
    """An action the actor may not take; the message is safe to show to that actor."""


@dataclass(frozen=True)
class Actor:
    user: str
    role: str = STUDENT

    def __post_init__(self):
        if self.role not in ROLES:
            raise ValueError(f"unknown role {self.role!r}: use {' or '.join(ROLES)}")

    @property
    def is_instructor(self) -> bool:
        return self.role == INSTRUCTOR


_ACTING: ContextVar[Actor | None] = ContextVar("dragdl_acting", default=None)


def act_as(actor: Actor | None) -> None:
    """Who the code running in this context acts for. The web app sets it once per page run, so that code
    with no actor argument (validation, which reads datasets by name) still sees only what that user may."""
    _ACTING.set(actor)


def server_path(path, instead: str) -> str:
    """An absolute server path for the operator's command line and instructors; `instead` (a plain
    description such as "the datasets folder") in what a student is shown."""
    actor = acting()
    return str(path) if actor is None or actor.is_instructor else instead


def acting() -> Actor | None:
    return _ACTING.get()


@dataclass(frozen=True)
class TaskRef:
    id: str
    owner: str


@dataclass(frozen=True)
class DatasetRef:
    name: str
    owner: str | None       # None: the instance's own (imported on the server), shared with everyone
    shared: bool = False    # published to the whole class

    @property
    def readable_by_all(self) -> bool:
        return self.owner is None or self.shared


def may_task(actor: Actor | None, action: str, task: TaskRef) -> bool:
    _known(action, TASK_ACTIONS)
    return actor is None or actor.is_instructor or actor.user == task.owner


def check_task(actor: Actor | None, action: str, task: TaskRef) -> None:
    if not may_task(actor, action, task):
        raise AccessDenied(f"you may not {action} task {task.id}: it belongs to another user")


def may_dataset(actor: Actor | None, action: str, dataset: DatasetRef) -> bool:
    _known(action, DATASET_READS + DATASET_WRITES)
    if actor is None or actor.is_instructor or actor.user == dataset.owner:
        return True
    return action in DATASET_READS and dataset.readable_by_all


def check_dataset(actor: Actor | None, action: str, dataset: DatasetRef) -> None:
    """Refusals name no other student's data: a dataset the actor may not see is answered as if it did not
    exist (its owner and its privacy are the instructor's to know)."""
    if may_dataset(actor, action, dataset):
        return
    if not may_dataset(actor, "view", dataset):
        raise AccessDenied(f"no dataset named '{dataset.name}'")
    whose = "the class's" if dataset.owner is None else "another user's"
    raise AccessDenied(f"you may not {action} dataset '{dataset.name}': it is {whose}")


def may(actor: Actor | None, action: str) -> bool:
    """Class-wide actions (CLASS_ACTIONS): instructors only."""
    _known(action, tuple(CLASS_ACTIONS))
    return actor is None or actor.is_instructor


def check(actor: Actor | None, action: str) -> None:
    if not may(actor, action):
        raise AccessDenied(f"only an instructor may {CLASS_ACTIONS[action]}")


def owner_filter(actor: Actor | None, requested: str | None) -> str | None:
    """Whose tasks a listing shows: an instructor (or trusted caller) sees whom they ask for (None: all);
    a student sees their own, asked or not, and is refused another user's."""
    if actor is None or actor.is_instructor:
        return requested
    if requested not in (None, actor.user):
        raise AccessDenied("you may not list another user's tasks")
    return actor.user


def check_submit(actor: Actor | None, owner: str) -> None:
    """Submitting in someone else's name is for instructors and trusted callers (a re-run for a student)."""
    if not may_task(actor, "submit", TaskRef("", owner)):
        raise AccessDenied("you may not submit tasks in another user's name")


def _known(action: str, allowed: tuple[str, ...]) -> None:
    if action not in allowed:
        raise ValueError(f"unknown action {action!r}; one of {', '.join(allowed)}")  # a bug, not a user's
