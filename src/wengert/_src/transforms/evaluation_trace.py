"""The evaluation trace: the Wengert list of one run of a function, as readable lines.

A function is run once under a reverse-mode tape (:class:`ReverseTrace`),
and the tape is read back as a list of equations, one primitive per line,
in the order they were evaluated::

    x                   = 1.5
    v1 = power x 3      = 3.375
    v2 = neg x          = -1.5
    v3 = exp v2         = 0.22313
    v4 = multiply v1 v3 = 0.753064

Each input of an equation is named: a variable of the function (``x``), an
intermediate (``v3``), or, for a value that does not depend on the
variables (the ``3`` of ``x ** 3``), the constant itself.

Only what the tape records appears: primitives with a derivative applied to
values that depend on the variables. A primitive that carries no derivative
(``sign``, ``floor``, a comparison) leaves no line; its result shows up as a
constant where it is used.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from wengert.errors import TransformError

from ..backend import xp
from ..core.primitive import Tracer, new_trace
from .reverse import ReverseTrace, ReverseTracer, TapeEntry


@dataclass(frozen=True)
class Equation:
    """One line of the Wengert list: ``out = primitive[params] inputs = value``.

    ``inputs`` holds one string per argument: a variable's name, an
    intermediate's name, or a constant written as its value.
    """

    out: str
    primitive: str
    inputs: tuple[str, ...]
    params: tuple[tuple[str, str], ...]
    value: object

    def definition(self) -> str:
        """The left part of the line, ``v1 = power x 3``, without the value."""
        params = ", ".join(f"{key}={value}" for key, value in self.params)
        head = f"{self.primitive}[{params}]" if params else self.primitive
        return " ".join((f"{self.out} =", head, *self.inputs))

    def __str__(self) -> str:
        return f"{self.definition()} = {format_value(self.value)}"


@dataclass(frozen=True)
class EvaluationTrace:
    """The inputs, the equations and the output of one evaluation.

    ``output`` names what the function returned: an intermediate, a
    variable, or a constant when the result does not depend on the variables.
    """

    inputs: tuple[tuple[str, object], ...]
    equations: tuple[Equation, ...]
    output: str

    def lines(self, result: str = "out") -> list[str]:
        """The trace as aligned lines, ending with ``result = <output>``."""
        rows = [(name, value) for name, value in self.inputs]
        rows += [(equation.definition(), equation.value) for equation in self.equations]
        width = max((len(left) for left, _ in rows), default=0)
        lines = [f"{left.ljust(width)} = {format_value(value)}" for left, value in rows]
        lines.append(f"{result} = {self.output}")
        return lines

    def __str__(self) -> str:
        return "\n".join(self.lines())


def evaluation_trace(fun: Callable, *args, names: Sequence[str] | None = None) -> EvaluationTrace:
    """Run ``fun(*args)`` once and return its Wengert list.

    ``args`` are arrays (or scalars); ``names`` gives each a name (default
    ``x`` for one argument, ``x1, x2, ...`` for several). Intermediates are
    numbered ``v1, v2, ...`` in evaluation order, skipping any number that
    would clash with an argument's name.

    >>> import wengert.numpy as wnp
    >>> print(evaluation_trace(lambda x: x ** 3 * wnp.exp(-x), 1.5))
    x                   = 1.5
    v1 = power x 3      = 3.375
    v2 = neg x          = -1.5
    v3 = exp v2         = 0.22313
    v4 = multiply v1 v3 = 0.753064
    out = v4
    """
    names = _argument_names(len(args), names)
    with new_trace(ReverseTrace, True) as trace:  # keeping every value, to print it
        inputs = [trace.new_input(xp.asarray(arg)) for arg in args]
        result = fun(*inputs)
        tape = list(trace.tape)
    entry_names = {tracer.index: name for tracer, name in zip(inputs, names)}
    equations = []
    counter = 0
    for index, recorded in enumerate(tape):
        if recorded is None:  # an input
            continue
        counter += 1
        while f"v{counter}" in names:
            counter += 1
        entry_names[index] = f"v{counter}"
        equations.append(_equation(recorded, entry_names[index], entry_names))
    if isinstance(result, ReverseTracer) and result._trace is trace:
        output = _reference(entry_names, result.index, result.slot)
    else:
        output = format_value(result)
    return EvaluationTrace(
        inputs=tuple((name, tracer.primal) for name, tracer in zip(names, inputs)),
        equations=tuple(equations),
        output=output,
    )


def format_value(value, digits: int = 6) -> str:
    """A value as it is printed in a trace: ``digits`` significant digits, arrays on one line."""
    if isinstance(value, tuple):
        return "(" + ", ".join(format_value(v, digits) for v in value) + ")"
    if isinstance(value, Tracer):
        value = value.concrete()
    array = xp.asarray(value)
    if array.ndim == 0 and array.dtype.kind in "fiu":
        return f"{array.item():.{digits}g}"
    return xp.array2string(array, precision=digits, separator=", ", max_line_width=10_000)


def _argument_names(count: int, names: Sequence[str] | None) -> tuple[str, ...]:
    if names is None:
        return ("x",) if count == 1 else tuple(f"x{i}" for i in range(1, count + 1))
    names = tuple(names)
    if len(names) != count or len(set(names)) != count:
        raise TransformError(
            f"evaluation_trace: names={names!r} must give one distinct name to each of the {count} arguments."
        )
    return names


def _equation(recorded: TapeEntry, name: str, entry_names: dict[int, str]) -> Equation:
    """The equation of one tape entry, named ``name``."""
    inputs = [format_value(arg) for arg in recorded.args]
    for position, parent, slot in recorded.parents:
        inputs[position] = _reference(entry_names, parent, slot)
    return Equation(
        out=name,
        primitive=recorded.prim.name,
        inputs=tuple(inputs),
        params=tuple((key, _format_param(value)) for key, value in (recorded.params or {}).items()),
        value=recorded.out,
    )


def _reference(entry_names: dict[int, str], index: int, slot: int) -> str:
    name = entry_names[index]
    return name if slot < 0 else f"{name}[{slot}]"


def _format_param(value) -> str:
    if isinstance(value, xp.ndarray):
        return format_value(value)
    return str(value)
