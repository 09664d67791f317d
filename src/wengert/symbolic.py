"""Symbolic differentiation beside AD: a function's Wengert list as SymPy expressions, and expression swell measured.

The three ways to a derivative side by side, on one function:

* numerical: central differences, ``(f(x + h) - f(x - h)) / 2h`` (``wengert.check``);
* symbolic: the function's program turned into one SymPy expression per output
  (:func:`to_sympy`), then differentiated by SymPy's rules (:func:`symbolic_jacobian`);
* automatic: wengert's forward or reverse mode, a program of its own.

A symbolic expression has no names for intermediate values, so a value used twice is
written out twice: ``x_{k+1} = 4 x_k (1 - x_k)`` doubles the expression at every step,
and the product and chain rules copy whole subexpressions into the derivative. The AD
derivative program names every intermediate once and grows linearly with the function.
:func:`expression_swell` measures both for families of growing depth.

SymPy is an optional extra: ``pip install 'wengert[symbolic]'``.

>>> import wengert.numpy as wnp
>>> from wengert import symbolic
>>> expression = symbolic.to_sympy(lambda x: wnp.sin(x) * x, 1.0)
>>> expression.outputs
x*sin(x)
>>> symbolic.symbolic_jacobian(lambda x: wnp.sin(x) * x, 1.0)
[[x*cos(x) + sin(x)]]
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable, Sequence

import numpy as np

from wengert.errors import ArgumentError, MissingDependencyError

from ._src.core.ir import Program, Var
from ._src.core.pytree import tree_flatten, tree_unflatten
from ._src.transforms.api import grad
from ._src.transforms.jacobians import jacobian
from ._src.transforms.stage import trace

FAMILIES = ("logistic", "products", "sigmoid_network")
"""The families :func:`expression_swell` measures."""


def _sympy():
    try:
        import sympy
    except ImportError as error:
        raise MissingDependencyError("wengert.symbolic needs SymPy: pip install 'wengert[symbolic]'") from error
    return sympy


class SymbolicFunction:
    """A program as SymPy expressions: ``inputs`` (one symbol, or an object array of symbols, per input
    leaf, in the arguments' structure), ``outputs`` (one expression, or an object array of them, per
    output leaf, in the result's structure), and ``program``, the Wengert list they were read from."""

    def __init__(self, inputs, outputs, program: Program):
        self.inputs = inputs
        self.outputs = outputs
        self.program = program

    def __repr__(self) -> str:
        return f"SymbolicFunction({self.inputs!r} -> {self.outputs!r})"


def to_sympy(fun: Callable | Program, *args, names: Sequence[str] | None = None) -> SymbolicFunction:
    """``fun``'s Wengert list at ``args`` (traced with ``wengert.trace``), or a :class:`Program` itself
    (``args`` then unused), as SymPy expressions of one symbol per input element.

    Symbols take the function's parameter names (``x``; ``x_0, x_1 ...`` for an array), or
    ``names``, one per input leaf. A derivative program converts like any other: pass
    ``wengert.trace(wengert.grad(f))(x)``.
    """
    sympy = _sympy()
    program = fun if isinstance(fun, Program) else trace(fun)(*args)
    labels = list(names) if names is not None else _input_names(fun, program)
    if len(labels) != len(program.invars):
        raise ArgumentError(f"to_sympy: {len(labels)} names for {len(program.invars)} input leaves; give one per leaf")
    env = {var: _constant(value) for var, value in zip(program.constvars, program.consts)}
    leaves = []
    for var, label in zip(program.invars, labels):
        if var.shape:
            flat = [sympy.Symbol(f"{label}_{i}", real=True) for i in range(var.size)]
            leaves.append(np.array(flat, dtype=object).reshape(var.shape))
        else:
            leaves.append(sympy.Symbol(label, real=True))
        env[var] = np.asarray(leaves[-1], dtype=object)
    for eqn in program.equations:
        rule = _RULES.get(eqn.primitive.name)
        if rule is None:
            raise ArgumentError(
                f"to_sympy: the primitive {eqn.primitive.name!r} (in `{eqn.definition()}`) has no SymPy form; "
                f"wengert.symbolic converts {sorted(_RULES)}. Rewrite the function with those, or compare "
                "numerically with wengert.check instead."
            )
        values = [env[x] if isinstance(x, Var) else _constant(x.value) for x in eqn.inputs]
        env[eqn.outputs[0]] = np.asarray(rule(sympy, *values, **eqn.params), dtype=object)
    outs = [_plain(env[v]) if isinstance(v, Var) else _plain(_constant(v.value)) for v in program.outvars]
    return SymbolicFunction(tree_unflatten(program.in_tree, leaves), tree_unflatten(program.out_tree, outs), program)


def symbolic_jacobian(fun: Callable, *args) -> list:
    """SymPy's derivative of every output element with respect to every input element, as a nested
    list (rows: output elements, columns: input elements, both flattened in order)."""
    function = to_sympy(fun, *args)
    return [[out.diff(x) for x in _flat_symbols(function.inputs)] for out in _flat_expressions(function.outputs)]


def three_ways(fun: Callable, *args, step: float = 1e-6) -> dict:
    """The Jacobian of ``fun`` at ``args`` three ways, flattened to ``(outputs, inputs)`` arrays:
    ``"numerical"`` (central differences), ``"symbolic"`` (SymPy's derivative evaluated at ``args``)
    and ``"automatic"`` (``wengert.jacobian``)."""
    sympy = _sympy()
    function = to_sympy(fun, *args)
    symbols = _flat_symbols(function.inputs)
    point = np.concatenate([np.ravel(np.asarray(a, dtype=float)) for a in tree_flatten(args)[0]])
    rows = symbolic_jacobian(fun, *args)
    at = dict(zip(symbols, point.tolist()))
    symbolic = np.array([[float(sympy.N(entry.subs(at))) for entry in row] for row in rows])
    automatic = jacobian(lambda flat: _flat_output(fun, args, flat))(point)
    numerical = np.stack(
        [
            (_flat_output(fun, args, point + step * e) - _flat_output(fun, args, point - step * e)) / (2 * step)
            for e in np.eye(point.size)
        ],
        axis=-1,
    )
    return {"numerical": numerical, "symbolic": symbolic, "automatic": np.asarray(automatic).reshape(numerical.shape)}


def expression_size(expression) -> int:
    """Operations in a SymPy expression written out as a tree (a subexpression used twice counts twice)."""
    return int(_sympy().count_ops(expression))


def cse_size(expression) -> int:
    """Operations after common-subexpression elimination (``sympy.cse``): each repeated subexpression
    computed once, as a program would."""
    sympy = _sympy()
    replacements, reduced = sympy.cse(expression)
    return int(sum(sympy.count_ops(value) for _, value in replacements) + sum(sympy.count_ops(r) for r in reduced))


def family(name: str, depth: int) -> Callable:
    """A scalar function of one variable from a family of growing ``depth``:

    * ``"logistic"``: the logistic map, ``x_0 = x``, ``x_{k+1} = 4 x_k (1 - x_k)``, returning ``x_depth``;
    * ``"products"``: ``sin(x) sin(2x) ... sin(depth x)`` (the product rule's ``depth`` terms);
    * ``"sigmoid_network"``: the layered sigmoid network of one unit per layer,
      ``x_{k+1} = sigmoid(w_k x_k + b_k)`` with fixed weights.
    """
    import wengert.numpy as wnp

    if name not in FAMILIES:
        raise ArgumentError(f"family {name!r} is not one of {FAMILIES}")
    if name == "logistic":

        def logistic(x):
            for _ in range(depth):
                x = 4 * x * (1 - x)
            return x

        return logistic
    if name == "products":

        def products(x):
            out = wnp.sin(x)
            for k in range(2, depth + 1):
                out = out * wnp.sin(k * x)
            return out

        return products
    weights = [(0.5 + 0.25 * (k % 3), 0.1 * (k % 2) - 0.05) for k in range(depth)]

    def sigmoid_network(x):
        for w, b in weights:
            x = 1 / (1 + wnp.exp(-(w * x + b)))
        return x

    return sigmoid_network


class SwellTable:
    """Derivative sizes against depth for one family: symbolic (written out, after CSE) and AD."""

    def __init__(self, name: str, rows: list[tuple[int, int, int, int]]):
        self.name = name
        self.rows = rows
        """``(depth, symbolic operations, symbolic operations after CSE, AD program operations)``."""

    def column(self, index: int) -> list[int]:
        return [row[index] for row in self.rows]

    def __str__(self) -> str:
        lines = [
            f"expression swell: {self.name}",
            "depth   symbolic derivative   after CSE   AD derivative program",
        ]
        lines += [f"{d:>5}   {s:>19}   {c:>9}   {a:>21}" for d, s, c, a in self.rows]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)

    def plot(self, ax=None):
        """The three sizes against depth on a log scale (needs matplotlib: ``pip install 'wengert[plot]'``)."""
        try:
            import matplotlib.pyplot as plt
        except ImportError as error:
            raise MissingDependencyError("SwellTable.plot needs matplotlib: pip install 'wengert[plot]'") from error
        if ax is None:
            _, ax = plt.subplots(figsize=(5, 3.5))
        depths = self.column(0)
        for index, label in ((1, "symbolic, written out"), (2, "symbolic, after CSE"), (3, "AD derivative program")):
            ax.plot(depths, self.column(index), marker="o", label=label)
        ax.set_yscale("log")
        ax.set_xlabel("depth")
        ax.set_ylabel("operations")
        ax.set_title(f"expression swell: {self.name}")
        ax.legend()
        return ax


