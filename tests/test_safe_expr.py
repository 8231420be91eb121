"""The Lambda expression checker and evaluator through its public functions: what it refuses, with the
message a student reads, and what it computes. Each boundary is tested on both sides (found by mutation
testing: benchmarks/mutation.py)."""
import numpy as np
import pytest

from dragdl_core import sandbox as dragdl_sandbox
from dragdl_core.compiler import safe_expr
from dragdl_core.compiler.safe_expr import (ALLOWED_FUNCTIONS, MAX_EXPONENT, MAX_LENGTH, ExpressionError,
                                            SafeExpression, trial_in_child, trial_shape)
from dragdl_core.sandbox import SandboxError

FUNCTIONS = ", ".join(sorted(ALLOWED_FUNCTIONS))   # "abs, ceil, clip, ..." as the messages list them
IMAGE = np.linspace(0, 1, 4 * 5 * 3, dtype=np.float32).reshape(4, 5, 3)


def refused(text) -> str:
    with pytest.raises(ExpressionError) as err:
        SafeExpression(text)
    return str(err.value)


@pytest.mark.parametrize("text", ["", "   ", None, 3])
def test_an_empty_or_missing_expression_says_what_to_write(text):
    assert refused(text) == "the expression is empty; write something like `x * 0.5`"


