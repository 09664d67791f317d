"""Structural primitives: reshape, transpose, broadcast, flip, sum, dtype conversion.

These are linear, and the rules of every other family lean on them (a
broadcast in the forward pass is a sum in the backward pass).
"""

import functools

from ..backend import reduced_count, xp
from ..core.primitive import READS_NOTHING, Primitive
from .rules import BY_VJP, input_flops, no_flops

# --- batching helpers (vmap), shared by every family's ``batch`` rule ---------------------------------
# A batching rule gets the arguments with their batch axes (``dims[i]``; ``None``: unbatched) and
# returns the result with its batch axis. The per-example view of an argument is the argument
# without its batch axis; the helpers below translate per-example axes into axes of the batched array.


def rank_of(x) -> int:
    """``x.ndim``, also for Python scalars."""
    return x.ndim if hasattr(x, "ndim") else xp.ndim(x)


def moveaxis(x, source: int, destination: int):
    """``x`` with axis ``source`` moved to ``destination`` (non-negative axes), by one transpose."""
    if source == destination:
        return x
    order = [a for a in range(x.ndim) if a != source]
    order.insert(destination, source)
    return transpose(x, axes=tuple(order))


def batch_size(args, dims) -> int:
    """The size of the batch axis, read from the first batched argument."""
    return next(x.shape[d] for x, d in zip(args, dims) if d is not None)


def batched_axis(axis: int, dim: int) -> int:
    """Where per-example axis ``axis`` (non-negative) lies in the array batched at ``dim``."""
    return axis if axis < dim else axis + 1


def batch_first(x, dim, rank: int | None = None, size: int | None = None):
    """``x`` with its batch axis first, then padded with unit axes to ``rank`` per-example axes.

    An unbatched ``x`` (``dim is None``) is broadcast along a new first axis of ``size``
    when ``size`` is given, and returned unchanged otherwise.
    """
    if dim is None:
        if size is None:
            return x
        x = x if hasattr(x, "ndim") else xp.asarray(x)
        return broadcast_to(reshape(x, shape=(1,) + tuple(x.shape)), shape=(size,) + tuple(x.shape))
    x = moveaxis(x, dim, 0)
    missing = 0 if rank is None else rank - (x.ndim - 1)
    if missing > 0:
        x = reshape(x, shape=(x.shape[0],) + (1,) * missing + tuple(x.shape[1:]))
    return x


def broadcasting_batch(prim, args, dims, **params):
    """Batch an elementwise primitive that broadcasts like NumPy: batch axes first, ranks aligned.

    Unbatched arguments keep their shape: NumPy aligns them from the right, against the
    per-example axes, once every batched argument has its batch axis first and as many
    per-example axes as the result.
    """
    if len(args) == 1:
        return prim(args[0], **params), dims[0]
    rank = max(rank_of(x) - (d is not None) for x, d in zip(args, dims))
    aligned = [batch_first(x, d, rank) for x, d in zip(args, dims)]
    return prim(*aligned, **params), 0


def reduction_batch(prim, args, dims, axis, **params):
    """Batch a primitive over per-example ``axis`` (``None``: all; else a sorted tuple), with or
    without ``keepdims``: shift the axes past the batch axis, which stays where it is
    (less the reduced axes before it)."""
    (x,), (dim,) = args, dims
    axis = tuple(range(x.ndim - 1)) if axis is None else axis
    out_dim = dim if params.get("keepdims", True) else dim - sum(1 for a in axis if a < dim)
    return prim(x, axis=tuple(batched_axis(a, dim) for a in axis), **params), out_dim


def _reshape_batch(args, dims, shape):
    x = batch_first(args[0], dims[0])
    return reshape(x, shape=(x.shape[0],) + tuple(shape)), 0


def _transpose_batch(args, dims, axes):
    (x,), (dim,) = args, dims
    return transpose(x, axes=(dim,) + tuple(batched_axis(a, dim) for a in axes)), 0


def _broadcast_to_batch(args, dims, shape):
    x = batch_first(args[0], dims[0], rank=len(shape))
    return broadcast_to(x, shape=(x.shape[0],) + tuple(shape)), 0


def _flip_batch(args, dims, axes):
    (x,), (dim,) = args, dims
    return flip(x, axes=tuple(batched_axis(a, dim) for a in axes)), dim


def _reshape_impl(x, shape):
    return x.reshape(shape) if type(x) is xp.ndarray else xp.reshape(x, shape)  # the method skips a wrapper


def _transpose_impl(x, axes):
    return x.transpose(axes) if type(x) is xp.ndarray else xp.transpose(x, axes)


reshape = Primitive(
    "reshape",
    _reshape_impl,
    jvps=(lambda t, ans, x, shape: reshape(t, shape=shape),),
    vjps=(lambda g, ans, x, shape: reshape(g, shape=x.shape),),
    fast_vjps=(lambda g, ans, x, shape: g.reshape(x.shape) if type(g) is xp.ndarray else reshape(g, shape=x.shape),),
    transposes=(BY_VJP,),
    batch=_reshape_batch,
    flops=no_flops,
    jacobian_structure=("identity",),
    linear_in=(0,),
    source=lambda gen, eqn, args: f"{gen.array(eqn, args)}.reshape({gen.param(eqn.params['shape'])})",
    result_memory="view",
    vjp_reads=READS_NOTHING,
    doc="Reshape to ``shape`` (fully specified). Linear: its VJP reshapes back.",
)


