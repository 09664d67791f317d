"""Whether a program is a sum (or a mean) over the examples of per-example terms, read from its Wengert list.

A loss over a dataset held in row chunks (a Dask array) can be computed chunk by chunk and the
pieces added, *if* it has the form

    out = A(w) + c * N**p * sum_i t(w, X_i, y_i)

where ``i`` runs over the examples (rows) and ``t`` sees one row at a time: a sum (``p = 0``),
a mean (``p = -1``), plus a term ``A`` of the parameters alone (a regulariser). Then, on chunks of
``n_k`` rows, ``out = sum_k (N / n_k)**p * out_k`` for a mean (the weights ``n_k / N`` add up to
one, so ``A`` is counted once), and ``out = sum_k out_k - (K - 1) * A`` for a sum. The same holds
for every derivative of ``out`` (it is linear in the sums), so a chunk's gradient combines with
its value's weight.

This module decides the form from the program itself, never from numbers. The function is staged
(values hidden, as ``jit`` stages it) at two row counts, 2 and 3, and at each row count the chunks
really have. An axis whose length follows the row count is the examples' axis; a literal that
follows it (``len(X)``) scales as ``n**p``. Each equation then gives its result a :class:`Role`:

* ``PARAMS``: depends on no example (the parameters, constants);
* ``ROWS``: has the examples' axis, and each row depends on its own example's row only;
* ``SUM``: a sum over the examples of per-row terms (``sum``/``mean`` over the examples' axis, a
  product contracting it), then only linear operations with parameters;
* ``AFFINE``: a ``SUM`` plus a ``PARAMS`` term.

Only the primitives known to keep rows apart pass ``ROWS`` on (elementwise operations, reductions
and indexing along other axes, transposes, broadcasts, row-preserving reshapes, products that keep
or contract the examples' axis); anything else on a value that depends on the examples is refused
with the equation named, as is a program whose structure changes with the row count. Refusing is
always safe: the caller then says why and what to do instead.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from wengert.errors import TransformError

from ..backend import xp
from ..core.ir import Literal, Program
from ..core.primitive import Primitive
from ..primitives import contractions, elementwise, indexing, reductions, special, structural

PARAMS, ROWS, SUM, AFFINE = "params", "rows", "sum", "affine"

ZERO = "zero"
"""The power of a value that is zero at every row count (a gradient's accumulator): it scales as any power."""

ROW_COUNTS = (2, 3)
"""The two row counts every program is staged at to tell the examples' axis and ``n**p`` literals apart."""


def _primitives_of(*modules) -> set:
    return {value for module in modules for value in vars(module).values() if isinstance(value, Primitive)}


_AXIS_WISE = {special.softmax, special.log_softmax, reductions.cumsum, reductions.argsort, structural.flip}
_ELEMENTWISE = (_primitives_of(elementwise) | _primitives_of(special)) - _AXIS_WISE - {structural.reduce_sum}
_ELEMENTWISE |= {structural.astype}
_SUMS = {structural.reduce_sum, structural.reduce_mean}
_REDUCTIONS = _SUMS | {reductions.reduce_max, reductions.reduce_min, reductions.reduce_any, reductions.reduce_all}
_LINEAR_ONE_OPERAND = {
    elementwise.neg,
    structural.astype,
    elementwise.stop_gradient,
    structural.reshape,
    structural.transpose,
    structural.broadcast_to,
    indexing.getitem,
} | _SUMS
_PRODUCTS = {elementwise.multiply, contractions.matmul, contractions.einsum}
_SAME_POWER = {
    elementwise.add,
    elementwise.subtract,
    elementwise.maximum,
    elementwise.minimum,
    elementwise.where,
    indexing.concatenate,
    indexing.take,
    indexing.take_along_axis,
    indexing.put_along_axis_add,
}
_SAME_POWER |= _LINEAR_ONE_OPERAND | _AXIS_WISE
_ALONG_AXIS = {indexing.take_along_axis, indexing.put_along_axis_add, indexing.take, indexing.concatenate}
_VALUE_OPERANDS = {
    elementwise.where: (1, 2),
    indexing.take: (0,),
    indexing.take_along_axis: (0,),
    indexing.put_along_axis_add: (0, 2),
}


@dataclass(frozen=True)
class Role:
    """What a value is with respect to the examples: its kind, the examples' axis (``ROWS``) and the power ``p``
    of the row count it scales with (its sum part, for ``SUM`` and ``AFFINE``; ``None``: not a power)."""

    kind: str
    axis: int | None = None
    power: int | None = 0


class NotASumOverExamples(TransformError):
    """The program is not (provably) a sum or mean over the examples of per-example terms."""


def output_roles(programs: dict[int, Program], row_leaves: Sequence[bool]) -> list[Role]:
    """The :class:`Role` of each output of the programs (one per row count, all of one function).

    ``programs`` maps each row count to the program staged with that many rows in the inputs
    marked in ``row_leaves``; it holds at least :data:`ROW_COUNTS`. Raises
    :class:`NotASumOverExamples` naming the equation that breaks the form.
    """
    reference = programs[ROW_COUNTS[0]]
    others = {n: p for n, p in programs.items() if n != ROW_COUNTS[0]}
    for n, program in others.items():
        _check_same_structure(reference, program, n)
    roles: dict = {}
    for var, is_rows in zip(reference.invars, row_leaves):
        roles[var] = Role(ROWS, 0) if is_rows else Role(PARAMS)
    for i, var in enumerate(reference.constvars):
        roles[var] = _constant_role(var, {n: p.consts[i] for n, p in programs.items()})
    for index, eqn in enumerate(reference.equations):
        peers = {n: p.equations[index] for n, p in others.items()}
        in_roles = [
            _input_role(roles, x, [peer.inputs[j] for peer in peers.values()], peers) for j, x in enumerate(eqn.inputs)
        ]
        out_axes = [
            _examples_axis(v, [peer.outputs[k] for peer in peers.values()], peers) for k, v in enumerate(eqn.outputs)
        ]
        for var, role in zip(eqn.outputs, _equation_roles(eqn, in_roles, out_axes)):
            roles[var] = role
    return [roles[v] if not isinstance(v, Literal) else Role(PARAMS) for v in reference.outvars]


# --- comparing the programs of two row counts ---------------------------------------------------------


def _check_same_structure(reference: Program, program: Program, rows: int) -> None:
    same = len(reference.equations) == len(program.equations) and len(reference.consts) == len(program.consts)
    for a, b in zip(reference.equations, program.equations):
        if not same:
            break
        same = a.primitive is b.primitive and len(a.inputs) == len(b.inputs) and a.params.keys() == b.params.keys()
        same = same and all(_same_param(a.params[k], b.params[k], rows) for k in a.params)
    if not same:
        raise NotASumOverExamples(
            f"the function's program changes with the number of examples (staged with {ROW_COUNTS[0]} and {rows} "
            "rows, it runs different operations); a loss spread over chunks must run the same operations on "
            "every chunk. Remove branches on len(X) or X.shape[0]."
        )


def _same_param(a, b, rows: int) -> bool:
    if isinstance(a, Program):
        return str(a) == str(b)
    if isinstance(a, xp.ndarray) or isinstance(b, xp.ndarray):
        return isinstance(a, xp.ndarray) and isinstance(b, xp.ndarray) and xp.array_equal(a, b)
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(_same_param(x, y, rows) for x, y in zip(a, b))
    if type(a) is int and type(b) is int and a == ROW_COUNTS[0] and b == rows:
        return True  # a shape, with the examples' axis
    return type(a) is type(b) and a == b


def _power_of_numbers(values: dict) -> int | None:
    """``p`` if ``values[n] = c * n**p`` for every row count ``n`` staged (p in -1, 0, 1), else None."""
    base = ROW_COUNTS[0]
    if all(not xp.any(xp.asarray(v)) for v in values.values()):
        return ZERO
    for p in (0, 1, -1):
        if all(_close(v, values[base] * (n / base) ** p) for n, v in values.items()):
            return p
    return None


def _close(a, b) -> bool:
    a, b = xp.asarray(a), xp.asarray(b)
    if a.shape != b.shape:
        return False
    if a.dtype.kind not in "fc" and b.dtype.kind not in "fc":
        return bool(xp.array_equal(a, b))
    return bool(xp.allclose(a, b, rtol=1e-12, atol=0.0, equal_nan=True))


def _examples_axis(var, peer_vars: list, peers: dict) -> int | None:
    """The axis of ``var`` whose length is the row count, in every program; None if it has none."""
    axes = None
    for n, peer in zip(peers, peer_vars):
        differ = tuple(i for i, (a, b) in enumerate(zip(var.shape, peer.shape)) if a != b)
        if len(var.shape) != len(peer.shape) or len(differ) > 1:
            raise NotASumOverExamples(
                f"the value {var.name} has shape {var.shape} with {ROW_COUNTS[0]} examples but {peer.shape} with "
                f"{n}: only one axis may follow the number of examples (no pairs of examples, no flattening of "
                "rows into one axis)."
            )
        if differ and (var.shape[differ[0]], peer.shape[differ[0]]) != (ROW_COUNTS[0], n):
            raise NotASumOverExamples(
                f"the value {var.name} has an axis of length {var.shape[differ[0]]} with {ROW_COUNTS[0]} examples "
                f"but {peer.shape[differ[0]]} with {n}: an axis must hold one entry per example or not depend on "
                "the number of examples."
            )
        axes = differ if axes is None else axes
        if differ != axes:
            raise NotASumOverExamples(f"the value {var.name}'s examples' axis moves with the number of examples.")
    return axes[0] if axes else None


def _input_role(roles: dict, x, peer_inputs: list, peers: dict) -> Role:
    if not isinstance(x, Literal):
        return roles[x]
    values = {ROW_COUNTS[0]: x.value} | {n: peer.value for n, peer in zip(peers, peer_inputs)}
    return Role(PARAMS, power=_power_of_numbers(values))


def _constant_role(var, values: dict) -> Role:
    """A constant of the program: ``PARAMS``, or ``ROWS`` if it has the examples' axis and every row is the same
    (``1 / n`` filled in by a mean's derivative); a constant holding different rows is refused."""
    base = values[ROW_COUNTS[0]]
    axis = _examples_axis(
        var, [xp.asarray(v) for n, v in values.items() if n != ROW_COUNTS[0]], [n for n in values if n != ROW_COUNTS[0]]
    )
    if axis is None:
        return Role(PARAMS, power=_power_of_numbers(values))
    firsts = {}
    for n, value in values.items():
        first = xp.take(value, [0], axis=axis)
        if not _close(value, xp.broadcast_to(first, value.shape)):
            raise NotASumOverExamples(
                f"the program holds a constant {var.name} of shape {base.shape} with one entry per example (made "
                "from the number of rows, such as wnp.arange(len(X))), and its rows differ: each chunk would make "
                "its own. Pass per-example values as Dask arrays chunked like the data."
            )
        firsts[n] = first
    return Role(ROWS, axis, _power_of_numbers(firsts))


# --- the role of one equation's results ------------------------------------------------------------------


def _refuse(eqn, why: str):
    raise NotASumOverExamples(
        f"`{eqn.definition()}` {why}. wengert spreads a function over row chunks only when it is a sum or mean "
        "over the examples of terms that each see one example (plus terms of the parameters alone): compute this "
        "part on the gathered data (.compute()), or write the loss as such a sum."
    )


def _equation_roles(eqn, in_roles: list[Role], out_axes: list) -> list[Role]:
    prim = eqn.primitive
    kinds = {r.kind for r in in_roles}
    power = _power(prim, eqn, in_roles)
    if kinds <= {PARAMS}:
        if all(a is None for a in out_axes):
            return [Role(PARAMS, power=power) for _ in out_axes]
        if prim is structural.broadcast_to:
            return [Role(ROWS, out_axes[0], power)]
        _refuse(eqn, "makes an array with one entry per example from the parameters alone")
    if len(out_axes) != 1:
        _refuse(eqn, "has several results; it is not known to keep examples apart")
    if kinds & {SUM, AFFINE}:
        return [_linear_in_sums(eqn, in_roles, out_axes[0], power)]
    if out_axes[0] is None:
        return [_summed_over_rows(eqn, in_roles, power)]
    if not _keeps_rows_apart(eqn, in_roles, out_axes[0]):
        _refuse(eqn, "mixes different examples (it acts along the examples' axis)")
    return [Role(ROWS, out_axes[0], power)]


def _power(prim, eqn, in_roles: list[Role]) -> int | None:
    """The power of the row count the result scales with, from its operands' (None: not a power of it; ZERO:
    zero whatever the row count)."""
    positions = _VALUE_OPERANDS.get(prim, range(len(in_roles)))
    powers = [in_roles[i].power for i in positions]
    if any(p is None for p in powers):
        return None
    if ZERO in powers and (prim in _PRODUCTS or (prim is elementwise.divide and powers[0] == ZERO)):
        return ZERO
    if prim in _SAME_POWER:
        powers = [p for p in powers if p != ZERO] or [ZERO]
        return powers[0] if len(set(powers)) == 1 else None
    powers = [0 if p == ZERO else p for p in powers]
    if prim in _PRODUCTS:
        return sum(powers)
    if prim is elementwise.divide:
        return powers[0] - powers[1]
    if prim is elementwise.square:
        return 2 * powers[0]
    return 0 if not any(powers) else None


def _linear_in_sums(eqn, in_roles: list[Role], out_axis, power) -> Role:
    """A result computed from a sum over the examples: allowed only where linear in it, with parameters."""
    prim = eqn.primitive
    summed = [i for i, r in enumerate(in_roles) if r.kind in (SUM, AFFINE)]
    if any(r.kind == ROWS for r in in_roles) or out_axis is not None:
        _refuse(eqn, "combines a sum over the examples with single examples")
    params = [r for r in in_roles if r.kind == PARAMS]
    if prim in (elementwise.add, elementwise.subtract):
        powers = {in_roles[i].power for i in summed} - {ZERO}
        power = powers.pop() if len(powers) == 1 else None  # a sum and a mean added: no one weight serves both
        if any(r.power not in (0, ZERO) for r in params):
            power = None  # an offset that depends on the number of examples
        return Role(AFFINE if params or any(in_roles[i].kind == AFFINE for i in summed) else SUM, power=power)
    linear = (prim in _PRODUCTS and len(summed) == 1) or (prim is elementwise.divide and summed == [0])
    linear = linear or (prim in _LINEAR_ONE_OPERAND and len(in_roles) == 1)
    if not linear:
        _refuse(
            eqn,
            "is not linear in a sum over the examples (a loss must be a sum or mean of per-example "
            "terms, not a function of one)",
        )
    kind = in_roles[summed[0]].kind
    if kind == AFFINE and any(r.power not in (0, ZERO) for r in params):
        power = None
    return Role(kind, power=power)


def _summed_over_rows(eqn, in_roles: list[Role], power) -> Role:
    """A result without the examples' axis from operands with it: a sum or mean over the examples, or refused."""
    prim = eqn.primitive
    rows = [(i, r) for i, r in enumerate(in_roles) if r.kind == ROWS]
    if prim in _SUMS:
        axis = rows[0][1].axis
        if axis in _axes(eqn.params.get("axis"), eqn.inputs[0].shape):
            if prim is structural.reduce_mean and power not in (None, ZERO):
                power -= 1
            return Role(SUM, power=power)
    if prim in (contractions.matmul, contractions.einsum):
        if all(_contracted(eqn, i, r.axis) for i, r in rows):
            return Role(SUM, power=power)
    _refuse(eqn, "reduces over the examples other than by a sum or a mean")


def _axes(axis, shape: tuple) -> tuple:
    if axis is None:
        return tuple(range(len(shape)))
    return tuple(a % len(shape) for a in (axis if isinstance(axis, tuple) else (axis,)))


def _contracted(eqn, operand: int, axis: int) -> bool:
    """Whether the product ``eqn`` sums over axis ``axis`` of its operand ``operand``."""
    if eqn.primitive is contractions.einsum:
        inputs, _, output = eqn.params["spec"].partition("->")
        letters = inputs.split(",")[operand]
        return "." not in letters and letters[axis] not in output and letters.count(letters[axis]) == 1
    ndim = len(eqn.inputs[operand].shape)
    if operand == 0:
        return axis == ndim - 1
    return axis == (ndim - 2 if ndim >= 2 else 0)


def _keeps_rows_apart(eqn, in_roles: list[Role], out_axis: int) -> bool:
    """Whether each row of the result depends on the same row of the operands only."""
    prim, out_ndim = eqn.primitive, len(eqn.outputs[0].shape)
    rows = [(i, r) for i, r in enumerate(in_roles) if r.kind == ROWS]
    aligned = all(out_ndim - len(eqn.inputs[i].shape) + r.axis == out_axis for i, r in rows)
    if prim in _ELEMENTWISE or prim is structural.broadcast_to:
        return aligned
    if prim in _REDUCTIONS or prim in _AXIS_WISE or prim in (reductions.argmax, reductions.argmin):
        along = eqn.params.get("axis", eqn.params.get("axes"))
        return all(r.axis not in _axes(along, eqn.inputs[i].shape) for i, r in rows)
    if prim in _ALONG_AXIS:
        axis = eqn.params.get("axis")
        return aligned and all(r.axis != axis % len(eqn.inputs[i].shape) for i, r in rows)
    if prim is structural.transpose:
        return eqn.params["axes"][out_axis] == rows[0][1].axis
    if prim is structural.reshape:
        in_shape, axis = eqn.inputs[0].shape, rows[0][1].axis
        return math.prod(in_shape[:axis]) == math.prod(eqn.outputs[0].shape[:out_axis])
    if prim is indexing.getitem:
        return _index_keeps_rows(eqn.params["idx"], len(eqn.inputs[0].shape), rows[0][1].axis)
    if prim in (contractions.matmul, contractions.einsum):
        return not any(_contracted(eqn, i, r.axis) for i, r in rows) and _product_aligned(eqn, rows, out_axis)
    return False


def _index_keeps_rows(idx: tuple, ndim: int, axis: int) -> bool:
    """Whether ``x[idx]`` takes the examples' axis whole (``:``), as a basic index."""
    if not all(i is None or i is Ellipsis or isinstance(i, (int, slice)) for i in idx):
        return False
    consumed = sum(1 for i in idx if i is not None and i is not Ellipsis)
    expanded = []
    for item in idx:
        expanded.extend([slice(None)] * (ndim - consumed) if item is Ellipsis else [item])
    if not any(item is Ellipsis for item in idx):
        expanded.extend([slice(None)] * (ndim - consumed))
    on_axes = [item for item in expanded if item is not None]
    return on_axes[axis] == slice(None)


def _product_aligned(eqn, rows: list, out_axis: int) -> bool:
    """For a product keeping the examples' axis: every operand's examples' axis lands on the result's."""
    if eqn.primitive is contractions.einsum:
        inputs, _, output = eqn.params["spec"].partition("->")
        letters = inputs.split(",")
        return all("." not in letters[i] and output.find(letters[i][r.axis]) == out_axis for i, r in rows)
    out_ndim = len(eqn.outputs[0].shape)
    for i, r in rows:
        ndim = len(eqn.inputs[i].shape)
        if ndim == 1:
            return False  # a vector operand's only axis is contracted
        if i == 0 and r.axis == ndim - 2:
            if out_axis != out_ndim - (2 if len(eqn.inputs[1].shape) >= 2 else 1):
                return False
        elif i == 1 and r.axis == ndim - 1:
            if out_axis != out_ndim - 1:
                return False
        elif out_ndim - ndim + r.axis != out_axis:  # a batch axis
            return False
    return True
