"""Safe evaluation of the Lambda transform's expression over `x` (an image as a float32 HWC array).

Three layers: an allow-list of syntax (no attributes, no lambdas, no comprehensions, no strings, literal
exponents only) and a bound on every constant the expression can build (`(9**64)**64` would be a
16-million-digit integer built while holding the interpreter lock), both checked before anything runs;
then asteval's interpreter with a symbol table that holds only `x`, a few numpy functions and constants -
no `open`, no modules. The trial run on a blank image (`trial_shape`) happens in a sandbox child process
(dragdl_core.sandbox) with memory and time limits, and its output must be finite."""
from __future__ import annotations

import ast
import threading
import time

import numpy as np

MAX_LENGTH = 500
MAX_EXPONENT = 64
MAX_CONSTANT_BITS = 256  # an integer the expression computes from constants alone: ~77 decimal digits
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


class ExpressionMemoryError(ExpressionError, MemoryError):
    """The expression ran out of memory: an ExpressionError for training, a MemoryError for the sandbox."""


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
        if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.LShift, ast.RShift)):
            raise ExpressionError("bit shifts (<<, >>) are not allowed")
    _integer_bits(tree.body)
    return tree


def _integer_bits(node: ast.AST, memo: dict | None = None) -> int | None:
    """An upper bound on the bit length of the Python integer a constant-only subexpression makes, or None
    when it is not a Python integer (a float, a bool test, or anything involving `x`: numpy values have a
    fixed size). Raises ExpressionError when the bound of any part passes MAX_CONSTANT_BITS, before
    anything runs: integer arithmetic is what grows without limit while holding the interpreter lock."""
    memo = {} if memo is None else memo
    for child in reversed(list(ast.walk(node))):  # children before parents: each node is bounded once
        bits = memo[id(child)] = _bits(child, memo)
        if bits is not None and bits > MAX_CONSTANT_BITS:
            raise ExpressionError(f"the constants in `{ast.unparse(child)}` make a number with more than "
                                  f"{MAX_CONSTANT_BITS} bits; write it as a float (e.g. 1e30) or make it smaller")
    return memo[id(node)]


def _bits(node: ast.AST, memo: dict) -> int | None:
    """One step of `_integer_bits`, from the bounds already worked out for the node's children."""
    sub = lambda child: memo.get(id(child))  # noqa: E731
    if isinstance(node, ast.Constant):
        value = node.value
        return abs(int(value)).bit_length() if isinstance(value, int) else None
    if isinstance(node, ast.UnaryOp):
        inner = sub(node.operand)
        return None if inner is None or isinstance(node.op, ast.Not) else inner + 1
    if isinstance(node, (ast.BoolOp, ast.Tuple)):
        parts = [sub(v) for v in (node.values if isinstance(node, ast.BoolOp) else node.elts)]
        return max((p for p in parts if p is not None), default=None)
    if isinstance(node, ast.BinOp):
        left, right = sub(node.left), sub(node.right)
        if left is None or right is None:
            return None  # a float or a numpy value on one side: fixed size
        if isinstance(node.op, (ast.Add, ast.Sub, ast.BitOr, ast.BitXor, ast.BitAnd)):
            return max(left, right) + 1
        if isinstance(node.op, ast.Mult):
            return left + right
        if isinstance(node.op, (ast.FloorDiv, ast.Mod)):
            return left
        if isinstance(node.op, ast.Pow):  # the exponent is a literal <= MAX_EXPONENT (checked above)
            exponent = node.right.value if isinstance(node.right, ast.Constant) else -1
            return left * exponent if isinstance(exponent, int) and exponent >= 0 else None
        return None  # true division gives a float
    if isinstance(node, ast.Subscript):
        return sub(node.value)  # indexing a tuple of constants gives one of them
    return None


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
            if err[0] == "MemoryError":  # the sandbox answers "needs more than N GB"; training fails cleanly
                raise ExpressionMemoryError(f"`{self.text}` needs more memory than this process may use")
            raise ExpressionError(f"`{self.text}` failed: {err[0]}: {err[1].strip().splitlines()[-1]}")
        if time.perf_counter() - started > TIME_LIMIT_S:
            raise ExpressionError(f"`{self.text}` took longer than {TIME_LIMIT_S:g} s on one image")
        out = np.asarray(result, dtype=np.float32)
        if out.ndim != 3 or min(out.shape) < 1:
            raise ExpressionError(f"`{self.text}` must give an image (height, width, channels), "
                                  f"got shape {list(out.shape)}")
        if not np.isfinite(out).all():
            raise ExpressionError(f"`{self.text}` gives inf or NaN (a division by zero, a log of 0, an "
                                  "overflow?); the model would learn from garbage")
        return out


def trial_shape(text: str, hwc_shape: tuple[int, int, int], time_limit: float = TIME_LIMIT_S) -> tuple[int, int, int]:
    """Check the expression, then run it once on a blank image of the given shape in a sandbox child
    (memory and time limits; killed on overrun, so the caller's process never stalls); returns the output
    shape (HWC). Raises ExpressionError. Results are remembered: the canvas validates on every change."""
    expr = SafeExpression(text)  # the checks by syntax and by value, here, before any child is asked
    key = (expr.text, tuple(int(v) for v in hwc_shape))
    if key in _trials:
        outcome = _trials[key]
    else:
        from ..sandbox import SandboxError, run

        remember = True
        try:
            outcome = ("ok", run("numpy", "dragdl_core.compiler.safe_expr:trial_in_child", (expr.text, key[1]),
                                 time_limit=time_limit))
        except SandboxError as err:
            outcome = ("error", f"`{expr.text}` {err}")
            # a limit cut short by the graph's budget, a busy server: not the expression's own answer
            remember = "needs more than" in str(err) or ("took longer" in str(err) and time_limit >= TIME_LIMIT_S)
        except ExpressionError as err:
            outcome = ("error", str(err))
        if remember:
            with _trials_lock:  # every Streamlit session validates in its own thread
                while len(_trials) >= 256:
                    _trials.pop(next(iter(_trials)))
                _trials[key] = outcome
    if outcome[0] == "error":
        raise ExpressionError(outcome[1])
    return outcome[1]


_trials: dict = {}
_trials_lock = threading.Lock()


def trial_in_child(text: str, hwc_shape: tuple[int, int, int]) -> tuple[int, int, int]:
    """The trial itself; runs inside a sandbox child (see trial_shape)."""
    out = SafeExpression(text).evaluate(np.full(hwc_shape, 0.5, dtype=np.float32))
    return tuple(int(v) for v in out.shape)
