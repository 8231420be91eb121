"""Tasks: submit a graph, list, status, metrics, stop. The task service checks who may do what."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends, Query

from .. import rundir, tasks
from ..classroom.access import Actor
from .auth import current_actor

router = APIRouter(prefix="/tasks", tags=["tasks"])


@router.post("", status_code=201, summary="Submit a graph: validate, compile and queue it")
def submit(graph: Any = Body(..., description="a DragDL graph (dragdl.graph JSON)"),
           name: str | None = Query(None, max_length=200, description="the task's name (default: the graph's)"),
           actor: Actor = Depends(current_actor)) -> dict:
    return {"id": tasks.submit(graph, actor.user, name, actor=actor)}


@router.get("", summary="Tasks, newest first (a student's own; an instructor's choice of user or all)")
def list_tasks(user: str | None = Query(None, description="only this user's tasks"),
               actor: Actor = Depends(current_actor)) -> list[dict]:
    return tasks.list_tasks(user, actor=actor)


@router.get("/{task_id}", summary="A task's status (what `tasks status --json` prints)")
def status(task_id: str, actor: Actor = Depends(current_actor)) -> dict:
    return tasks.status(task_id, actor=actor)


@router.get("/{task_id}/metrics", summary="Training metrics so far: steps, epochs and test results")
def metrics(task_id: str, actor: Actor = Depends(current_actor)) -> dict:
    found = rundir.read_metrics(tasks.run_dir(task_id, actor=actor))
    return {"steps": found.steps, "epochs": found.epochs, "tests": found.tests}


@router.post("/{task_id}/stop", summary="Stop a queued or running task (keeps its metrics and checkpoints)")
def stop(task_id: str, actor: Actor = Depends(current_actor)) -> dict:
    return tasks.stop(task_id, actor=actor, wait=3.0)
