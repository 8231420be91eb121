"""Safe evaluation of the Lambda transform's expression over `x` (an image as a float32 HWC array).

Two layers: an allow-list of syntax (no attributes, no lambdas, no comprehensions, no strings, literal
exponents only) checked before anything runs, then asteval's interpreter with a symbol table that holds
only `x`, a few numpy functions and constants - no `open`, no modules."""
from __future__ import annotations

import ast
import threading
import time

import numpy as np

MAX_LENGTH = 500
MAX_EXPONENT = 64
TIME_LIMIT_S = 1.0

ALLOWED_FUNCTIONS = {name: getattr(np, name) for name in (
    "abs", "clip", "sqrt", "exp", "log", "log1p", "square", "minimum", "maximum", "where",
    "mean", "std", "min", "max", "sin", "cos", "tanh", "floor", "ceil", "round", "sign",
    "fliplr", "flipud", "transpose")}
ALLOWED_CONSTANTS = {"pi": float(np.pi), "e": float(np.e)}
_ALLOWED_NODES = (ast.Expression, ast.BinOp, ast.UnaryOp, ast.Compare, ast.BoolOp, ast.Call, ast.Name,
                  ast.Load, ast.Constant, ast.Tuple, ast.Subscript, ast.Slice, ast.keyword,
                  ast.operator, ast.unaryop, ast.cmpop, ast.boolop)


class ExpressionError(ValueError):
    """The expression is not allowed, or failed on an image; the message says why."""


def _check_syntax(text: str) -> ast.Expression:
    if not isinstance(text, str) or not text.strip():
        raise ExpressionError("the expression is empty; write something like `x * 0.5`")
    if len(text) > MAX_LENGTH:
        raise ExpressionError(f"the expression is longer than {MAX_LENGTH} characters")
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as err:
        raise ExpressionError(f"not a Python expression: {err.msg}") from None
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED_NODES):
            what = {ast.Attribute: "attribute access (`.`)", ast.Lambda: "lambda",
                    ast.ListComp: "comprehensions", ast.GeneratorExp: "comprehensions",
                    ast.NamedExpr: "assignment"}.get(type(node), type(node).__name__)
            raise ExpressionError(f"{what} is not allowed; use x, numbers, operators and "
                                  f"{', '.join(sorted(ALLOWED_FUNCTIONS))}")
        if isinstance(node, ast.Constant) and not isinstance(node.value, (int, float, bool, type(Ellipsis))):
            raise ExpressionError(f"only numbers are allowed as constants, got {node.value!r}")
        if isinstance(node, ast.Name) and node.id != "x" and node.id not in ALLOWED_FUNCTIONS \
                and node.id not in ALLOWED_CONSTANTS:
            raise ExpressionError(f"unknown name '{node.id}'; use x, pi, e and "
                                  f"{', '.join(sorted(ALLOWED_FUNCTIONS))}")
        if isinstance(node, ast.Call) and not (isinstance(node.func, ast.Name)
                                               and node.func.id in ALLOWED_FUNCTIONS):
            raise ExpressionError("only these functions can be called: " + ", ".join(sorted(ALLOWED_FUNCTIONS)))
        if isinstance(node, ast.BinOp) and (isinstance(node.left, ast.Tuple) or isinstance(node.right, ast.Tuple)):
            raise ExpressionError("arithmetic on tuples is not allowed")
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Pow):
            exponent = node.right
            if isinstance(exponent, ast.UnaryOp) and isinstance(exponent.op, ast.USub):
                exponent = exponent.operand
            if not (isinstance(exponent, ast.Constant) and isinstance(exponent.value, (int, float))
                    and abs(exponent.value) <= MAX_EXPONENT):
                raise ExpressionError(f"exponents must be plain numbers up to {MAX_EXPONENT}")
    return tree


class SafeExpression:
    """A checked expression; call `evaluate(x)` for each image."""

    def __init__(self, text: str):
        from asteval import Interpreter  # imported here: the pure core pays for it only when a Lambda exists

        _check_syntax(text)
        self.text = text.strip()
        symbols = {"x": None, **ALLOWED_FUNCTIONS, **ALLOWED_CONSTANTS}
        self._interp = Interpreter(symtable=symbols, minimal=True, use_numpy=False,
                                   max_statement_length=MAX_LENGTH,
                                   config={"attribute": False, "assign": False, "dict": False, "set": False,
                                           "joinedstr": False, "formattedvalue": False})
        self._interp.symtable.pop("print", None)
        self._tree = self._interp.parse(self.text)

    def evaluate(self, x: np.ndarray) -> np.ndarray:
        interp = self._interp
        interp.symtable["x"] = x
        interp.error = []
        started = time.perf_counter()
        result = interp.run(self._tree, with_raise=False)
        if interp.error:
            err = interp.error[0].get_error()
            raise ExpressionError(f"`{self.text}` failed: {err[0]}: {err[1].strip().splitlines()[-1]}")
        if time.perf_counter() - started > TIME_LIMIT_S:
            raise ExpressionError(f"`{self.text}` took longer than {TIME_LIMIT_S:g} s on one image")
        out = np.asarray(result, dtype=np.float32)
        if out.ndim != 3 or min(out.shape) < 1:
            raise ExpressionError(f"`{self.text}` must give an image (height, width, channels), "
                                  f"got shape {list(out.shape)}")
        return out


def trial_shape(text: str, hwc_shape: tuple[int, int, int]) -> tuple[int, int, int]:
    """Check the expression and run it once on a blank image of the given shape, within the time limit;
    returns the output shape (HWC). Raises ExpressionError."""
    expr = SafeExpression(text)
    outcome: dict = {}

    def attempt():
        try:
            outcome["shape"] = expr.evaluate(np.full(hwc_shape, 0.5, dtype=np.float32)).shape
        except Exception as err:  # reported below, with the expression named
            outcome["error"] = err

    worker = threading.Thread(target=attempt, daemon=True)
    worker.start()
    worker.join(TIME_LIMIT_S)
    if worker.is_alive():
        raise ExpressionError(f"`{expr.text}` took longer than {TIME_LIMIT_S:g} s on one image")
    if "error" in outcome:
        err = outcome["error"]
        raise err if isinstance(err, ExpressionError) else ExpressionError(str(err))
    return tuple(int(v) for v in outcome["shape"])
