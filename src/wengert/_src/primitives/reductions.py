"""Reductions beyond sum: max/min (ties split evenly), arg-reductions, cumsum.

``prod``, ``cumprod``, ``mean``, ``var``, ``logsumexp`` and friends are built
from these and the elementwise primitives in ``wengert.numpy``, so their
derivatives are exact everywhere (``prod`` at zeros included) and to any order.
"""

from ..backend import xp
from ..core.primitive import READS_NOTHING, Primitive
from .elementwise import equal
from .rules import BY_VJP, input_flops
from .structural import astype, batch_first, batched_axis, flip, keepdims_shape, reduce_sum, reduction_batch, reshape


def _flattened_batch(x, dim):
    """``x`` as ``(batch, per-example size)``: the batch of flattened examples."""
    x = batch_first(x, dim)
    size = 1
    for n in x.shape[1:]:
        size *= n
    return reshape(x, shape=(x.shape[0], size))


def _arg_reduction_batch(prim, args, dims, axis, keepdims):
    """argmax/argmin: over the flattened example when ``axis`` is None, else a shifted axis."""
    (x,), (dim,) = args, dims
    ndim = x.ndim - 1
    if axis is None:
        out = prim(_flattened_batch(x, dim), axis=1, keepdims=False)
        return (reshape(out, shape=(out.shape[0],) + (1,) * ndim) if keepdims else out), 0
    axis = int(axis) % max(ndim, 1)
    out_dim = dim if keepdims or axis >= dim else dim - 1
    return prim(x, axis=batched_axis(axis, dim), keepdims=keepdims), out_dim


def _along_axis_batch(prim, args, dims, axis, **params):
    """argsort/cumsum along one per-example axis (``None``: along the flattened example)."""
    (x,), (dim,) = args, dims
    if axis is None:
        return prim(_flattened_batch(x, dim), axis=1, **params), 0
    return prim(x, axis=batched_axis(int(axis) % max(x.ndim - 1, 1), dim), **params), dim


def _ties(ans, x, axis, keepdims):
    """Where x ties for the extremum (1 or 0, in x's dtype), and how many tie in each reduced slice."""
    kept = ans if keepdims else reshape(ans, shape=keepdims_shape(x.shape, axis))
    mask = astype(equal(x, kept), dtype=x.dtype)  # carries no derivative, but may be batched (vmap)
    return mask, reduce_sum(mask, axis=axis, keepdims=True)


def _extremum_vjp(g, ans, x, axis, keepdims):
    """``g / count`` where x ties for the extremum, else 0 (the cotangent divided before it is
    spread: one division per slice, not per element)."""
    kept = g if keepdims else reshape(g, shape=keepdims_shape(x.shape, axis))
    mask, count = _ties(ans, x, axis, keepdims)
    return mask * (kept / count)


def _extremum_fast_vjp(g, ans, x, axis, keepdims):
    """``_extremum_vjp`` on plain arrays: the same weights in fewer passes (the boolean mask counted
    in x's dtype, whole numbers either way)."""
    if not keepdims:
        shape = keepdims_shape(x.shape, axis)
        g, ans = xp.reshape(g, shape), xp.reshape(ans, shape)
    mask = x == ans
    return mask * (g / xp.add.reduce(mask, axis=axis, keepdims=True, dtype=x.dtype))


def _extremum_jvp(t, ans, x, axis, keepdims):
    mask, count = _ties(ans, x, axis, keepdims)
    return reduce_sum(t * (mask / count), axis=axis, keepdims=keepdims)


