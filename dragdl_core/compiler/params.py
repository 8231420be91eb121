"""Parameter declarations: each node parameter is declared once, with its type, default, bounds and a
one-line description. The same declaration drives validation, the canvas widgets, code generation and docs."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Sequence

MISSING = object()
MAX_MAGNITUDE = 1e15  # no parameter means anything beyond this; a 401-digit integer is a mistake or an attack


class ParamError(ValueError):
    """A parameter value that cannot be used; `code` is machine-readable (out_of_range, wrong_type, ...)."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    """A finite int or float (ints of any size are compared, never converted: no OverflowError)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    return isinstance(value, int) or math.isfinite(value)


def _check_magnitude(value: Any, where: str) -> None:
    """Non-finite and absurdly large numbers are an error on the field, whatever the parameter's bounds."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ParamError("wrong_type", f"{where} must be a finite number, got {value!r}")
    if isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) > MAX_MAGNITUDE:
        raise ParamError("out_of_range", f"{where} is absurdly large ({_fmt(value)}); "
                         f"no parameter takes more than {MAX_MAGNITUDE:g}")


def _fmt(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_MAGNITUDE:
        return f"a {len(str(abs(value))) if value.bit_length() < 10_000 else 'huge'}-digit number"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


@dataclass(frozen=True)
class Param:
    """Base declaration. `check` returns the normalised value or raises ParamError."""

    default: Any = MISSING
    description: str = ""
    optional: bool = False  # None is allowed (means "off" / "not set")
    kind: str = field(default="param", init=False)

    @property
    def required(self) -> bool:
        return self.default is MISSING

    def check(self, value: Any, where: str) -> Any:
        if value is None:
            if self.optional:
                return None
            raise ParamError("wrong_type", f"{where} must be set, got none")
        return self._check(value, where)

    def _check(self, value: Any, where: str) -> Any:  # pragma: no cover - overridden
        return value

    def bounds_text(self) -> str:
        return ""

    def to_doc(self) -> dict:
        """A JSON-friendly description, for docs and for the UI."""
        doc = {"kind": self.kind, "description": self.description, "optional": self.optional}
        if not self.required:
            doc["default"] = self.default
        if self.bounds_text():
            doc["bounds"] = self.bounds_text()
        return doc


def _check_range(value, lo, hi, where: str, show) -> None:
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        lo_s = "-inf" if lo is None else show(lo)
        hi_s = "inf" if hi is None else show(hi)
        raise ParamError("out_of_range", f"{where} must be {lo_s}..{hi_s}, got {show(value)}")


@dataclass(frozen=True)
class Int(Param):
    min: int | None = None
    max: int | None = None
    kind: str = field(default="int", init=False)

    def _check(self, value, where):
        _check_magnitude(value, where)
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if not _is_int(value):
            raise ParamError("wrong_type", f"{where} must be a whole number, got {_fmt(value)}")
        _check_range(value, self.min, self.max, where, str)
        return value

    def bounds_text(self):
        return f"{self.min}..{self.max}" if self.min is not None or self.max is not None else ""


@dataclass(frozen=True)
class Float(Param):
    min: float | None = None
    max: float | None = None
    kind: str = field(default="float", init=False)

    def _check(self, value, where):
        _check_magnitude(value, where)
        if not _is_number(value):
            raise ParamError("wrong_type", f"{where} must be a number, got {_fmt(value)}")
        _check_range(value, self.min, self.max, where, lambda v: f"{v:g}")
        return float(value)

    def bounds_text(self):
        return f"{self.min:g}..{self.max:g}" if self.min is not None and self.max is not None else ""


@dataclass(frozen=True)
class Bool(Param):
    kind: str = field(default="bool", init=False)

    def _check(self, value, where):
        if not isinstance(value, bool):
            raise ParamError("wrong_type", f"{where} must be true or false, got {_fmt(value)}")
        return value


@dataclass(frozen=True)
class Choice(Param):
    choices: Sequence[str] = ()
    kind: str = field(default="choice", init=False)

    def _check(self, value, where):
        if value not in self.choices:
            raise ParamError("not_a_choice",
                             f"{where} must be one of {', '.join(map(str, self.choices))}; got {_fmt(value)}")
        return value

    def bounds_text(self):
        return " | ".join(map(str, self.choices))


@dataclass(frozen=True)
class Text(Param):
    max_length: int = 200
    kind: str = field(default="text", init=False)

    def _check(self, value, where):
        if not isinstance(value, str):
            raise ParamError("wrong_type", f"{where} must be text, got {_fmt(value)}")
        if not value.strip():
            raise ParamError("empty", f"{where} must not be empty")
        if len(value) > self.max_length:
            raise ParamError("too_long", f"{where} must be at most {self.max_length} characters")
        return value


@dataclass(frozen=True)
class Numbers(Param):
    """A list of numbers, e.g. Normalize.mean or RandomAffine.translate; `length` bounds the count.
    With `scalar_ok`, a single number stands for itself (`size: 32` as well as `size: [32, 32]`)."""

    min_length: int = 1
    max_length: int = 4
    min: float | None = None
    max: float | None = None
    integer: bool = False
    scalar_ok: bool = False
    kind: str = field(default="numbers", init=False)

    def _check(self, value, where):
        check = _is_int if self.integer else _is_number
        noun = "whole number" if self.integer else "number"
        _check_magnitude(value, where)
        if self.scalar_ok and check(value):
            _check_range(value, self.min, self.max, where, lambda v: f"{v:g}")
            return value
        if not isinstance(value, (list, tuple)):
            raise ParamError("wrong_type", f"{where} must be a list of {noun}s, got {_fmt(value)}")
        if not self.min_length <= len(value) <= self.max_length:
            count = (f"{self.min_length}" if self.min_length == self.max_length
                     else f"{self.min_length}..{self.max_length}")
            raise ParamError("wrong_length", f"{where} must have {count} values, got {len(value)}")
        out = []
        for item in value:
            _check_magnitude(item, where)
            if isinstance(item, float) and self.integer and item.is_integer():
                item = int(item)
            if not check(item):
                raise ParamError("wrong_type", f"{where} must hold {noun}s, got {_fmt(item)}")
            _check_range(item, self.min, self.max, where, lambda v: f"{v:g}")
            out.append(item)
        return out

    def bounds_text(self):
        if self.min is not None and self.max is not None:
            return f"each {self.min:g}..{self.max:g}"
        return ""


def size_pair(value) -> tuple[int, int]:
    """Normalise an int-or-pair size parameter to (height, width)."""
    if isinstance(value, (list, tuple)):
        return (int(value[0]), int(value[-1]))
    return (int(value), int(value))
