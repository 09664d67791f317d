"""``autograd.numpy.numpy_vjps``: the helpers user-written VJPs import from it.

autograd keeps NumPy's VJP rules in this module; wengert keeps each rule on its
primitive, so what remains here are the helpers that libraries built on
autograd (autograd-gamma, lifelines) call in their own ``defvjp`` rules:
``unbroadcast_f(target, f)`` sums a cotangent ``f(g)`` over the axes that
broadcasting added to ``target`` (and over those where ``target`` had size 1),
so the result has ``target``'s shape.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as _np

import wengert.numpy as wnp

__all__ = ["balanced_eq", "metadata", "unbroadcast", "unbroadcast_einsum", "unbroadcast_f"]


def metadata(target) -> tuple:
    """``(shape, ndim, dtype, iscomplex)`` of ``target``, as ``unbroadcast`` reads it."""
    dtype = wnp.result_type(target)
    return wnp.shape(target), wnp.ndim(target), dtype, _np.issubdtype(dtype, _np.complexfloating)


def unbroadcast(x, target_meta: tuple, broadcast_idx: int = 0):
    """``x`` summed down to the shape in ``target_meta`` (the leading, or ``broadcast_idx``, axes, then size-1 ones)."""
    target_shape, target_ndim, _, target_iscomplex = target_meta
    while wnp.ndim(x) > target_ndim:
        x = wnp.sum(x, axis=broadcast_idx)
    for axis, size in enumerate(target_shape):
        if size == 1:
            x = wnp.sum(x, axis=axis, keepdims=True)
    if _np.issubdtype(wnp.result_type(x), _np.complexfloating) and not target_iscomplex:
        x = wnp.real(x)
    return x


def unbroadcast_f(target, f: Callable) -> Callable:
    """``g -> unbroadcast(f(g))`` to ``target``'s shape: a VJP for an argument that broadcasting may have grown."""
    target_meta = metadata(target)
    return lambda g: unbroadcast(f(g), target_meta)


def unbroadcast_einsum(x, target_meta: tuple, subscript):
    """``unbroadcast`` along the axes an ellipsis in an einsum ``subscript`` (a sequence) stood for."""
    if Ellipsis not in subscript:
        return x
    if subscript[0] == Ellipsis:
        return unbroadcast(x, target_meta, 0)
    if subscript[-1] == Ellipsis:
        return unbroadcast(x, target_meta, -1)
    return unbroadcast(x, target_meta, subscript.index(Ellipsis))


def balanced_eq(x, z, y):
    """1 where ``x == z``, halved where ``x == y`` too: how autograd splits a tie of ``maximum``/``minimum``."""
    return (x == z) / (1.0 + (x == y))
