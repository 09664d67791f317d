"""Python floats for programs on 0-d float64 values: which programs qualify, and each operation's float form.

NumPy spends 0.1-1 µs on one operation on a 0-d array or a NumPy scalar
(dispatch, type resolution, a new scalar object); CPython adds two floats in
about 20 ns and calls a ``math`` function in about 40. So a jitted program
whose every value is a 0-d float64 (a scalar recurrence and its gradient)
runs on Python floats: :func:`runs_as_floats` says whether a program
qualifies (every variable a 0-d float64 or bool or a Python number, every
primitive one of :data:`FLOAT_FORMS`, :data:`BOOL_FORMS` or
:data:`PASS_THROUGH`), :func:`float_expression` writes one equation and
:func:`result_type` says what NumPy type its result is handed out as. Anything
else (float32, whose rounding Python floats do not have; integers; any array;
any other primitive) keeps the NumPy code.

NumPy's semantics at the edges, kept by running NumPy there: where Python
raises (``1.0 / 0.0``, ``math.log(0.0)``, ``math.exp(1000.0)``,
``math.pow(-1.0, 0.5)``, ``math.sin(inf)``), and where an output is not
finite, the NumPy code runs instead (``codegen`` writes both) and gives
NumPy's ``inf``/``nan`` and its warnings (or its ``FloatingPointError`` under
``np.errstate(all="raise")``). Not kept: an intermediate overflow or invalid
operation whose ``inf``/``nan`` does not reach an output warns under NumPy and
not here (the values agree).

Rounding: ``+ - * /``, ``sqrt`` and ``abs`` round exactly, so they give NumPy's
bits (``sin`` and ``cos`` did too, on the AVX-512 machine measured). ``math``'s
other functions are the C library's (glibc's: within one ulp, almost always
correctly rounded), while NumPy's float64 ufuncs use their own SIMD
approximations on CPUs that have AVX-512 (``exp``, ``log``, ``tanh``, ``pow``,
``cbrt``, ...): the two differ by up to a few ulps (measured: 3 for ``tanh``
and ``cbrt``, 1 for ``exp`` and ``log``). The float path keeps the C
library's results, and ``tests/test_jit_floats.py`` holds it equal to the
NumPy path to rounding.
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
    ew.absolute: "abs({0})",
    ew.sign: "(1.0 if {0} > 0.0 else -1.0 if {0} < 0.0 else {0} + 0.0)",  # sign(-0.0) = 0.0, sign(nan) = nan
    ew.power: "pow({0}, {1})",  # math.pow: raises where NumPy gives nan (-1 ** 0.5) or inf (0 ** -1)
    ew.maximum: "({0} if {0} > {1} or {0} != {0} else {1})",  # NumPy's: nan wins, a tie gives the second
    ew.minimum: "({0} if {0} < {1} or {0} != {0} else {1})",
    ew.where: "({1} if {0} else {2})",
    ew.expit: "expit({0})",
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
"""Each primitive with a float64 result a float program may hold, as a template over its operands'
source text; the names called are ``math``'s (``pow`` is ``math.pow``, never Python's ``**``, which
gives a complex number for a negative base) and :func:`expit`. A bool operand (a comparison's) counts
as 0 or 1, as NumPy promotes it to float64."""

BOOL_FORMS: dict = {
    ew.equal: "{0} == {1}",
    ew.not_equal: "{0} != {1}",
    ew.less: "{0} < {1}",
    ew.less_equal: "{0} <= {1}",
    ew.greater: "{0} > {1}",
    ew.greater_equal: "{0} >= {1}",
    ew.isfinite: "isfinite({0})",
    ew.isnan: "isnan({0})",
    ew.isinf: "isinf({0})",
    ew.logical_not: "not {0}",
}
"""Each primitive with a bool result a float program may hold (Python's comparisons are IEEE's)."""

PASS_THROUGH = {ew.stop_gradient: "{0}"}
"""Primitives whose result is their operand, as it is (a program returning one keeps the NumPy code)."""

MATH_NAMES = ("acos", "acosh", "asin", "asinh", "atan", "atan2", "atanh", "cbrt", "cos", "cosh", "exp", "expm1")
MATH_NAMES += ("fmod", "inf", "isfinite", "isinf", "isnan", "log", "log10", "log1p", "log2", "pow", "sin", "sinh")
MATH_NAMES += ("sqrt", "tan", "tanh")
"""The ``math`` names float code may use (``codegen`` imports those a module uses)."""

_PYTHON_OPERATORS = {"+", "-", "*", "/", "//", "%", "<", "<=", ">", ">=", "==", "!=", "neg", "pos", "abs"}
"""The operators of ``python_operator`` (between Python numbers) written as they are; not ``**``, whose
result may be complex."""

_LOG2 = math.log(2.0)


def expit(x: float) -> float:
    """The logistic sigmoid of a float as ``expit``'s NumPy implementation computes it,
    ``exp(-logaddexp(0, -x))``, with NumPy's ``logaddexp``: ``log(2)`` at equal arguments, else the
    larger plus ``log1p(exp(-|difference|))``, nan for nan (never overflows)."""
    if x == 0.0:
        return math.exp(-_LOG2)
    if x > 0.0:
        return math.exp(-math.log1p(math.exp(-x)))
    if x <= 0.0:
        return math.exp(x - math.log1p(math.exp(x)))
    return x


def runs_as_floats(program: Program) -> bool:
    """True if ``program`` can run on Python floats: every input, constant and result a 0-d float64 or
    bool or a Python number, every primitive one of :data:`FLOAT_FORMS`, :data:`BOOL_FORMS` and
    :data:`PASS_THROUGH` (or a Python operator between Python numbers) with a result of its kind, every
    literal a Python number or a NumPy float64 or bool, and no input or pass-through result returned (the
    NumPy code returns that object or a copy of it, of the type the caller gave)."""
    inputs = {id(v) for v in program.invars}
    passed = {id(eqn.outputs[0]) for eqn in program.equations if eqn.primitive in PASS_THROUGH}
    if not program.equations or any(id(v) in inputs or id(v) in passed for v in program.outvars):
        return False
    if not all(_scalar_type(v) for v in program.invars) or not all(_scalar_constant(c) for c in program.consts):
        return False
    return all(_float_equation(eqn) for eqn in program.equations)


def float_expression(eqn, args: list[str]) -> str:
    """The Python source computing ``eqn`` on floats from its operands' source text ``args``."""
    prim = eqn.primitive
    if prim is python_operator:
        op = eqn.params["op"]
        prefix = {"neg": "-", "pos": "+"}.get(op)
        if prefix is not None:
            return f"{prefix}{args[0]}"
        return f"abs({args[0]})" if op == "abs" else f"{args[0]} {op} {args[1]}"
    form = FLOAT_FORMS.get(prim) or BOOL_FORMS.get(prim) or PASS_THROUGH[prim]
    return form.format(*args)


def result_type(prim) -> str:
    """The NumPy type the NumPy code returns for a result of ``prim``: ``"bool_"`` for a comparison's,
    ``"array"`` (0-d) for ``where``'s, ``"float64"`` (a scalar) for the rest."""
    if prim in BOOL_FORMS:
        return "bool_"
    return "array" if prim is ew.where else "float64"


def float_literal(value):
    """The Python number a literal operand stands for in float code (a NumPy scalar becomes a Python one)."""
    return value.item() if isinstance(value, (xp.float64, xp.bool_)) else value


def _scalar_type(var: Var) -> str | None:
    """``"float"``, ``"bool"`` or ``"python"``: how float code holds ``var`` (None: it cannot)."""
    if var.weak:
        return "python" if xp.dtype(var.dtype).kind != "c" else None
    if var.shape != ():
        return None
    return {xp.dtype(xp.float64): "float", xp.dtype(xp.bool_): "bool"}.get(xp.dtype(var.dtype))


def _scalar_constant(value) -> bool:
    return isinstance(value, (xp.ndarray, xp.generic)) and value.shape == () and value.dtype in (xp.float64, xp.bool_)


def _float_equation(eqn) -> bool:
    prim, outputs = eqn.primitive, eqn.outputs
    if len(outputs) != 1 or eqn.params and prim is not python_operator:
        return False
    literals = all(
        type(x.value) in (bool, int, float) or isinstance(x.value, (xp.float64, xp.bool_))
        for x in eqn.inputs
        if isinstance(x, Literal)
    )
    kind = _scalar_type(outputs[0])
    if prim is python_operator:
        return literals and eqn.params.get("op") in _PYTHON_OPERATORS and kind == "python"
    if prim in PASS_THROUGH:
        return literals and kind is not None and kind != "python"
    wanted = "float" if prim in FLOAT_FORMS else "bool" if prim in BOOL_FORMS else None
    return literals and wanted is not None and kind == wanted
