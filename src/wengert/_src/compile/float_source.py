"""Writing a program of 0-d float64 values as a function on Python floats, beside its NumPy code.

For ``jit(..., floats=True)``: a program that
:func:`~wengert._src.compile.scalar_floats.runs_as_floats` becomes three functions::

    def f_arrays(t1, t2): ...          # the NumPy code
    def f_floats(t1, t2): ...          # each equation on Python floats and ``math``
    def f(t1, t2):
        try:
            results = f_floats(float(t1), float(t2))
        except (ArithmeticError, ValueError):
            results = None
        return f_arrays(t1, t2) if results is None else results

``f_floats`` gives None where an output is not finite, and Python raises where
NumPy would give ``inf`` or ``nan`` (``1 / 0``, ``log(0)``, ``exp(1000)``): there the
NumPy code answers, with NumPy's values and warnings. Each equation's float form
is :mod:`~wengert._src.compile.scalar_floats`'s.
"""

from __future__ import annotations

import re

from ..backend import xp
from ..core.ir import Program, Var
from .scalar_floats import MATH_NAMES, float_expression, float_literal, result_type
from .source_text import literal, tuple_text


def write_float_functions(gen, program: Program, name: str) -> None:
    """Add ``name``, ``name_floats`` and ``name_arrays`` for ``program`` to the module ``gen`` builds
    (a :class:`~wengert._src.compile.generator.SourceGenerator`)."""
    arrays, floats = f"{name}_arrays", f"{name}_floats"
    gen.global_names.update((arrays, floats, "expit", *MATH_NAMES))
    gen.function(program, arrays, always_tuple=True)
    body = float_body(gen, program)
    called = set(re.findall(r"[a-z_]\w*", "\n".join(body)))
    if set(MATH_NAMES) & called:
        gen.imports["math"] = f"from math import {', '.join(sorted(set(MATH_NAMES) & called))}"
    if "expit" in called:
        gen.imports["scalar_floats"] = "from wengert._src.compile.scalar_floats import expit"
    parameters = ", ".join(v.name for v in program.invars)
    converted = ", ".join(
        v.name if v.weak else f"{'bool' if v.dtype == xp.bool_ else 'float'}({v.name})" for v in program.invars
    )
    gen.functions.append(f"def {floats}({parameters}):\n" + "\n".join("    " + line for line in body))
    gen.functions.append(
        f"def {name}({parameters}):\n"
        "    try:\n"
        f"        results = {floats}({converted})\n"
        "    except (ArithmeticError, ValueError):  # Python raised (1 / 0, log(0), exp(1000)): NumPy answers\n"
        "        results = None\n"
        f"    return {arrays}({parameters}) if results is None else results"
    )


def float_body(gen, program: Program) -> list[str]:
    """The lines of ``name_floats``: each equation on floats, then the outputs, of the types the NumPy
    code returns (a NumPy scalar or 0-d array for a result, as its primitive gives, a Python number
    for a Python number, a copy of the array for a constant), or None when a float result is not
    finite."""
    names = {id(var): var.name for var in program.invars}
    constants = {}
    for var, value in zip(program.constvars, program.consts):
        names[id(var)] = gen.constant(value.item(), f"{var.name}_float")
        constants[id(var)] = gen.constant(value, var.name)  # the NumPy code's name for it
    body, made_by = [], {}
    for eqn in program.equations:
        args = [names[id(x)] if isinstance(x, Var) else literal(float_literal(x.value)) for x in eqn.inputs]
        out = eqn.outputs[0]
        names[id(out)], made_by[id(out)] = out.name, eqn.primitive
        body.append(f"{out.name} = {float_expression(eqn, args)}")
    results, computed = [], []
    for var in program.outvars:
        if not isinstance(var, Var):
            results.append(literal(var.value))
        elif id(var) in constants:
            results.append(f"{constants[id(var)]}.copy()")
        elif var.weak:
            results.append(names[id(var)])
        else:
            results.append(f"np.{result_type(made_by[id(var)])}({names[id(var)]})")
            if var.dtype == xp.float64:
                computed.append(names[id(var)])
    returned = "return " + tuple_text(results)
    if not computed:
        return [*body, returned]
    finite = " and ".join(f"-inf < {r} < inf" for r in computed)
    return [*body, f"if {finite}:", "    " + returned, "return None"]
