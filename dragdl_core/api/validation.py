"""POST /api/validate: the graph's errors (each addressed to a node and field) and inferred shapes."""
from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Body, Depends

from ..compiler.validate import analyze, without_detail
from .auth import current_actor

router = APIRouter(tags=["graphs"])


@router.post("/validate", summary="Validate a graph and infer its shapes")
def validate(graph: Any = Body(..., description="a DragDL graph (dragdl.graph JSON)"),
             actor=Depends(current_actor)) -> dict:
    from ..classroom.access import act_as

    act_as(actor)  # dataset nodes see only the datasets this user may read
    result = analyze(graph)
    errors = result.errors if actor is None or actor.is_instructor else without_detail(result.errors)
    return {"errors": errors, "shapes": result.shapes if result.ok else {}}