def _inverse_permutation(axes):
    inverse = [0] * len(axes)
    for i, a in enumerate(axes):
        inverse[a] = i
    return tuple(inverse)


transpose = Primitive(
    "transpose",
    _transpose_impl,
    jvps=(lambda t, ans, x, axes: transpose(t, axes=axes),),
    vjps=(lambda g, ans, x, axes: transpose(g, axes=_inverse_permutation(axes)),),
    transposes=(BY_VJP,),
    batch=_transpose_batch,
    flops=no_flops,
    jacobian_structure=("selection",),
    linear_in=(0,),
    source=lambda gen, eqn, args: f"{gen.array(eqn, args)}.transpose({gen.param(eqn.params['axes'])})",
    result_memory="view",
    vjp_reads=READS_NOTHING,
    doc="Permute axes. Its VJP applies the inverse permutation.",
)

broadcast_to = Primitive(
    "broadcast_to",
    lambda x, shape: xp.broadcast_to(x, shape),
    jvps=(lambda t, ans, x, shape: broadcast_to(t, shape=shape),),
    vjps=(lambda g, ans, x, shape: unbroadcast(g, x),),
    transposes=(BY_VJP,),
    batch=_broadcast_to_batch,
    flops=no_flops,
    jacobian_structure=("selection",),
    linear_in=(0,),
    source=lambda gen, eqn, args: f"np.broadcast_to({args[0]}, {gen.param(eqn.params['shape'])})",
    vjp_reads=READS_NOTHING,
    doc="Broadcast to ``shape``. Its VJP sums over the broadcast axes.",
)

flip = Primitive(
    "flip",
    lambda x, axes: xp.flip(x, axes),
    jvps=(lambda t, ans, x, axes: flip(t, axes=axes),),
    vjps=(lambda g, ans, x, axes: flip(g, axes=axes),),
    transposes=(BY_VJP,),
    batch=_flip_batch,
    jacobian_structure=("selection",),
    flops=no_flops,
    doc="Reverse the order along ``axes`` (a tuple). Its own transpose.",
    linear_in=(0,),
    source=lambda gen, eqn, args: f"np.flip({args[0]}, {gen.param(eqn.params['axes'])})",
    result_memory="view",
    vjp_reads=READS_NOTHING,
)


def _sum_impl(x, axis, keepdims):
    if x.dtype == xp.bool_:
        return xp.sum(x, axis=axis, keepdims=keepdims)
    return xp.add.reduce(x, axis=axis, keepdims=keepdims)  # np.sum minus its Python dispatch


def keepdims_shape(shape: tuple, axis) -> tuple:
    """``shape`` with a 1 on each axis of ``axis`` (a tuple; ``None``: every axis): what a reduction
    over ``axis`` with ``keepdims`` leaves."""
    if axis is None:
        return (1,) * len(shape)
    return tuple(1 if i in axis else d for i, d in enumerate(shape))


def _sum_vjp(g, ans, x, axis, keepdims):
    if not keepdims and axis is not None:
        g = reshape(g, shape=keepdims_shape(x.shape, axis))
    return broadcast_to(g, shape=x.shape)


def _sum_fast_vjp(g, ans, x, axis, keepdims):
    """``_sum_vjp`` on a plain ``g``: the same read-only view, built by NumPy directly."""
    g = xp.asarray(g)  # a NumPy scalar (the sum of every element) as a 0-d array
    if not keepdims and axis is not None:
        g = g.reshape(keepdims_shape(x.shape, axis))
    return _broadcast_view(g, x.shape)


def _broadcast_view(g, shape: tuple):
    """``np.broadcast_to(g, shape)`` for an array ``g`` of ``shape`` with ones where it is broadcast
    (or 0-d): the same read-only view with zero strides, built directly (``broadcast_to`` is a
    Python function that costs more than the sum it undoes)."""
    if g.ndim != len(shape):
        g = g.reshape((1,) * len(shape))
    if not g.flags.c_contiguous:
        g = xp.ascontiguousarray(g)
    view = xp.ndarray(shape, g.dtype, g, 0, [0 if n == 1 else step for n, step in zip(g.shape, g.strides)])
    view.setflags(write=False)
    return view


def _linear_reduction(
    name: str, impl, vjp, fast_vjp, doc: str, source, jacobian_structure=None, vjp_reads=None
) -> Primitive:
    """A reduction over ``axis`` (``None`` or a sorted tuple) that is linear: its JVP is itself."""
    prim = Primitive(
        name,
        impl,
        jvps=(lambda t, ans, x, axis, keepdims: prim(t, axis=axis, keepdims=keepdims),),
        vjps=(vjp,),
        fast_vjps=(fast_vjp,),
        transposes=(BY_VJP,),
        batch=lambda args, dims, **params: reduction_batch(prim, args, dims, **params),
        flops=input_flops,
        jacobian_structure=jacobian_structure,
        linear_in=(0,),
        source=source,
        result_memory="new",
        vjp_reads=vjp_reads,
        doc=doc,
    )
    return prim


