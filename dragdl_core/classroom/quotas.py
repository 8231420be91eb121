"""Fair use: what one user may ask of a shared instance, checked before anything is queued or stored.

The limits come from the class configuration (class_config.Limits). Graph limits come back as validation
errors addressed to the node and field, so the canvas marks the Trainer exactly as it marks a bad value.
Pure: no Streamlit, Redis or RQ."""
from __future__ import annotations

from .class_config import Limits
from ..compiler.validate import Analysis


class QuotaExceeded(ValueError):
    """A request over a class limit; the message names the limit and what to do."""


def check_active_tasks(active: int, limits: Limits) -> None:
    """`active` = the user's queued + running tasks, before the one being submitted."""
    allowed = limits.max_tasks_per_user
    if active >= allowed:
        raise QuotaExceeded(f"you already have {active} task{'s' if active != 1 else ''} queued or running and "
                            f"this class allows {allowed} at a time; wait for one to finish or stop one")


def graph_errors(analysis: Analysis, limits: Limits) -> list[dict]:
    """Limit violations of a valid graph, in validation's shape ({node, field, code, message})."""
    errors = []
    for node in analysis.graph.nodes:
        params = analysis.params.get(node.id, {})
        if node.type == "Trainer" and params.get("epochs", 0) > limits.max_epochs:
            errors.append(_error(node.id, "epochs", f"Trainer '{node.id}': {params['epochs']} epochs is more "
                                 f"than this class allows ({limits.max_epochs}); lower epochs"))
        if node.type == "Shapes":
            per_class = min(params["samples_per_class"], params.get("limit_per_class") or params["samples_per_class"])
            images = per_class * params["num_classes"]
            if images > limits.max_dataset_images:
                errors.append(_error(node.id, "samples_per_class",
                                     f"Shapes '{node.id}': {images:,} images is more than this class allows "
                                     f"({limits.max_dataset_images:,}); lower samples_per_class"))
    return errors


def check_dataset_size(name: str, size_bytes: int, images: int, limits: Limits) -> None:
    """An imported dataset must fit the class's limits (checked on the unpacked images)."""
    mb = size_bytes / (1 << 20)
    if mb > limits.max_dataset_mb:
        raise QuotaExceeded(f"dataset '{name}' is {mb:,.1f} MB unpacked; this class allows "
                            f"{limits.max_dataset_mb:,} MB per dataset")
    if images > limits.max_dataset_images:
        raise QuotaExceeded(f"dataset '{name}' has {images:,} images; this class allows "
                            f"{limits.max_dataset_images:,} per dataset")


def _error(node: str, field: str, message: str) -> dict:
    return {"node": node, "field": field, "code": "over_class_limit", "message": message}
