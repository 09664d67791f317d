"""A typed expression at a point, as the textbook tables it: one row per primitive, value, tangent and adjoint.

The expression (the ``wengert diff`` grammar, :mod:`wengert.apps.expression`) is
staged with ``wengert.trace`` and swept by
:func:`~wengert.viz.sweep.sweep_program`: every row has its value, its
tangent ``dv/dx`` (forward mode, seeded on one input) and its adjoint
``df/dv`` (reverse mode, seeded ``df/df = 1``), plus the local partial
derivatives of its operation, and the list of its *children* (the rows that
use it) with their partials, from which its adjoint is the sum

    v̄ = Σ over children c of  c̄ · ∂c/∂v.

Inputs keep their variable names; intermediates are ``v1, v2, ...``.
``wengert diff --tangents --adjoints`` prints these rows, and the explorer
(``wengert explore``) draws them.

>>> from wengert.apps.expression import parse_expression
>>> sweep = sweep_expression(parse_expression("(a*b)*(b+1)"), (2.0, 3.0), seed="a")
>>> [(row.name, row.definition, float(row.value), float(row.tangent), float(row.adjoint)) for row in sweep.rows]
... # doctest: +NORMALIZE_WHITESPACE
[('a', 'a', 2.0, 1.0, 12.0), ('b', 'b', 3.0, 0.0, 14.0), ('v1', 'v1 = multiply a b', 6.0, 3.0, 4.0),
 ('v2', 'v2 = add b 1', 4.0, 0.0, 6.0), ('v3', 'v3 = multiply v1 v2', 24.0, 12.0, 1.0)]
>>> [(child, float(partial)) for child, partial in sweep.row("b").children]
[('v1', 2.0), ('v2', 1.0)]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

import wengert
from wengert._src.core.ir import Literal, Program, Var
from wengert.apps.expression import Expression
from wengert.errors import ExpressionError
from wengert.viz.graph import Graph, program_graph
from wengert.viz.sweep import local_partials, sweep_program

__all__ = ["ExpressionSweep", "Row", "sweep_expression", "table_lines"]


@dataclass
class Row:
    """One line of the evaluation trace with its derivatives.

    ``partials`` pairs each input name of the operation with ``∂row/∂input``;
    ``children`` pairs each row that uses this one with ``∂child/∂row``. A
    partial is a number for scalars, a Jacobian for small arrays, or None.
    """

    name: str
    operation: str
    inputs: tuple[str, ...]
    value: object
    tangent: object
    adjoint: object
    type: str
    partials: list = field(default_factory=list)
    children: list = field(default_factory=list)

    @property
    def definition(self) -> str:
        """``v1 = multiply a b`` (or the input's name)."""
        if not self.operation:
            return self.name
        return " ".join((f"{self.name} =", self.operation, *self.inputs))


@dataclass
class ExpressionSweep:
    """An expression swept at ``point``: its rows in evaluation order, the output row's name, the program."""

    expression: Expression
    point: tuple
    seed: str
    rows: list[Row]
    output: str
    program: Program
    graph: Graph
    node_names: dict = field(default_factory=dict)
    """The row name of each graph box that is a row (literal boxes are not)."""

    def row(self, name: str) -> Row:
        for row in self.rows:
            if row.name == name:
                return row
        raise KeyError(name)


def sweep_expression(expression: Expression, point: Sequence, seed: str | None = None) -> ExpressionSweep:
    """The rows of ``expression`` at ``point`` (one value per variable), tangents seeded on ``seed``.

    ``seed`` is a variable's name (default: the first variable). Values may be
    numbers or arrays (of one shape for all); for an expression with an array
    result, the adjoints are those of the sum of its elements.
    """
    variables = expression.variables
    seed = variables[0] if seed is None else seed
    if seed not in variables:
        raise ExpressionError(
            f"cannot seed forward mode on {seed!r}: it is not a variable of {expression.text!r} "
            f"(its variables: {', '.join(variables)})"
        )
    point = tuple(np.asarray(v, dtype=float) for v in point)
    program = wengert.trace(expression)(*point)
    tangents = tuple(np.ones_like(v) if name == seed else np.zeros_like(v) for name, v in zip(variables, point))
    sweep = sweep_program(program, point, tangents)
    partials = local_partials(program, sweep.values)
    names = dict(zip(program.invars, variables))
    counter = 0
    for eqn in program.equations:
        for var in eqn.outputs:
            counter += 1
            while f"v{counter}" in variables:
                counter += 1
            names[var] = f"v{counter}"

    def text(x) -> str:
        return names[x] if isinstance(x, Var) else _literal(x)

    rows = [
        Row(name, "", (), sweep.values[var], sweep.tangents.get(var), sweep.adjoints.get(var), var.type_string)
        for var, name in zip(program.invars, variables)
    ]
    by_var = dict(zip(program.invars, rows))
    for eqn in program.equations:
        for var in eqn.outputs:
            row = Row(
                names[var],
                eqn.head(),
                tuple(text(x) for x in eqn.inputs),
                sweep.values[var],
                sweep.tangents.get(var),
                sweep.adjoints.get(var),
                var.type_string,
            )
            for position, x in enumerate(eqn.inputs):
                if isinstance(x, Var) and (var, position) in partials:
                    partial = partials[(var, position)]
                    row.partials.append((names[x], partial))
                    by_var[x].children.append((row.name, partial))
            by_var[var] = row
            rows.append(row)
    (out,) = program.outvars[:1]
    output = names[out] if isinstance(out, Var) else _literal(out)
    graph = program_graph(program, sweep.values, sweep.adjoints, variables)
    node_names = {var.name: name for var, name in names.items()}
    for node in graph.nodes:  # the graph speaks the table's names
        if node.id in node_names and node.kind != "input":
            node.title = f"{node_names[node.id]} = {node.title.split(' = ', 1)[1]}"
    return ExpressionSweep(expression, point, seed, rows, output, program, graph, node_names)


def _literal(literal: Literal) -> str:
    value = literal.value
    return f"{float(value):g}" if np.ndim(value) == 0 else str(value)


def _cell(value) -> str:
    if value is None:
        return "-"
    array = np.asarray(value)
    if array.ndim == 0:
        return f"{array.item():.6g}"
    return np.array2string(array, precision=4, separator=", ", max_line_width=10_000)


def table_lines(sweep: ExpressionSweep, tangents: bool = True, adjoints: bool = True) -> list[str]:
    """The rows as an aligned text table: definition, value, and the tangent and/or adjoint columns."""
    header = ["", "value"]
    if tangents:
        header.append(f"tangent d·/d{sweep.seed}")
    if adjoints:
        header.append("adjoint df/d·")
    table = [header]
    for row in sweep.rows:
        cells = [row.definition, _cell(row.value)]
        if tangents:
            cells.append(_cell(row.tangent))
        if adjoints:
            cells.append(_cell(row.adjoint))
        table.append(cells)
    widths = [max(len(cells[k]) for cells in table) for k in range(len(header))]
    return ["   ".join(cell.ljust(width) for cell, width in zip(cells, widths)).rstrip() for cells in table]
