"""Python floats for programs on 0-d float64 values: which programs qualify, and each operation's float form.

NumPy spends 0.1-1 µs on one operation on a 0-d array or a NumPy scalar
(dispatch, type resolution, a new scalar object); CPython adds two floats in
about 20 ns and calls a ``math`` function in about 40. So a jitted program
whose every value is a 0-d float64 (a scalar recurrence and its gradient)
runs on Python floats: :func:`runs_as_floats` says whether a program
qualifies (every variable 0-d float64 or a Python number, every primitive one
of :data:`FLOAT_FORMS`, every output computed), :func:`float_expression`
writes one equation. Anything else (float32, whose rounding Python floats do
not have; integers; any array; any other primitive) keeps the NumPy code.

NumPy's semantics at the edges, kept by running NumPy there: where Python
raises (``1.0 / 0.0``, ``math.log(0.0)``, ``math.exp(1000.0)``,
``math.pow(-1.0, 0.5)``, ``math.sin(inf)``), and where an output is not
finite, the NumPy code runs instead (``codegen`` writes both) and gives
NumPy's ``inf``/``nan`` and its warnings (or its ``FloatingPointError`` under
``np.errstate(all="raise")``). Not kept: an intermediate overflow or invalid
operation whose ``inf``/``nan`` does not reach an output warns under NumPy and
not here (the values agree).

Rounding: ``+ - * /``, ``sqrt``, ``abs``, ``sin`` and ``cos`` give NumPy's bits.
``math``'s other functions are the C library's (glibc: within one ulp, almost
always correctly rounded), while NumPy's float64 ufuncs use their own SIMD
approximations on CPUs that have AVX-512 (``exp``, ``log``, ``tanh``, ``pow``,
``cbrt``, ...): the two differ by up to a few ulps (measured: 3 for ``tanh``
and ``cbrt``, 1 for ``exp`` and ``log``). The float path keeps the C
library's results, the more accurate ones, and ``tests/test_jit_floats.py``
holds it equal to the NumPy path to rounding.
"""

from __future__ import annotations

import math

from ..backend import xp
from ..core.ir import Literal, Program, Var
from ..primitives import elementwise as ew
from ..transforms.python_numbers import python_operator

FLOAT_FORMS: dict = {
    ew.add: "{0} + {1}",
    ew.subtract: "{0} - {1}",
    ew.multiply: "{0} * {1}",
    ew.divide: "{0} / {1}",
    ew.remainder: "{0} % {1}",  # Python's float % and // are NumPy's (fmod, then the sign of the divisor)
    ew.floor_divide: "{0} // {1}",
    ew.neg: "-{0}",
    ew.square: "{0} * {0}",
    ew.abs_: "abs({0})",
    ew.sign: "(1.0 if {0} > 0.0 else -1.0 if {0} < 0.0 else {0} + 0.0)",  # sign(-0.0) = 0.0, sign(nan) = nan
    ew.power: "pow({0}, {1})",  # math.pow: raises where NumPy gives nan (-1 ** 0.5) or inf (0 ** -1)
    ew.arctan2: "atan2({0}, {1})",
    ew.fmod: "fmod({0}, {1})",
    **{
        prim: f"{function}({{0}})"
        for prim, function in (
            (ew.sqrt, "sqrt"),
            (ew.exp, "exp"),
            (ew.expm1, "expm1"),
            (ew.log, "log"),
            (ew.log1p, "log1p"),
            (ew.log2, "log2"),
            (ew.log10, "log10"),
            (ew.sin, "sin"),
            (ew.cos, "cos"),
            (ew.tan, "tan"),
            (ew.arcsin, "asin"),
            (ew.arccos, "acos"),
            (ew.arctan, "atan"),
            (ew.sinh, "sinh"),
            (ew.cosh, "cosh"),
            (ew.tanh, "tanh"),
            (ew.arcsinh, "asinh"),
            (ew.arccosh, "acosh"),
            (ew.arctanh, "atanh"),
            *(((ew.cbrt, "cbrt"),) if hasattr(math, "cbrt") else ()),  # Python 3.11 on
        )
    },
}
"""Each primitive a float program may hold, as a template over its operands' source text; the names
called are ``math``'s (``pow`` is ``math.pow``, never Python's ``**``, which gives a complex number
for a negative base)."""

MATH_NAMES = ("acos", "acosh", "asin", "asinh", "atan", "atan2", "atanh", "cbrt", "cos", "cosh", "exp", "expm1")
MATH_NAMES += ("fmod", "inf", "log", "log10", "log1p", "log2", "pow", "sin", "sinh", "sqrt", "tan", "tanh")
"""The ``math`` names float code may use (``codegen`` imports those a module uses)."""

_PYTHON_OPERATORS = {"+", "-", "*", "/", "//", "%", "<", "<=", ">", ">=", "==", "!=", "neg", "pos", "abs"}
"""The operators of ``python_operator`` (between Python numbers) written as they are; not ``**``, whose
result may be complex."""


def runs_as_floats(program: Program) -> bool:
    """True if ``program`` can run on Python floats: every input, constant and result a 0-d float64 or a
    Python number, every primitive of :data:`FLOAT_FORMS` (or a Python operator between Python numbers),
    every literal a Python number or a float64, and no input returned as it is (the array code returns
    a copy of it, of the type the caller gave)."""
    inputs = {id(v) for v in program.invars}
    if not program.equations or any(isinstance(v, Var) and id(v) in inputs for v in program.outvars):
        return False
    if not all(_float_value(v) for v in program.invars) or not all(_float_constant(c) for c in program.consts):
        return False
    return all(_float_equation(eqn) for eqn in program.equations)


def float_expression(eqn, args: list[str]) -> str:
    """The Python source computing ``eqn`` on floats from its operands' source text ``args``."""
    if eqn.primitive is python_operator:
        op = eqn.params["op"]
        prefix = {"neg": "-", "pos": "+"}.get(op)
        if prefix is not None:
            return f"{prefix}{args[0]}"
        return f"abs({args[0]})" if op == "abs" else f"{args[0]} {op} {args[1]}"
    return FLOAT_FORMS[eqn.primitive].format(*args)


def float_literal(value):
    """The Python number a literal operand stands for in float code (a float64 becomes a float)."""
    return float(value) if isinstance(value, xp.float64) else value


def _float_value(var: Var) -> bool:
    """A variable float code can hold: a 0-d float64, or a Python number that is not complex."""
    if var.weak:
        return xp.dtype(var.dtype).kind != "c"
    return var.shape == () and var.dtype == xp.float64


def _float_constant(value) -> bool:
    return isinstance(value, (xp.ndarray, xp.float64)) and value.shape == () and value.dtype == xp.float64


def _float_equation(eqn) -> bool:
    prim = eqn.primitive
    if prim is python_operator:
        known = eqn.params.get("op") in _PYTHON_OPERATORS
    else:
        known = prim in FLOAT_FORMS and not eqn.params
    literals = all(
        type(x.value) in (bool, int, float) or isinstance(x.value, xp.float64)
        for x in eqn.inputs
        if isinstance(x, Literal)
    )
    return known and literals and len(eqn.outputs) == 1 and _float_value(eqn.outputs[0])
