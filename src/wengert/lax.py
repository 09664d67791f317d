"""Structured control flow that ``jit`` can stage: ``cond``, ``switch``, ``while_loop``, ``fori_loop``, ``scan``.

With JAX's names, signatures and pytree semantics. Each runs as plain
Python when the values it branches or loops on are known, so eager code
(and ``grad``, ``jvp`` of it, to any order) behaves exactly like the
``if``/``while``/``for`` it replaces. Under ``jit`` a predicate is not known
while the function is staged, and then:

* ``cond`` / ``switch`` stage both branches as sub-programs of one ``cond``
  equation that runs only the chosen one; forward and reverse mode work.
* ``while_loop`` stages its condition and body as sub-programs of one
  ``while`` equation; forward mode works, reverse mode is refused with an
  error (the number of iterations to store is unknown), as in JAX: use
  ``scan`` or ``fori_loop`` with known bounds.
* ``scan`` always knows its length (the leading axis of ``xs``), so it is
  staged unrolled: one copy of the body per step, every transform applies.
  ``fori_loop`` with known bounds is a ``scan``.

The carry of a loop must keep its structure, shapes and dtypes from one
iteration to the next (checked, eagerly too), so eager and staged runs
agree.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

from wengert._src.backend import xp
from wengert._src.core.pytree import tree_flatten, tree_unflatten
from wengert._src.core.source_info import user_frame_summary
from wengert._src.primitives.indexing import unstack
from wengert._src.transforms import control_flow as _control_flow
from wengert._src.transforms.foreign_arrays import foreign_trace_in, hand_over
from wengert.errors import TransformError

from . import numpy as wnp

__all__ = ["cond", "fori_loop", "scan", "switch", "while_loop"]


def _on_other_libraries(function: Callable) -> Callable:
    """``function``, handing a call with another library's arrays among its arguments over to that library
    (docs/array_api.md): the loop or branch runs on values of the library's level, so the ``wengert.numpy``
    functions in the user's callables compute in it, and the results are its arrays."""

    @functools.wraps(function)
    def entry(*args, **kwargs):
        foreign = foreign_trace_in(args, kwargs)
        if foreign is not None:
            return hand_over(foreign, function, *args, **kwargs)
        return function(*args, **kwargs)

    return entry


@_on_other_libraries
def cond(pred, true_fun: Callable, false_fun: Callable, *operands):
    """``true_fun(*operands)`` if ``pred`` else ``false_fun(*operands)``.

    ``pred`` is a scalar (bool or number). Under ``jit``, where ``pred`` is not
    known, both branches are staged and must return the same structure,
    shapes and dtypes; only the chosen one runs.

    >>> import wengert, wengert.numpy as wnp
    >>> f = lambda x: wengert.lax.cond(x > 0, wnp.sin, wnp.cos, x)
    >>> float(wengert.grad(f)(0.0)), float(wengert.jit(wengert.grad(f))(0.0))
    (-0.0, -0.0)
    """
    predicate = _scalar(pred, "cond", "pred")
    value = _control_flow.known_value(predicate)
    if value is not None:
        return (true_fun if bool(value) else false_fun)(*operands)
    index = predicate if predicate.dtype == xp.bool_ else predicate != 0
    return _control_flow.switch(index, (false_fun, true_fun), operands)


@_on_other_libraries
def switch(index, branches: Sequence[Callable], *operands):
    """``branches[index](*operands)``, with ``index`` clamped to the valid range (as in JAX)."""
    branches = tuple(branches)
    if not branches:
        raise TransformError("switch: give at least one branch")
    index = _scalar(index, "switch", "index")
    value = _control_flow.known_value(index)
    if value is not None:
        return branches[min(max(int(value), 0), len(branches) - 1)](*operands)
    return _control_flow.switch(wnp.minimum(wnp.maximum(index, 0), len(branches) - 1), branches, operands)


@_on_other_libraries
def while_loop(cond_fun: Callable, body_fun: Callable, init_val):
    """Repeat ``val = body_fun(val)`` while ``cond_fun(val)``; return the final ``val``.

    ``val`` is a pytree whose structure, shapes and dtypes ``body_fun`` keeps.
    Eagerly it is a Python loop, differentiable in both modes. Under ``jit``
    with a condition that depends on staged values it is one ``while``
    equation: forward-mode differentiable, not reverse-mode.
    """
    leaves, tree = tree_flatten(init_val)
    leaves = [_as_array(leaf) for leaf in leaves]

    def check(new_val):
        return _same_carry(new_val, tree, leaves, "while_loop", "body_fun")

    return _control_flow.while_loop(cond_fun, body_fun, tree_unflatten(tree, leaves), check)


@_on_other_libraries
def fori_loop(lower, upper, body_fun: Callable, init_val):
    """``val = body_fun(i, val)`` for ``i`` in ``range(lower, upper)``.

    With known bounds it is a :func:`scan` (so reverse-mode differentiable under
    ``jit`` too); with staged bounds, a :func:`while_loop`.
    """
    low, high = _control_flow.known_value(_as_array(lower)), _control_flow.known_value(_as_array(upper))
    if low is not None and high is not None:
        low, high = int(low), int(high)

        def step(val, i):
            return body_fun(i, val), None

        return scan(step, init_val, xp.arange(low, max(low, high)))[0]

    def loop_cond(state):
        return state[0] < upper

    def loop_body(state):
        i, val = state
        return i + 1, body_fun(i, val)

    return while_loop(loop_cond, loop_body, (wnp.asarray(lower), init_val))[1]


