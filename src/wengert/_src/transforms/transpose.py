"""Transposition: run a linear program backwards, which turns forward mode into reverse mode.

A linear program computes ``y = A x`` one linear equation at a time. Its
transpose computes ``x̄ = Aᵀ ȳ`` by walking the equations from last to first
and applying, for each equation ``out = p(..., x_i, ...)`` whose argument
``x_i`` depends linearly on the inputs, the *transpose rule* of ``p`` in that
argument,

    x̄_i += transpose_i(out̄, ...),

accumulating over every use of a variable, exactly as reverse mode
accumulates adjoints. The linear argument itself is not known (it is what
the transpose solves for), so the rule receives an :class:`UndefinedPrimal`
that carries only its shape and dtype; the other arguments are constants.
Equations of the program that depend on constants only are evaluated first,
forwards.

``vjp(f, x, method="transpose")`` is ``linear_transpose(linearize(f, x))``:
reverse mode derived from forward mode, partial evaluation and this pass.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from wengert.errors import NotLinearError, PytreeError, ShapeError

from ..backend import dtype_of, shape_of, xp
from ..core.ir import Equation, Program, ShapedArray, Var, evaluate_equations
from ..core.primitive import Tracer
from ..core.pytree import tree_flatten, tree_unflatten
from ..primitives.rules import BY_VJP, EveryArgument, JointVJP, Multilinear
from .complex_guard import COMPLEX_DIFFERENTIABLE, refuse_complex, refuse_complex_seed
from .foreign_arrays import foreign_trace_in, hand_over
from .inputs import check_output, own_arrays
from .linearize import LinearFunction, linearize
from .reverse import TapeEntry, pull_back_tape
from .stage import stage


class UndefinedPrimal(ShapedArray):
    """The linear argument of a transpose rule: known by its shape and dtype only."""

    __slots__ = ()
    __array_ufunc__ = None  # NumPy must not compute with it: the rule may use only its shape and dtype

    def __repr__(self) -> str:
        return f"UndefinedPrimal({self.shape}, {self.dtype})"


def linear_transpose(fun: Callable, *primals) -> Callable:
    """The transpose of the linear function ``fun``, as a function of an output cotangent.

    ``primals`` give the shapes and dtypes (and pytree structure) of
    ``fun``'s arguments; their values are not used. ``fun`` is staged once on
    placeholders (a :class:`LinearFunction` from ``linearize`` is already
    staged), and the returned function maps a cotangent of ``fun``'s output
    to the tuple of cotangents of its arguments, ``Aᵀ ȳ``.

    >>> import numpy as np, wengert
    >>> A = np.array([[1.0, 2.0], [3.0, 4.0]])
    >>> transposed = wengert.linear_transpose(lambda x: A @ x, np.zeros(2))
    >>> transposed(np.array([1.0, 0.0]))
    (array([1., 2.]),)
    """
    foreign = foreign_trace_in(primals)
    if foreign is not None:  # another library's arrays: run on them in its namespace (docs/array_api.md)
        return hand_over(foreign, linear_transpose, fun, *primals)
    flat_primals, in_tree = tree_flatten(primals)
    if isinstance(fun, LinearFunction) and fun.program.in_tree == in_tree:
        program = fun.program
    else:
        placeholders = [xp.zeros(shape_of(p), dtype_of(p)) for p in flat_primals]
        program = stage(
            _checked_output(fun),
            tree_unflatten(in_tree, placeholders),
            values_visible=False,
            purpose="linear_transpose",
        )
    for i, (var, primal) in enumerate(zip(program.invars, flat_primals)):
        refuse_complex_seed(var, "linear_transpose", f"primal {i}")
        if var.shape != tuple(shape_of(primal)) or var.dtype != xp.dtype(dtype_of(primal)):
            raise ShapeError(
                f"linear_transpose: primal {i} has type {shape_of(primal)} {dtype_of(primal)}, but the linear "
                f"function was staged for {var.type_string}; give primals of the shapes it takes."
            )

    def transposed(cotangent):
        flat_cts, ct_tree = tree_flatten(cotangent)
        if ct_tree != program.out_tree:
            raise PytreeError(
                f"linear_transpose: the cotangent has structure {ct_tree}, but the function returns "
                f"{program.out_tree}; pass one cotangent per output, in the output's structure."
            )
        flat_cts = [_checked_cotangent(ct, var, i) for i, (ct, var) in enumerate(zip(flat_cts, program.outvars))]
        cts_in = backward_pass(program, flat_cts)
        cts_in = [xp.zeros(v.shape, v.dtype) if ct is None else ct for ct, v in zip(cts_in, program.invars)]
        return tuple(tree_unflatten(in_tree, own_arrays(cts_in, flat_cts)))

    transposed.__name__ = f"transpose({getattr(fun, '__name__', 'linear function')})"
    return transposed


def _checked_output(fun: Callable) -> Callable:
    """``fun``, refusing a result that is not arrays and numbers (a string was staged as a constant, and
    transposed to zeros)."""

    def checked(*args):
        result = fun(*args)
        check_output(result, tree_flatten(result)[0], "linear_transpose")
        return result

    return checked


def backward_pass(program: Program, cotangents: list) -> list:
    """The cotangents of ``program``'s inputs (``None``: zero) for those of its outputs.

    ``program`` must be linear in its inputs; equations on constants alone are
    evaluated first. The linear equations are written as a reverse-mode tape (the
    program's inputs its inputs, each equation an entry whose rules are its transpose
    rules, :func:`_transposed`) and pulled back by the tape's own backward pass
    (:func:`~.reverse.pull_back_tape`), which accumulates over every use of a variable
    and fills in zeros for the results of an equation that no cotangent reached. The
    rules bind primitives, so the pass runs under any transform (it can be staged, or
    differentiated again).
    """
    linear: set[int] = {id(v) for v in program.invars}
    env = dict(zip(program.constvars, program.consts))
    constant_equations, linear_equations = [], []
    for eqn in program.equations:
        if any(id(x) in linear for x in eqn.inputs):
            linear.update(id(v) for v in eqn.outputs)
            linear_equations.append(eqn)
        else:
            constant_equations.append(eqn)
    for eqn in linear_equations:
        if eqn.primitive not in COMPLEX_DIFFERENTIABLE:
            linear_values = [*eqn.outputs, *(x for x in eqn.inputs if id(x) in linear)]
            refuse_complex(eqn.primitive.name, linear_values, "linear_transpose")
    evaluate_equations(constant_equations, env, ())
    tape: list = [None] * len(program.invars)
    places = {id(v): (i, -1) for i, v in enumerate(program.invars)}  # a linear variable's (tape index, slot)
    for eqn in linear_equations:
        positions = [i for i, x in enumerate(eqn.inputs) if id(x) in linear]
        args = [
            UndefinedPrimal(x.shape, x.dtype) if i in positions else (env[x] if isinstance(x, Var) else x.value)
            for i, x in enumerate(eqn.inputs)
        ]
        parents = [(position, *places[id(eqn.inputs[position])]) for position in positions]
        index = len(tape)
        if eqn.primitive.multiple_results:  # the outputs' shapes, for the zeros of those no cotangent reaches
            tape.append(TapeEntry(_transposed(eqn, positions), args, eqn.params, eqn.outputs, parents))
            places.update((id(v), (index, k)) for k, v in enumerate(eqn.outputs))
        else:
            tape.append(TapeEntry(_transposed(eqn, positions), args, eqn.params, None, parents))
            places[id(eqn.outputs[0])] = (index, -1)
    seeds = [
        (*places[id(var)], ct)
        for var, ct in zip(program.outvars, cotangents)
        if isinstance(var, Var) and id(var) in linear and ct is not None
    ]
    return pull_back_tape(tape, seeds)[: len(program.invars)]


class _Transposed:
    """An equation's transpose rules in the form the tape's backward pass calls: ``vjps[i](ct, ans, *args, **params)``
    (``ans`` is ``None``: the output is not known), or one :class:`~..primitives.rules.JointVJP`."""

    __slots__ = ("multiple_results", "name", "vjps")

    def __init__(self, prim, vjps):
        self.name = prim.name
        self.multiple_results = prim.multiple_results
        self.vjps = vjps


def _transposed(eqn: Equation, positions: list) -> _Transposed:
    """The transpose rules of ``eqn`` in its linear arguments ``positions``; raises if it is not linear in them."""
    prim = eqn.primitive
    if _transposed_jointly(prim):  # its VJP for all the linear arguments at once
        return _Transposed(prim, prim.vjps)
    vjps: list = [None] * len(eqn.inputs)
    for position in positions:
        vjps[position] = _transpose_rule(eqn, position, positions)
    return _Transposed(prim, vjps)


def _transpose_rule(eqn: Equation, position: int, positions: list) -> Callable:
    prim = eqn.primitive
    rules = prim.transposes
    rule = None if rules is None else rules[position]
    if rule is None or (isinstance(rules, Multilinear) and len(positions) > 1):
        why = (
            f"its arguments {positions} both depend on the input"
            if rule is not None
            else f"`{prim.name}` is not linear in argument {position}, which depends on the input"
        )
        raise NotLinearError(
            f"linear_transpose: the function is not linear in its inputs: in the equation `{eqn!r}`, {why}. "
            "Only functions built from linear operations (sums, scaling by constants, reshaping, indexing, "
            "products with a constant) can be transposed; to pull back through a nonlinear function, use "
            "wengert.vjp."
        )
    if rule is BY_VJP:
        return prim.vjps[position]
    return functools.partial(_transpose_as_vjp, rule)


def _transposed_jointly(prim) -> bool:
    """Whether every argument's transpose is its VJP and the VJP is one rule for all of them (``concatenate``)."""
    rules = prim.transposes
    return type(prim.vjps) is JointVJP and isinstance(rules, EveryArgument) and rules.rule is BY_VJP


