"""Plotly figures for the Monitor and Predict pages. Each takes plain data and returns a figure."""
from __future__ import annotations

import plotly.colors
import plotly.graph_objects as go

from dragdl_core.rundir import Metrics

PALETTE = plotly.colors.qualitative.Plotly
# the legend above the plot, right of the title: below it, it covered the x axis's title
LAYOUT = dict(margin=dict(l=10, r=10, t=70, b=10), height=360,
              legend=dict(orientation="h", yanchor="bottom", y=1.02, xanchor="right", x=1))


def _series(metrics: Metrics, quantity: str, by: str) -> list[tuple[str, list, list, bool]]:
    """(name, x, y, is_validation) for one run: steps give the training values; epochs both splits."""
    if by == "step":
        points = [(r["step"], r[quantity]) for r in metrics.steps if r.get(quantity) is not None]
        return [("train", [p[0] for p in points], [p[1] for p in points], False)]
    out = []
    for split in ("train", "val"):
        key = f"{split}_{quantity}"
        points = [(r["epoch"] + 1, r[key]) for r in metrics.epochs if r.get(key) is not None]
        out.append((split, [p[0] for p in points], [p[1] for p in points], split == "val"))
    return out


def training_curves(runs: list[tuple[str, Metrics]], quantity: str, by: str) -> go.Figure:
    """Loss or accuracy by step or epoch; one colour per run, validation dashed, so runs overlay."""
    figure = go.Figure()
    for index, (label, metrics) in enumerate(runs):
        colour = PALETTE[index % len(PALETTE)]
        for split, x, y, validation in _series(metrics, quantity, by):
            figure.add_trace(go.Scatter(
                x=x, y=y, name=f"{label} · {split}" if len(runs) > 1 else split,
                mode="lines+markers" if by == "epoch" else "lines",
                line=dict(color=colour, dash="dash" if validation else "solid")))
    figure.update_layout(title=f"{quantity} by {by}", xaxis_title=by, yaxis_title=quantity, **LAYOUT)
    if by == "epoch":
        figure.update_xaxes(tick0=1, dtick=max(1, max((len(m.epochs) for _, m in runs), default=1) // 10))
    if quantity == "accuracy":
        figure.update_yaxes(range=[0, 1.02])
    return figure


def confusion_heatmap(report: dict) -> go.Figure:
    classes, matrix = report["classes"], report["confusion_matrix"]
    figure = go.Figure(go.Heatmap(z=matrix, x=classes, y=classes, colorscale="Blues", text=matrix,
                                  texttemplate="%{text}", hovertemplate="true %{y}, predicted %{x}: %{z}"))
    figure.update_layout(title="Confusion matrix (test split)", xaxis_title="predicted", yaxis_title="true",
                         yaxis_autorange="reversed", margin=LAYOUT["margin"],
                         height=max(320, 40 * len(classes) + 120))
    figure.update_xaxes(type="category")
    figure.update_yaxes(type="category")
    return figure


def top_with_other(probabilities: dict[str, float], top: int = 5) -> dict[str, float]:
    """The `top` most likely classes and, when there are more, their remainder as "other"."""
    ranked = sorted(probabilities.items(), key=lambda item: -item[1])
    shown = dict(ranked[:top])
    rest = sum(p for _, p in ranked[top:])
    if len(ranked) > top:
        shown["other"] = rest
    return shown


def probability_pie(probabilities: dict[str, float], title: str = "", top: int = 5) -> go.Figure:
    slices = top_with_other(probabilities, top)
    figure = go.Figure(go.Pie(labels=list(slices), values=list(slices.values()), sort=False, hole=0.3,
                              textinfo="label+percent", hovertemplate="%{label}: %{value:.1%}<extra></extra>"))
    figure.update_layout(title=title, margin=LAYOUT["margin"], height=360, showlegend=False)
    return figure