def _sum_source(gen, eqn, args) -> str:
    reducer = "np.sum" if eqn.inputs[0].dtype == xp.bool_ else "np.add.reduce"
    return f"{reducer}({args[0]}, {gen.keywords(eqn.params, 'axis', 'keepdims')})"


def _mean_source(gen, eqn, args) -> str:
    count = reduced_count(eqn.inputs[0].shape, eqn.params["axis"])
    return f"np.add.reduce({args[0]}, {gen.keywords(eqn.params, 'axis', 'keepdims')}) / {count}"


reduce_sum = _linear_reduction(
    "reduce_sum",
    _sum_impl,
    _sum_vjp,
    _sum_fast_vjp,
    "Sum over ``axis``. Its VJP broadcasts back.",
    _sum_source,
    jacobian_structure=("sum",),
    vjp_reads=READS_NOTHING,
)


def _mean_impl(x, axis, keepdims):
    total = xp.add.reduce(x, axis=axis, keepdims=keepdims)
    count = reduced_count(x.shape, axis)
    if type(total) is xp.ndarray:  # a fresh array: divided in place, as np.mean does
        total /= count
        return total
    return total / count


def _mean_vjp(g, ans, x, axis, keepdims):
    return _sum_vjp(g / reduced_count(x.shape, axis), ans, x, axis, keepdims)


def _mean_fast_vjp(g, ans, x, axis, keepdims):
    return _sum_fast_vjp(g / reduced_count(x.shape, axis), ans, x, axis, keepdims)


reduce_mean = _linear_reduction(
    "reduce_mean",
    _mean_impl,
    _mean_vjp,
    _mean_fast_vjp,
    "Mean over ``axis``: the sum over the count. Its VJP spreads the cotangent evenly, ``g / count`` broadcast back.",
    _mean_source,
)


def _astype_impl(x, dtype):
    x = xp.asarray(x)
    if x.dtype.kind == "c" and xp.dtype(dtype).kind != "c":
        x = x.real  # NumPy's value without its ComplexWarning: a complex -> real cast keeps the real part
    return x.astype(dtype)


def _astype_source(gen, eqn, args) -> str:
    x = gen.array(eqn, args)
    if xp.dtype(eqn.inputs[0].dtype).kind == "c" and xp.dtype(eqn.params["dtype"]).kind != "c":
        x = f"{x}.real"
    return f"{x}.astype({gen.param(eqn.params['dtype'])})"


astype = Primitive(
    "astype",
    _astype_impl,
    jvps=(lambda t, ans, x, dtype: astype(t, dtype=dtype),),
    vjps=(lambda g, ans, x, dtype: astype(g, dtype=x.dtype),),
    transposes=(BY_VJP,),
    batch=lambda args, dims, dtype: (astype(args[0], dtype=dtype), dims[0]),
    flops=no_flops,
    jacobian_structure=("identity",),
    linear_in=(0,),
    source=_astype_source,
    result_memory="new",
    vjp_reads=READS_NOTHING,
    doc=(
        "Convert between floating and complex dtypes (conversions to ints go through stop_gradient). Complex to "
        "real keeps the real part, so the JVP of that cast is Re(dz) and the VJP of real -> complex is Re(ct), "
        "as JAX's convert_element_type."
    ),
)


@functools.lru_cache(maxsize=1024)
def _broadcast_axes(g_shape: tuple, shape: tuple) -> tuple:
    """How to sum ``g_shape`` down to ``shape`` in one reduction: ``(axes, keepdims, reshape after)``."""
    lead = len(g_shape) - len(shape)
    stretched = tuple(lead + i for i, d in enumerate(shape) if d == 1 and g_shape[lead + i] != 1)
    if not lead:
        return stretched, True, False
    return tuple(range(lead)) + stretched, bool(stretched), bool(stretched)


def unbroadcast(g, x):
    """The cotangent ``g`` of a broadcast result, brought back to ``x``'s shape and dtype."""
    shape = x.shape
    if g.shape == shape:
        if g.dtype == x.dtype:
            return g
    else:  # one reduction over every broadcast axis
        axes, keepdims, reshaped = _broadcast_axes(g.shape, shape)
        g = reduce_sum(g, axis=axes, keepdims=keepdims)
        if reshaped:
            g = reshape(g, shape=shape)
    if g.dtype != x.dtype:
        g = astype(g, dtype=x.dtype)
    return g


def unbroadcast_array(g, x):
    """:func:`unbroadcast` of a plain ``g``, its reduction by NumPy directly: for ``fast_vjps`` only."""
    shape = x.shape
    if g.shape != shape:
        axes, keepdims, reshaped = _broadcast_axes(g.shape, shape)
        g = xp.add.reduce(g, axis=axes, keepdims=keepdims)
        if reshaped:
            g = g.reshape(shape)
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
