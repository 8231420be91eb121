"""Parameter declaration -> Streamlit widget: the one place that maps a Param kind to its input.

Each widget starts from the node's current value, carries the declared bounds and the description as
help, and writes back through a callback, so the canvas shows the edit in the same rerun."""
from __future__ import annotations

import math
from typing import Any, Callable

import streamlit as st

from dragdl_core.compiler import forms
from dragdl_core.compiler.params import Param, ParamError


def _float_step(decl: Param, value: Any) -> float:
    reference = next((abs(v) for v in (value, decl.default if not decl.required else None, decl.max)
                      if isinstance(v, (int, float)) and v), 1.0)
    return 10.0 ** math.floor(math.log10(reference)) if reference < 1 else 0.1


def _number(decl: Param, label: str, value: Any, key: str, on_change: Callable, help_: str):
    integer = decl.kind == "int"
    cast = int if integer else float
    # no min/max on the widget: the browser would keep an out-of-range entry in the box, unapplied and
    # unexplained; param_widget refuses it instead, with the allowed range in a message under the box
    return st.number_input(
        label, value=None if value is None else cast(value), key=key, on_change=on_change, help=help_,
        step=1 if integer else _float_step(decl, value), format=None if integer else "%g",
        placeholder="none" if decl.optional else None)


def _text(decl: Param, label: str, value: Any, key: str, on_change: Callable, help_: str):
    return st.text_input(label, value=forms.numbers_to_text(value), key=key, on_change=on_change, help=help_,
                         placeholder="none" if decl.optional else None)


def _fits(decl: Param, value: Any) -> bool:
    try:
        decl.check(value, "value")
        return True
    except ParamError:
        return False


def param_widget(name: str, decl: Param, value: Any, key: str, on_change: Callable) -> None:
    """Draw the widget for one parameter; `on_change(value)` gets the new parameter value. A value that
    does not fit its widget (from a hand-edited file, say) is shown as typed text, to be seen and fixed."""
    label, help_ = name, forms.help_text(decl)
    fits = _fits(decl, value)
    as_text = decl.kind == "numbers" or (decl.kind in ("int", "float") and not fits)
    if as_text and decl.kind != "numbers":
        key += ":as-text"  # a fresh widget when the value switches between number box and text

    refused = f"{key}:refused"

    def changed():
        typed = st.session_state[key]
        st.session_state.pop(refused, None)
        if decl.kind in ("int", "float") and not as_text and not _fits(decl, typed):
            # refused, not applied: the box goes back to the node's value and says why, with the range
            st.session_state[key] = value
            st.session_state[refused] = (f"{forms.refusal(decl, name, typed)}; not applied, "
                                         f"{name} stays {forms.numbers_to_text(value) or 'none'}")
            return
        on_change(forms.text_to_numbers(typed, scalar_ok=decl.kind != "numbers" or decl.scalar_ok)
                  if as_text else typed)

    if as_text:
        _text(decl, label, value, key, changed, help_)
    elif decl.kind in ("int", "float"):
        _number(decl, label, value, key, changed, help_)
    elif decl.kind == "bool":
        st.toggle(label, value=value is True, key=key, on_change=changed, help=help_)
    elif decl.kind == "choice":
        options = list(decl.choices)
        st.selectbox(label, options, index=options.index(value) if fits else None, key=key, on_change=changed,
                     help=help_, placeholder="choose one")
    else:  # text
        st.text_input(label, value="" if value is None else str(value), key=key, on_change=changed, help=help_)
    if refused in st.session_state:
        st.error(st.session_state[refused], icon=":material/block:")


def param_slider(name: str, decl: Param, key: str, step: float) -> Any:
    """A slider over a bounded number parameter outside the canvas (e.g. the Datasets page's split preview):
    bounds, default and help come from the declaration, so the page cannot drift from what the node accepts."""
    return st.slider(name, decl.min, decl.max, decl.default, step, key=key, help=forms.help_text(decl))