def _transpose_as_vjp(transpose_rule, ct, ans, *args, **params):
    return transpose_rule(ct, *args, **params)


def _checked_cotangent(ct, var, position: int):
    refuse_complex_seed(ct, "linear_transpose", f"cotangent {position}")
    if not isinstance(ct, Tracer):
        ct = xp.asarray(ct, dtype=var.dtype)
    if tuple(ct.shape) != var.shape:
        raise ShapeError(
            f"linear_transpose: cotangent {position} has shape {tuple(ct.shape)}, but the output has shape "
            f"{var.shape}; give each cotangent the shape of its output."
        )
    return ct


def vjp_by_transposition(fun: Callable, primals: tuple, has_aux: bool = False):
    """``vjp(fun, *primals, method="transpose")``: the transpose of the linearized function.

    ``(out, vjp_fn)`` (and ``aux``) as the tape's ``vjp`` returns them; ``vjp_fn`` is
    ``linear_transpose(f_lin, *primals)`` for ``(out, f_lin) = linearize(fun, *primals)``.
    """
    if has_aux:
        out, f_lin, aux = linearize(fun, *primals, has_aux=True)
        return out, linear_transpose(f_lin, *primals), aux
    out, f_lin = linearize(fun, *primals)
    return out, linear_transpose(f_lin, *primals)
