"""What a property form needs from a parameter declaration, without any UI library: help text with the
bounds, and the text form of list parameters (typed as `16, 16`). Validation stays with the declaration:
text that is not a list of numbers is kept as typed, so the node shows the declaration's own message."""
from __future__ import annotations

from typing import Any

from .params import Param


def help_text(param: Param) -> str:
    """The one-line description plus its bounds and default, for a widget's help tooltip."""
    doc = param.to_doc()
    parts = [doc["description"]]
    if doc.get("bounds"):
        parts.append(f"allowed: {doc['bounds']}")
    if "default" in doc:
        parts.append(f"default: {'none' if doc['default'] is None else numbers_to_text(doc['default'])}")
    return " · ".join(p for p in parts if p)


def refusal(param: Param, name: str, value: Any) -> str:
    """Why `value` cannot be `name`, with the allowed range: 'kernel_size must be 1..32, got 40'."""
    from .params import ParamError

    try:
        param.check(value, name)
    except ParamError as err:
        return err.message
    return f"{name} = {value} is allowed"


def _number_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value)) if abs(value) < 1e15 else repr(value)
    return str(value)


def numbers_to_text(value: Any) -> str:
    """[16, 16] -> '16, 16'; a scalar stays one number; anything else (a bad earlier entry) as typed."""
    if isinstance(value, (list, tuple)):
        return ", ".join(_number_text(v) for v in value)
    if value is None:
        return ""
    return _number_text(value) if isinstance(value, (int, float)) else str(value)


def _number(text: str) -> int | float | None:
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return None


def text_to_numbers(text: str, scalar_ok: bool = False) -> Any:
    """'16, 16' or '[16 16]' -> [16, 16]; '32' -> 32 when a single number is allowed, else [32].
    Empty text is None (unset); text that is not numbers comes back unchanged, for validation to name."""
    if not text.strip():
        return None
    stripped = text.strip().strip("[]()").replace(";", ",")
    pieces = [p for p in stripped.replace(",", " ").split() if p]
    numbers = [_number(p) for p in pieces]
    if not pieces or any(n is None for n in numbers):
        return text
    if scalar_ok and len(numbers) == 1 and "," not in text and "[" not in text:
        return numbers[0]
    return numbers