def expression_swell(name: str = "logistic", depths: Sequence[int] = range(1, 7)) -> SwellTable:
    """For the family ``name`` (:data:`FAMILIES`) at each depth: the operations of SymPy's derivative
    written out and after CSE, beside the operations (equations) of wengert's derivative program,
    ``wengert.trace(wengert.grad(f))(x)``.

    >>> print(expression_swell("logistic", depths=(1, 2, 3)))   # doctest: +NORMALIZE_WHITESPACE
    expression swell: logistic
    depth   symbolic derivative   after CSE   AD derivative program
        1                     2           2                       7
        2                    21          12                      15
        3                    82          27                      23
    """
    rows = []
    for depth in depths:
        f = family(name, depth)
        function = to_sympy(f, 0.3)
        derivative = function.outputs.diff(function.inputs[0])
        ad_program = trace(grad(f))(0.3)
        rows.append((depth, expression_size(derivative), cse_size(derivative), len(ad_program.equations)))
    return SwellTable(name, rows)


# --- the pieces ---------------------------------------------------------------------------------------------


def _input_names(fun, program: Program) -> list[str]:
    """One name per input leaf: the parameter's name (with the leaf's position where an argument has several)."""
    try:
        params = list(inspect.signature(fun).parameters)
    except (TypeError, ValueError):
        params = []
    counts = [len(tree_flatten(child.unflatten([0] * child.num_leaves))[0]) for child in program.in_tree.children]
    names = []
    for position, count in enumerate(counts):
        base = params[position] if position < len(params) else f"a{position}"
        names += [base] if count == 1 else [f"{base}{i}" for i in range(count)]
    return names if len(names) == len(program.invars) else [v.name for v in program.invars]