def test_the_length_limit_is_inclusive():
    longest = "x" + " + 0" * ((MAX_LENGTH - 1) // 4)
    longest += " " * (MAX_LENGTH - len(longest))
    assert len(longest) == MAX_LENGTH
    SafeExpression(longest)
    assert refused(longest + "0") == f"the expression is longer than {MAX_LENGTH} characters"


def test_text_that_is_not_python_names_the_syntax_error():
    assert refused("x +") == "not a Python expression: invalid syntax"


@pytest.mark.parametrize("text, what", [
    ("x.T", "attribute access (`.`)"),
    ("abs(lambda: 1)", "lambda"),
    ("[v for v in x]", "comprehensions"),
    ("abs(v for v in x)", "comprehensions"),
    ("(y := x)", "assignment"),
    ("{1: x}", "Dict"),
    ("x if 1 else x", "IfExp"),
])
def test_syntax_outside_the_allow_list_is_named(text, what):
    assert refused(text) == f"{what} is not allowed; use x, numbers, operators and {FUNCTIONS}"


def test_only_numbers_are_constants():
    assert refused("x * 'a'") == "only numbers are allowed as constants, got 'a'"
    assert refused("x[b'a']") == "only numbers are allowed as constants, got b'a'"
    assert SafeExpression("x[..., :1] * True").evaluate(IMAGE).shape == (4, 5, 1)


def test_unknown_names_are_refused_and_pi_and_e_are_known():
    assert refused("np") == f"unknown name 'np'; use x, pi, e and {FUNCTIONS}"
    assert refused("open") == f"unknown name 'open'; use x, pi, e and {FUNCTIONS}"
    np.testing.assert_allclose(SafeExpression("x * pi + e").evaluate(IMAGE), IMAGE * np.pi + np.e, rtol=1e-6)


@pytest.mark.parametrize("text", ["x(1)", "abs(x)(1)", "pi(x)"])
def test_only_the_listed_functions_can_be_called(text):
    assert refused(text) == f"only these functions can be called: {FUNCTIONS}"


@pytest.mark.parametrize("text", ["(1, 2) * 3", "3 * (1, 2)", "(x, x) + (x,)"])
def test_arithmetic_on_tuples_is_refused_on_either_side(text):
    assert refused(text) == "arithmetic on tuples is not allowed"


@pytest.mark.parametrize("exponent", [MAX_EXPONENT, -MAX_EXPONENT, 2.5, 0])
def test_literal_exponents_up_to_the_limit_are_allowed(exponent):
    out = SafeExpression(f"clip(x, 0.5, 1) ** {exponent}").evaluate(IMAGE)
    np.testing.assert_allclose(out, np.clip(IMAGE, 0.5, 1) ** exponent, rtol=1e-5)


@pytest.mark.parametrize("text", [f"x ** {MAX_EXPONENT + 1}", f"x ** -{MAX_EXPONENT + 1}", "x ** (2 + 1)",
                                  "x ** x", "x ** -x"])
def test_larger_or_computed_exponents_are_refused(text):
    assert refused(text) == f"exponents must be plain numbers up to {MAX_EXPONENT}"


def test_evaluate_computes_on_x_as_numpy_would():
    out = SafeExpression("  clip(x * 2, 0, 1) + where(x > 0.5, 1, 0)  ").evaluate(IMAGE)
    assert out.dtype == np.float32
    np.testing.assert_allclose(out, np.clip(IMAGE * 2, 0, 1) + np.where(IMAGE > 0.5, 1, 0), rtol=1e-6)
    assert SafeExpression("fliplr(x)").evaluate(IMAGE)[0, 0, 0] == IMAGE[0, -1, 0]


@pytest.mark.parametrize("text, shape", [("x[:, :, 0]", [4, 5]), ("x[:0]", [0, 5, 3]), ("mean(x)", [])])
def test_a_result_that_is_not_an_image_is_refused_with_its_shape(text, shape):
    with pytest.raises(ExpressionError) as err:
        SafeExpression(text).evaluate(IMAGE)
    assert str(err.value) == f"`{text}` must give an image (height, width, channels), got shape {shape}"


def test_an_expression_failing_on_an_image_names_itself_and_the_error():
    with pytest.raises(ExpressionError) as err:
        SafeExpression("x[9, 9, 9]").evaluate(IMAGE)
    assert str(err.value).startswith("`x[9, 9, 9]` failed: IndexError: ")
    assert "index 9 is out of bounds" in str(err.value)


def test_the_trial_gives_the_output_shape_and_reports_errors():
    assert trial_shape("mean(x, axis=2, keepdims=True)", (5, 7, 3)) == (5, 7, 1)
    assert trial_shape("transpose(x, (1, 0, 2))", (5, 7, 3)) == (7, 5, 3)
    assert all(type(v) is int for v in trial_shape("x", (2, 3, 1)))
    with pytest.raises(ExpressionError, match=r"^`x\[:, :, 0\]` must give an image"):
        trial_shape("x[:, :, 0]", (2, 3, 1))
    with pytest.raises(ExpressionError, match="unknown name 'y'"):
        trial_shape("y", (2, 3, 1))


def test_a_result_numpy_cannot_make_an_array_of_is_an_expression_error():
    with pytest.raises(ExpressionError, match="inhomogeneous"):
        trial_shape("(x, x[:1])", (2, 3, 1))


# -- integers made from constants alone: bounded by their size before anything runs ---------------------------
# The bound is an estimate from the syntax (a power: the base's bits times the exponent; a product: the sum of
# the bits; a sum or a sign: one bit more), refused over MAX_CONSTANT_BITS (256). (2**64)**2 is estimated at
# exactly 256 bits; the cases below sit on either side of that edge.
@pytest.mark.parametrize("text, part", [
    ("x * ((2**64)**2 * 2)", "(2 ** 64) ** 2 * 2"),              # 256 + 2
    ("x * -(2**64)**2", "-(2 ** 64) ** 2"),                      # 256 + 1 for the sign
    ("x * ((2**64)**2 + 1)", "(2 ** 64) ** 2 + 1"),              # a sum: one more than its larger part
    ("x * ((2**64)**2 + 7**0)", "(2 ** 64) ** 2 + 7 ** 0"),      # 7**0 is an integer too
    ("x * ((1, (2**64)**2)[1] * 2)", "(1, (2 ** 64) ** 2)[1] * 2"),  # indexing a tuple gives one of its parts
    ("x * (((2**64)**2 or 1) * 2)", "((2 ** 64) ** 2 or 1) * 2"),    # so does `or`
])
def test_an_integer_over_256_bits_made_of_constants_is_refused_and_shown(text, part):
    with pytest.raises(ExpressionError) as err:
        SafeExpression(text)
    assert str(err.value) == (f"the constants in `{part}` make a number with more than 256 bits; write it as a "
                              "float (e.g. 1e30) or make it smaller")


@pytest.mark.parametrize("text", [
    "x * (2**64)**2",               # exactly 256 bits
    "x * -31**51",                  # 5 bits x 51 = 255, and one for the sign
    "x * (31**51 + 1)",             # 255, and one for the sum
    "x * ((2**64)**2 * 2**-2)",     # a negative power is a float
    "x * ((2**64)**2 + 2**-2)",     # (and adds no bit to a sum)
    "x * ((2**64)**2 * 2**0.5)",    # so is a fractional one
    "x * ((not (2**64)**2) + 1)",   # `not` gives a bool
    "-x * 2 + (x, 1)[0]",           # anything with x is an array of a fixed size
])
def test_integers_up_to_256_bits_floats_and_arrays_are_allowed(text):
    SafeExpression(text)


def test_bit_shifts_are_refused_by_name():
    with pytest.raises(ExpressionError) as err:
        SafeExpression("x * (1 << 3)")
    assert str(err.value) == "bit shifts (<<, >>) are not allowed"


# -- the trial: run in a sandbox child, its answers remembered (the canvas validates on every change) ----------
def test_the_trial_itself_gives_the_shape_the_expression_makes():
    """What the sandbox child runs (called here in-process, where mutation testing can see it)."""
    assert trial_in_child("x[::2, :, :1]", (8, 6, 3)) == (4, 6, 1)
    assert trial_in_child("transpose(x, (1, 0, 2))", (8, 6, 3)) == (6, 8, 3)


@pytest.fixture
def sandbox(monkeypatch):
    """A stand-in for the sandbox: answers at once (or with the error in `fail`), and counts the calls."""
    calls = []

    def run(kind, target, args, time_limit=1.0):
        calls.append(args)
        if sandbox_state["fail"]:
            raise SandboxError(sandbox_state["fail"])
        return trial_in_child(*args)

    sandbox_state = {"fail": None, "calls": calls}
    monkeypatch.setattr(dragdl_sandbox, "run", run)
    return sandbox_state


def test_a_trial_is_answered_from_memory_the_second_time(sandbox):
    assert trial_shape("x[:, :, :1]", (8, 8, 3)) == (8, 8, 1)
    assert trial_shape("x[:, :, :1]", (8, 8, 3)) == (8, 8, 1)
    assert trial_shape("x[:, :, :1]", (9, 8, 3)) == (9, 8, 1)  # another shape is another trial
    assert len(sandbox["calls"]) == 2


@pytest.mark.parametrize("error, time_limit, remembered", [
    ("needs more than 1 GB of memory", 1.0, True),     # the expression's own answer
    ("took longer than 1 s", 1.0, True),               # so is overrunning the full second
    ("took longer than 0.3 s", 0.3, False),            # a limit cut short by the graph's budget is not
    ("could not start: the server is busy", 1.0, False),  # nor is a busy server
])
def test_only_the_expressions_own_failures_are_remembered(sandbox, error, time_limit, remembered):
    sandbox["fail"] = error
    for _ in range(2):
        with pytest.raises(ExpressionError, match=f"^`x \\* 2` {error}$"):
            trial_shape("x * 2", (8, 8, 3), time_limit=time_limit)
    assert len(sandbox["calls"]) == (1 if remembered else 2)


def test_at_most_256_trials_are_remembered_the_oldest_forgotten_first(sandbox):
    for side in range(1, 258):
        trial_shape("x", (side, 1, 1))
    assert len(safe_expr._trials) == 256
    assert ("x", (1, 1, 1)) not in safe_expr._trials and ("x", (257, 1, 1)) in safe_expr._trials


@pytest.mark.parametrize("text", ["x / 0", "log(x * 0)"])
def test_inf_or_nan_in_the_result_is_refused_with_the_likely_causes(text):
    with pytest.raises(ExpressionError) as err:
        SafeExpression(text).evaluate(IMAGE + 0.1)
    assert str(err.value) == (f"`{text}` gives inf or NaN (a division by zero, a log of 0, an overflow?); the "
                              "model would learn from garbage")
