"""Structural primitives: reshape, transpose, broadcast, flip, sum, dtype conversion.

These are linear, and the rules of every other family lean on them (a
broadcast in the forward pass is a sum in the backward pass).
"""

from ..backend import xp
from ..core.primitive import Primitive


def _reshape_impl(x, shape):
    return xp.reshape(x, shape)


reshape = Primitive(
    "reshape",
    _reshape_impl,
    jvps=(lambda t, ans, x, shape: reshape(t, shape=shape),),
    vjps=(lambda g, ans, x, shape: reshape(g, shape=x.shape),),
    doc="Reshape to ``shape`` (fully specified). Linear: its VJP reshapes back.",
)


def _inverse_permutation(axes):
    inverse = [0] * len(axes)
    for i, a in enumerate(axes):
        inverse[a] = i
    return tuple(inverse)


transpose = Primitive(
    "transpose",
    lambda x, axes: xp.transpose(x, axes),
    jvps=(lambda t, ans, x, axes: transpose(t, axes=axes),),
    vjps=(lambda g, ans, x, axes: transpose(g, axes=_inverse_permutation(axes)),),
    doc="Permute axes. Its VJP applies the inverse permutation.",
)

broadcast_to = Primitive(
    "broadcast_to",
    lambda x, shape: xp.broadcast_to(x, shape),
    jvps=(lambda t, ans, x, shape: broadcast_to(t, shape=shape),),
    vjps=(lambda g, ans, x, shape: sum_to_shape(g, x.shape),),
    doc="Broadcast to ``shape``. Its VJP sums over the broadcast axes.",
)

flip = Primitive(
    "flip",
    lambda x, axes: xp.flip(x, axes),
    jvps=(lambda t, ans, x, axes: flip(t, axes=axes),),
    vjps=(lambda g, ans, x, axes: flip(g, axes=axes),),
    doc="Reverse the order along ``axes`` (a tuple). Its own transpose.",
)


def _sum_impl(x, axis, keepdims):
    if x.dtype == xp.bool_:
        return xp.sum(x, axis=axis, keepdims=keepdims)
    return xp.add.reduce(x, axis=axis, keepdims=keepdims)  # np.sum minus its Python dispatch


def _sum_vjp(g, ans, x, axis, keepdims):
    shape = x.shape
    if not keepdims and axis is not None:
        kept = list(shape)
        for a in axis:
            kept[a] = 1
        g = reshape(g, shape=tuple(kept))
    return broadcast_to(g, shape=shape)


reduce_sum = Primitive(
    "sum",
    _sum_impl,
    jvps=(lambda t, ans, x, axis, keepdims: reduce_sum(t, axis=axis, keepdims=keepdims),),
    vjps=(_sum_vjp,),
    doc="Sum over ``axis`` (``None`` or a sorted tuple). Its VJP broadcasts back.",
)


def _astype_impl(x, dtype):
    return xp.asarray(x).astype(dtype)


astype = Primitive(
    "convert",
    _astype_impl,
    jvps=(lambda t, ans, x, dtype: astype(t, dtype=dtype),),
    vjps=(lambda g, ans, x, dtype: astype(g, dtype=x.dtype),),
    doc="Convert between floating dtypes (conversions to ints go through stop_gradient).",
)


def sum_to_shape(g, shape):
    """Sum ``g`` over the axes that broadcasting added to reach ``g.shape`` from ``shape``."""
    if g.shape == shape:
        return g
    lead = len(g.shape) - len(shape)
    if lead:
        g = reduce_sum(g, axis=tuple(range(lead)), keepdims=False)
    stretched = tuple(i for i, d in enumerate(shape) if d == 1 and g.shape[i] != 1)
    if stretched:
        g = reduce_sum(g, axis=stretched, keepdims=True)
    return g


def unbroadcast(g, x):
    """The cotangent ``g`` of a broadcast result, brought back to ``x``'s shape and dtype."""
    if g.shape == x.shape and g.dtype == x.dtype:
        return g
    g = sum_to_shape(g, x.shape)
    if g.dtype != x.dtype:
        g = astype(g, dtype=x.dtype)
    return g


def broadcast_like(t, ans):
    """A tangent ``t`` of an argument, broadcast to the result's shape and dtype."""
    if t.shape != ans.shape:
        t = broadcast_to(t, shape=ans.shape)
    if t.dtype != ans.dtype:
        t = astype(t, dtype=ans.dtype)
    return t