def _number(value):
    sympy = _sympy()
    value = value.item() if hasattr(value, "item") else value
    if isinstance(value, bool):
        return sympy.true if value else sympy.false
    if isinstance(value, int) or (isinstance(value, float) and value.is_integer() and abs(value) < 2**53):
        return sympy.Integer(int(value))
    return sympy.Float(value)


def _constant(value):
    array = np.asarray(value)
    out = np.empty(array.shape, dtype=object)
    for index in np.ndindex(array.shape):
        out[index] = _number(array[index])
    return out


def _plain(array):
    return array.item() if array.shape == () else array


def _flat_symbols(inputs) -> list:
    return [s for leaf in tree_flatten(inputs)[0] for s in np.ravel(np.asarray(leaf, dtype=object))]


def _flat_expressions(outputs) -> list:
    return [e for leaf in tree_flatten(outputs)[0] for e in np.ravel(np.asarray(leaf, dtype=object))]


def _flat_output(fun, args, flat):
    """``fun`` at the flat vector ``flat`` put back into ``args``' structure, its outputs flattened."""
    leaves, tree = tree_flatten(args)
    import wengert.numpy as wnp

    pieces, offset = [], 0
    for leaf in leaves:
        size = math.prod(np.shape(leaf))
        pieces.append(wnp.reshape(flat[offset : offset + size], np.shape(leaf)))
        offset += size
    out_leaves = tree_flatten(fun(*tree_unflatten(tree, pieces)))[0]
    return wnp.concatenate([wnp.ravel(o) for o in out_leaves])


