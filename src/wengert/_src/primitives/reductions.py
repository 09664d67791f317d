"""Reductions beyond sum: max/min (ties split evenly), arg-reductions, cumsum.

``prod``, ``cumprod``, ``mean``, ``var``, ``logsumexp`` and friends are built
from these and the elementwise primitives in ``wengert.numpy``, so their
derivatives are exact everywhere (``prod`` at zeros included) and to any order.
"""

from ..backend import xp
from ..core.primitive import Primitive
from .elementwise import equal
from .structural import flip, reduce_sum, reshape


def _keepdims_shape(shape, axis):
    if axis is None:
        return (1,) * len(shape)
    return tuple(1 if i in axis else d for i, d in enumerate(shape))


def _extremum_weights(ans, x, axis, keepdims):
    """Each element's share of the max: 1/count where it ties for the max, else 0."""
    kept = ans if keepdims else reshape(ans, shape=_keepdims_shape(x.shape, axis))
    mask = equal(x, kept)  # a constant: comparisons carry no derivative
    return xp.divide(mask, mask.sum(axis=axis, keepdims=True), dtype=x.dtype)


def _extremum_vjp(g, ans, x, axis, keepdims):
    kept = g if keepdims else reshape(g, shape=_keepdims_shape(x.shape, axis))
    return kept * _extremum_weights(ans, x, axis, keepdims)  # the weights have x's shape


def _extremum_jvp(t, ans, x, axis, keepdims):
    return reduce_sum(t * _extremum_weights(ans, x, axis, keepdims), axis=axis, keepdims=keepdims)


reduce_max = Primitive(
    "reduce_max",
    lambda x, axis, keepdims: xp.max(x, axis=axis, keepdims=keepdims),
    jvps=(_extremum_jvp,),
    vjps=(_extremum_vjp,),
    doc="Max over ``axis``; tied maxima share the gradient evenly.",
)
reduce_min = Primitive(
    "reduce_min",
    lambda x, axis, keepdims: xp.min(x, axis=axis, keepdims=keepdims),
    jvps=(_extremum_jvp,),
    vjps=(_extremum_vjp,),
    doc="Min over ``axis``; tied minima share the gradient evenly.",
)

argmax = Primitive(
    "argmax",
    lambda x, axis, keepdims: xp.argmax(x, axis=axis, keepdims=keepdims),
    doc="Index of the max (integer output, not differentiable).",
)
argmin = Primitive(
    "argmin",
    lambda x, axis, keepdims: xp.argmin(x, axis=axis, keepdims=keepdims),
    doc="Index of the min (integer output, not differentiable).",
)
argsort = Primitive(
    "argsort",
    lambda x, axis, stable: xp.argsort(x, axis=axis, stable=stable),
    doc="Sorting permutation (integer output, not differentiable).",
)


def _reverse_cumsum(g, axis):
    return flip(cumsum(flip(g, axes=(axis,)), axis=axis), axes=(axis,))


cumsum = Primitive(
    "cumsum",
    lambda x, axis: xp.cumsum(x, axis=axis),
    jvps=(lambda t, ans, x, axis: cumsum(t, axis=axis),),
    vjps=(lambda g, ans, x, axis: _reverse_cumsum(g, axis),),
    doc="Running sum along ``axis``. Its VJP is the running sum from the other end.",
)