@_on_other_libraries
def scan(f: Callable, init, xs=None, length: int | None = None, reverse: bool = False, unroll: int = 1):
    """Loop ``carry, y = f(carry, x)`` over the leading axis of ``xs``; return ``(carry, ys)``.

    ``xs`` is a pytree of arrays sharing their leading length (or ``None``,
    with ``length`` given); ``ys`` stacks the ``y`` of every step along a new
    leading axis. ``reverse=True`` walks from the last slice to the first
    (``ys`` still in the order of ``xs``). The loop is always unrolled (under
    ``jit``, one staged copy of ``f`` per step), so every transform applies;
    ``unroll`` is accepted for JAX compatibility and has no effect.

    >>> import wengert, wengert.numpy as wnp, numpy as np
    >>> wengert.lax.scan(lambda c, x: (c + x, c * x), 0.0, np.arange(1.0, 4.0))
    (np.float64(6.0), array([0., 2., 9.]))
    """
    del unroll
    x_leaves, x_tree = tree_flatten(xs)
    x_leaves = [_as_array(leaf) for leaf in x_leaves]
    n = _scan_length(x_leaves, length)
    carry_leaves, carry_tree = tree_flatten(init)
    carry_leaves = [_as_array(leaf) for leaf in carry_leaves]
    carry = tree_unflatten(carry_tree, carry_leaves)
    if n == 0:
        return _empty_scan(f, carry, carry_tree, carry_leaves, x_leaves, x_tree)
    slices = [_unstacked(leaf) for leaf in x_leaves]
    steps = range(n - 1, -1, -1) if reverse else range(n)
    ys = [None] * n
    for i in steps:
        carry, ys[i] = _checked_step(f, carry, x_tree.unflatten([s[i] for s in slices]), carry_tree, carry_leaves)
    y_leaves, y_tree = tree_flatten(ys[0])
    per_step = [tree_flatten(y)[0] for y in ys]
    stacked = [wnp.stack([step[k] for step in per_step]) for k in range(len(y_leaves))]
    return carry, tree_unflatten(y_tree, stacked)


def _checked_step(f, carry, x, carry_tree, carry_leaves):
    result = f(carry, x)
    if not (isinstance(result, (tuple, list)) and len(result) == 2):
        raise TransformError(
            f"scan: the function must return a pair (carry, y), got {type(result).__name__}, at {user_frame_summary()}"
        )
    return _same_carry(result[0], carry_tree, carry_leaves, "scan", "the function's carry"), result[1]


def _empty_scan(f, carry, carry_tree, carry_leaves, x_leaves, x_tree):
    """A scan of length 0: the carry unchanged, and empty ``ys`` shaped by one trial step."""
    x = x_tree.unflatten([xp.zeros(leaf.shape[1:], leaf.dtype) for leaf in x_leaves])
    _, y = _checked_step(f, carry, x, carry_tree, carry_leaves)
    y_leaves, y_tree = tree_flatten(y)
    empty = [xp.zeros((0,) + tuple(leaf.shape), leaf.dtype) for leaf in map(_as_array, y_leaves)]
    return carry, tree_unflatten(y_tree, empty)


def _unstacked(leaf):
    return unstack(leaf, axis=0)


def _scan_length(x_leaves, length):
    lengths = set()
    for leaf in x_leaves:
        if not leaf.shape:
            raise TransformError(
                f"scan: every leaf of xs needs a leading axis to scan over, got a scalar, at {user_frame_summary()}"
            )
        lengths.add(leaf.shape[0])
    if length is not None:
        lengths.add(int(length))
    if len(lengths) > 1:
        raise TransformError(f"scan: the leaves of xs (and length=) disagree on the length: {sorted(lengths)}")
    if not lengths:
        raise TransformError("scan: with xs=None, give length= (the number of steps)")
    return lengths.pop()


def _same_carry(new, tree, leaves, transform: str, what: str):
    """``new``, checked to have the structure, shapes and dtypes of the carry ``leaves``."""
    new_leaves, new_tree = tree_flatten(new)
    if new_tree != tree:
        raise TransformError(
            f"{transform}: {what} returned the structure {new_tree}, but the carry has {tree}, at "
            f"{user_frame_summary()}. Return the carry with the same structure every iteration."
        )
    new_leaves = [_as_array(leaf) for leaf in new_leaves]
    for i, (a, b) in enumerate(zip(new_leaves, leaves)):
        if tuple(a.shape) != tuple(b.shape) or a.dtype != b.dtype:
            raise TransformError(
                f"{transform}: {what} changed carry leaf {i} from {b.dtype}{list(b.shape)} to "
                f"{a.dtype}{list(a.shape)}, at {user_frame_summary()}. Keep each carry leaf's shape and dtype "
                "(cast with .astype, broadcast with wnp.broadcast_to)."
            )
    return tree_unflatten(tree, new_leaves)


def _as_array(value):
    return value if hasattr(value, "shape") and hasattr(value, "dtype") else xp.asarray(value)


def _scalar(value, transform: str, what: str):
    return _control_flow.check_scalar(_as_array(value), transform, what)