def _elementwise(function):
    vectorised = np.vectorize(function, otypes=[object])
    return lambda sympy, x: vectorised(x)


def _pow(sympy, x, y):
    return np.vectorize(lambda a, b: a**b, otypes=[object])(x, y)


def _reduce(sympy, x, axis, keepdims, mean=False):
    total = np.sum(x, axis=axis, keepdims=keepdims)
    if not mean:
        return total
    count = x.size if axis is None else math.prod(x.shape[a] for a in axis)
    return np.asarray(total, dtype=object) / sympy.Integer(count)


_RULES = {
    "add": lambda s, x, y: x + y,
    "subtract": lambda s, x, y: x - y,
    "multiply": lambda s, x, y: x * y,
    "divide": lambda s, x, y: x / y,
    "neg": lambda s, x: -x,
    "power": _pow,
    "square": lambda s, x: x * x,
    "exp": lambda s, x: _elementwise(s.exp)(s, x),
    "log": lambda s, x: _elementwise(s.log)(s, x),
    "log1p": lambda s, x: _elementwise(lambda a: s.log(1 + a))(s, x),
    "expm1": lambda s, x: _elementwise(lambda a: s.exp(a) - 1)(s, x),
    "sin": lambda s, x: _elementwise(s.sin)(s, x),
    "cos": lambda s, x: _elementwise(s.cos)(s, x),
    "tan": lambda s, x: _elementwise(s.tan)(s, x),
    "tanh": lambda s, x: _elementwise(s.tanh)(s, x),
    "sinh": lambda s, x: _elementwise(s.sinh)(s, x),
    "cosh": lambda s, x: _elementwise(s.cosh)(s, x),
    "arctan": lambda s, x: _elementwise(s.atan)(s, x),
    "sqrt": lambda s, x: _elementwise(s.sqrt)(s, x),
    "expit": lambda s, x: _elementwise(lambda a: 1 / (1 + s.exp(-a)))(s, x),
    "astype": lambda s, x, dtype: x,
    "reshape": lambda s, x, shape: np.reshape(x, shape),
    "transpose": lambda s, x, axes: np.transpose(x, axes),
    "broadcast_to": lambda s, x, shape: np.broadcast_to(x, shape),
    "getitem": lambda s, x, idx: x[idx],
    "reduce_sum": lambda s, x, axis, keepdims: _reduce(s, x, axis, keepdims),
    "reduce_mean": lambda s, x, axis, keepdims: _reduce(s, x, axis, keepdims, mean=True),
    "matmul": lambda s, x, y: np.matmul(x, y),
}
"""How each primitive reads in SymPy, on object arrays of expressions."""