reduce_max = Primitive(
    "reduce_max",
    lambda x, axis, keepdims: xp.maximum.reduce(x, axis=axis, keepdims=keepdims),  # np.max minus its Python dispatch
    jvps=(_extremum_jvp,),
    vjps=(_extremum_vjp,),
    fast_vjps=(_extremum_fast_vjp,),
    batch=lambda args, dims, **params: reduction_batch(reduce_max, args, dims, **params),
    flops=input_flops,
    source=lambda gen, eqn, args: f"{gen.array(eqn, args)}.max({gen.keywords(eqn.params, 'axis', 'keepdims')})",
    result_memory="new",
    doc="Max over ``axis``; tied maxima share the gradient evenly.",
)
reduce_min = Primitive(
    "reduce_min",
    lambda x, axis, keepdims: xp.minimum.reduce(x, axis=axis, keepdims=keepdims),
    jvps=(_extremum_jvp,),
    vjps=(_extremum_vjp,),
    fast_vjps=(_extremum_fast_vjp,),
    batch=lambda args, dims, **params: reduction_batch(reduce_min, args, dims, **params),
    flops=input_flops,
    source=lambda gen, eqn, args: f"{gen.array(eqn, args)}.min({gen.keywords(eqn.params, 'axis', 'keepdims')})",
    result_memory="new",
    doc="Min over ``axis``; tied minima share the gradient evenly.",
)

argmax = Primitive(
    "argmax",
    lambda x, axis, keepdims: xp.argmax(x, axis=axis, keepdims=keepdims),
    batch=lambda args, dims, **params: _arg_reduction_batch(argmax, args, dims, **params),
    flops=input_flops,
    source=lambda gen, eqn, args: f"np.argmax({args[0]}, {gen.keywords(eqn.params, 'axis', 'keepdims')})",
    doc="Index of the max (integer output, not differentiable).",
)
argmin = Primitive(
    "argmin",
    lambda x, axis, keepdims: xp.argmin(x, axis=axis, keepdims=keepdims),
    batch=lambda args, dims, **params: _arg_reduction_batch(argmin, args, dims, **params),
    flops=input_flops,
    source=lambda gen, eqn, args: f"np.argmin({args[0]}, {gen.keywords(eqn.params, 'axis', 'keepdims')})",
    doc="Index of the min (integer output, not differentiable).",
)
reduce_all = Primitive(
    "reduce_all",
    lambda x, axis, keepdims: xp.all(x, axis=axis, keepdims=keepdims),
    batch=lambda args, dims, **params: reduction_batch(reduce_all, args, dims, **params),
    flops=input_flops,
    doc="Whether every element over ``axis`` is nonzero (boolean output, not differentiable).",
)
reduce_any = Primitive(
    "reduce_any",
    lambda x, axis, keepdims: xp.any(x, axis=axis, keepdims=keepdims),
    batch=lambda args, dims, **params: reduction_batch(reduce_any, args, dims, **params),
    flops=input_flops,
    doc="Whether some element over ``axis`` is nonzero (boolean output, not differentiable).",
)
argsort = Primitive(
    "argsort",
    lambda x, axis, stable: xp.argsort(x, axis=axis, stable=stable),
    batch=lambda args, dims, **params: _along_axis_batch(argsort, args, dims, **params),
    doc="Sorting permutation (integer output, not differentiable).",
)


def _reverse_cumsum(g, axis):
    return flip(cumsum(flip(g, axes=(axis,)), axis=axis), axes=(axis,))


cumsum = Primitive(
    "cumsum",
    lambda x, axis: xp.cumsum(x, axis=axis),
    jvps=(lambda t, ans, x, axis: cumsum(t, axis=axis),),
    vjps=(lambda g, ans, x, axis: _reverse_cumsum(g, axis),),
    transposes=(BY_VJP,),
    batch=lambda args, dims, **params: _along_axis_batch(cumsum, args, dims, **params),
    flops=input_flops,
    linear_in=(0,),
    source=lambda gen, eqn, args: f"np.cumsum({args[0]}, axis={gen.param(eqn.params['axis'])})",
    vjp_reads=READS_NOTHING,
    doc="Running sum along ``axis``. Its VJP is the running sum from the other end.",
)
