"""Paddle keeps its execution mode per thread, and a thread other than the one that first imported it starts
in static mode. The web app serves each session from its own thread, so whatever runs Paddle there
(prediction, the preview of a transform) asks for eager mode first."""
from .paddle_quiet import paddle  # without its start-up warning on the terminal


def ensure_eager() -> None:
    if not paddle.in_dynamic_mode():
        paddle.disable_static()
