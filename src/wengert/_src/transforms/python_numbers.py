"""Python's own arithmetic on the Python numbers a staged function takes (``jit(sgd)(params, 0.1)``).

Without a transform, ``lr * 0.5`` of a Python float ``lr`` is a Python float, and
NumPy promotes a Python number *weakly*: ``x32 * (lr * 0.5)`` stays float32. A
``NumPy`` scalar is not weak (``x32 * np.float64(0.5)`` is float64). ``jit``
keeps that difference: a Python number argument is a
:class:`~wengert._src.core.ir.WeakVar` of the program, and an operator
(``+ - * / // % ** -x +x abs``, comparisons) between such values and Python
numbers is one :data:`python_operator` equation, which computes what Python
computes. Any other operation (``wnp.sin(lr)``, an operator with an array) is
the ordinary primitive, to which NumPy gives the Python number as it would
without ``jit``.

Python raises ``ZeroDivisionError`` where NumPy divides (``1.0 / 0.0``); here
the division is NumPy's (``inf``, with NumPy's warning), as it is everywhere
else in wengert.
"""

from __future__ import annotations

import operator

from ..backend import xp
from ..core.primitive import Primitive, Tracer

PYTHON_NUMBERS = (bool, int, float, complex)
"""The types of Python numbers (exact types: NumPy's float64 subclasses float but is not weak)."""

OPERATORS = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "//": operator.floordiv,
    "%": operator.mod,
    "**": operator.pow,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
    "==": operator.eq,
    "!=": operator.ne,
    "neg": operator.neg,
    "pos": operator.pos,
    "abs": operator.abs,
}
"""The operators a Python number keeps its type through, by the symbol a program prints."""

_NUMPY_DIVISIONS = {"/": xp.true_divide, "//": xp.floor_divide, "%": xp.remainder, "**": xp.power}


def python_operator_impl(*args, op: str):
    """``args[0] op args[1]`` (or ``op args[0]``) as Python computes it, dividing by zero as NumPy does."""
    try:
        return OPERATORS[op](*args)
    except ZeroDivisionError:
        return _NUMPY_DIVISIONS[op](*args).item()


class _PythonOperator(Primitive):
    """The primitive of :data:`python_operator`: on plain numbers, Python's operator; given any tracer,
    the operator of the tracer itself (a staged Python number records this primitive again; any
    other tracer is an array, whose NumPy operator is differentiated, batched and staged as usual)."""

    def __call__(self, *args, op: str):
        if any(isinstance(arg, Tracer) for arg in args):
            return OPERATORS[op](*args)
        return python_operator_impl(*args, op=op)


python_operator = _PythonOperator(
    "python_operator",
    python_operator_impl,
    doc="python_operator[op] x y: Python's operator ``op`` on Python numbers (weakly typed, see the module docstring).",
)
