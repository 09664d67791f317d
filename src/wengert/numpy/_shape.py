"""Shape and layout functions of the NumPy face: reshape, transpose, stack, pad, ...

Everything here is a rearrangement of elements, built on the primitives
``reshape``, ``transpose``, ``broadcast_to``, ``flip``, ``concatenate``,
``pad`` and ``getitem``, whose transposes are the derivatives.
"""

import builtins

from wengert._src.backend import xp
from wengert._src.primitives import indexing as ix
from wengert._src.primitives import reductions as red
from wengert._src.primitives import structural as st
from wengert._src.primitives.elementwise import where
from wengert._src.primitives.rules import normalize_axis
from wengert.errors import ShapeError

from ._core import asarray_or_tracer, concrete, is_traced, resolve_shape


def _ints(value) -> tuple:
    """An int or a sequence of ints (NumPy integers included) as a tuple of Python ints."""
    if type(value) is tuple:
        for v in value:
            if type(v) is not int:
                break
        else:
            return value
    return (int(value),) if xp.ndim(value) == 0 else tuple(int(v) for v in value)


def reshape(a, shape, order: str = "C"):
    """``a`` with a new shape (one dimension may be -1)."""
    if order != "C":
        raise ValueError("wengert supports only order='C' reshapes")
    a = asarray_or_tracer(a)
    shape = resolve_shape(_ints(shape), a.size, "reshape")
    if shape == a.shape:
        return a
    return st.reshape(a, shape=shape)


def ravel(a):
    """``a`` flattened to one dimension."""
    return reshape(a, (-1,))


def transpose(a, axes=None):
    """Permute the axes (reverse them when ``axes`` is None)."""
    a = asarray_or_tracer(a)
    axes = tuple(range(a.ndim))[::-1] if axes is None else tuple(int(i) % a.ndim for i in axes)
    if axes == tuple(range(a.ndim)):
        return a
    return st.transpose(a, axes=axes)


def permute_dims(a, axes=None):
    return transpose(a, axes)


def matrix_transpose(a):
    """Swap the last two axes."""
    return swapaxes(a, -1, -2)


def swapaxes(a, axis1: int, axis2: int):
    a = asarray_or_tracer(a)
    axes = list(range(a.ndim))
    axes[axis1], axes[axis2] = axes[axis2], axes[axis1]
    return transpose(a, axes)


def moveaxis(a, source, destination):
    """Move axes to new positions, the others keeping their order."""
    a = asarray_or_tracer(a)
    source = [s % a.ndim for s in _ints(source)]
    destination = [d % a.ndim for d in _ints(destination)]
    order = [i for i in range(a.ndim) if i not in source]
    for dest, src in sorted(zip(destination, source)):
        order.insert(dest, src)
    return transpose(a, order)


def rollaxis(a, axis: int, start: int = 0):
    a = asarray_or_tracer(a)
    axis %= a.ndim
    start = start % (a.ndim + 1)
    if axis < start:
        start -= 1
    return moveaxis(a, axis, start)


def broadcast_to(a, shape):
    a = asarray_or_tracer(a)
    shape = _ints(shape)
    if a.shape == shape:
        return a
    try:
        xp.broadcast_shapes(a.shape, shape)
    except ValueError as error:
        raise ShapeError(f"broadcast_to: cannot broadcast shape {a.shape} to {shape}") from error
    return st.broadcast_to(a, shape=shape)


def broadcast_arrays(*arrays):
    arrays = [asarray_or_tracer(a) for a in arrays]
    shape = xp.broadcast_shapes(*(a.shape for a in arrays))
    return [broadcast_to(a, shape) for a in arrays]


def expand_dims(a, axis):
    a = asarray_or_tracer(a)
    axes = _ints(axis)
    ndim = a.ndim + len(axes)
    axes = sorted(ax % ndim for ax in axes)
    shape = list(a.shape)
    for ax in axes:
        shape.insert(ax, 1)
    return reshape(a, shape)


def squeeze(a, axis=None):
    a = asarray_or_tracer(a)
    if axis is None:
        axes = tuple(i for i, d in enumerate(a.shape) if d == 1)
    else:
        axes = normalize_axis(axis, a.ndim)
        for ax in axes:
            if a.shape[ax] != 1:
                raise ShapeError(f"squeeze: axis {ax} of shape {a.shape} does not have size 1")
    return reshape(a, tuple(d for i, d in enumerate(a.shape) if i not in axes))


def atleast_1d(*arrays):
    out = [reshape(a, (1,)) if asarray_or_tracer(a).ndim == 0 else asarray_or_tracer(a) for a in arrays]
    return out[0] if len(out) == 1 else out


def atleast_2d(*arrays):
    out = []
    for a in arrays:
        a = asarray_or_tracer(a)
        out.append(reshape(a, (1,) * (2 - a.ndim) + a.shape) if a.ndim < 2 else a)
    return out[0] if len(out) == 1 else out


def atleast_3d(*arrays):
    out = []
    for a in arrays:
        a = asarray_or_tracer(a)
        if a.ndim == 0:
            a = reshape(a, (1, 1, 1))
        elif a.ndim == 1:
            a = reshape(a, (1, a.shape[0], 1))
        elif a.ndim == 2:
            a = reshape(a, a.shape + (1,))
        out.append(a)
    return out[0] if len(out) == 1 else out


def concatenate(arrays, axis=0):
    """Join arrays along an existing axis (``axis=None`` flattens them first)."""
    arrays = [asarray_or_tracer(a) for a in arrays]
    if axis is None:
        arrays, axis = [ravel(a) for a in arrays], 0
    ndim = arrays[0].ndim
    if ndim == 0:
        raise ShapeError("concatenate: zero-dimensional arrays cannot be concatenated")
    for a in arrays[1:]:
        if a.ndim != ndim:
            raise ShapeError(
                f"concatenate: all arrays need the same number of dimensions, "
                f"got shapes {[x.shape for x in arrays]}"
            )
    axis = normalize_axis(axis, ndim)[0]
    if len(arrays) == 1:
        return arrays[0]
    return ix.concatenate(*arrays, axis=axis)


concat = concatenate


def stack(arrays, axis: int = 0):
    """Join arrays along a new axis."""
    arrays = [asarray_or_tracer(a) for a in arrays]
    shapes = {a.shape for a in arrays}
    if len(shapes) != 1:
        raise ShapeError(f"stack: all input arrays must have the same shape, got {[a.shape for a in arrays]}")
    return concatenate([expand_dims(a, axis) for a in arrays], axis=axis)


def hstack(arrays):
    arrays = atleast_1d(*arrays) if len(arrays) > 1 else [atleast_1d(arrays[0])]
    return concatenate(arrays, axis=0 if arrays[0].ndim == 1 else 1)


def vstack(arrays):
    arrays = atleast_2d(*arrays) if len(arrays) > 1 else [atleast_2d(arrays[0])]
    return concatenate(arrays, axis=0)


row_stack = vstack


def dstack(arrays):
    arrays = atleast_3d(*arrays) if len(arrays) > 1 else [atleast_3d(arrays[0])]
    return concatenate(arrays, axis=2)


def column_stack(arrays):
    columns = []
    for a in arrays:
        a = asarray_or_tracer(a)
        columns.append(reshape(a, (a.shape[0], 1)) if a.ndim == 1 else a)
    return concatenate(columns, axis=1)


def split(a, indices_or_sections, axis: int = 0):
    """Split into equal sections, or at the given indices."""
    a = asarray_or_tracer(a)
    axis = normalize_axis(axis, a.ndim)[0]
    n = a.shape[axis]
    if xp.ndim(indices_or_sections) == 0:
        if n % indices_or_sections:
            raise ShapeError(
                f"split: an axis of length {n} does not divide into {indices_or_sections} equal "
                "sections; use array_split for unequal ones"
            )
        return array_split(a, indices_or_sections, axis)
    return _split_at(a, list(indices_or_sections), axis)


def array_split(a, indices_or_sections, axis: int = 0):
    a = asarray_or_tracer(a)
    axis = normalize_axis(axis, a.ndim)[0]
    if xp.ndim(indices_or_sections) != 0:
        return _split_at(a, list(indices_or_sections), axis)
    n, sections = a.shape[axis], int(indices_or_sections)
    size, extra = divmod(n, sections)
    bounds, start = [], 0
    for i in range(sections - 1):
        start += size + (1 if i < extra else 0)
        bounds.append(start)
    return _split_at(a, bounds, axis)


def _split_at(a, bounds, axis):
    edges = [0] + bounds + [a.shape[axis]]
    prefix = (slice(None),) * axis
    return [a[prefix + (slice(lo, builtins.max(lo, hi)),)] for lo, hi in zip(edges[:-1], edges[1:])]


def hsplit(a, sections):
    return split(a, sections, axis=1 if asarray_or_tracer(a).ndim > 1 else 0)


def vsplit(a, sections):
    return split(a, sections, axis=0)


def flip(a, axis=None):
    """Reverse the order of elements along ``axis`` (all axes when None)."""
    a = asarray_or_tracer(a)
    axes = tuple(range(a.ndim)) if axis is None else normalize_axis(axis, a.ndim)
    return st.flip(a, axes=axes)


def fliplr(a):
    return flip(a, 1)


def flipud(a):
    return flip(a, 0)


def roll(a, shift, axis=None):
    """Shift elements cyclically along ``axis`` (the flattened array when None)."""
    a = asarray_or_tracer(a)
    if axis is None:
        return reshape(roll(ravel(a), shift, 0), a.shape)
    shifts, axes = _ints(shift), _ints(axis)
    if len(shifts) == 1 and len(axes) > 1:
        shifts = shifts * len(axes)
    for s, ax in zip(shifts, axes):
        ax %= a.ndim
        a = take(a, xp.roll(xp.arange(a.shape[ax]), s), axis=ax)
    return a


def rot90(m, k: int = 1, axes=(0, 1)):
    m = asarray_or_tracer(m)
    k %= 4
    if k == 0:
        return m
    if k == 2:
        return flip(flip(m, axes[0]), axes[1])
    order = list(range(m.ndim))
    order[axes[0]], order[axes[1]] = order[axes[1]], order[axes[0]]
    return transpose(flip(m, axes[1]), order) if k == 1 else flip(transpose(m, order), axes[1])


def tile(a, reps):
    """Repeat the whole array ``reps`` times along each axis."""
    a = asarray_or_tracer(a)
    reps = _ints(reps)
    ndim = builtins.max(a.ndim, len(reps))
    reps = (1,) * (ndim - len(reps)) + reps
    a = reshape(a, (1,) * (ndim - a.ndim) + a.shape)
    for ax, r in enumerate(reps):
        if r != 1:
            a = take(a, xp.tile(xp.arange(a.shape[ax]), r), axis=ax)
    return a


def repeat(a, repeats, axis=None):
    """Repeat each element ``repeats`` times (one count, or one per element)."""
    a = asarray_or_tracer(a)
    if axis is None:
        a, axis = ravel(a), 0
    axis %= a.ndim
    return take(a, xp.repeat(xp.arange(a.shape[axis]), concrete(repeats)), axis=axis)


def pad(array, pad_width, mode: str = "constant", constant_values=0.0):
    """Pad with a constant, or by the index modes 'edge', 'reflect', 'symmetric', 'wrap'.

    ``constant_values`` may be a scalar, NumPy's per-axis pairs, or a traced
    scalar, which then gets the derivative of the border it fills.
    """
    array = asarray_or_tracer(array)
    widths = tuple(tuple(int(w) for w in pair) for pair in xp.broadcast_to(pad_width, (array.ndim, 2)))
    if mode == "constant":
        if not is_traced(constant_values) and xp.ndim(constant_values) == 0:
            return ix.pad(array, widths=widths, value=float(constant_values))
        padded = ix.pad(array, widths=widths, value=0.0)
        if is_traced(constant_values):
            border = xp.pad(xp.zeros(array.shape, array.dtype), widths, constant_values=1.0)
            return padded + border * constant_values
        fill = xp.pad(xp.zeros(array.shape, array.dtype), widths, constant_values=constant_values)
        return padded + fill
    if mode not in ("edge", "reflect", "symmetric", "wrap"):
        raise ValueError(f"pad: mode {mode!r} is not supported; use constant, edge, reflect, symmetric or wrap")
    for ax, width in enumerate(widths):
        if width != (0, 0):
            array = take(array, xp.pad(xp.arange(array.shape[ax]), width, mode=mode), axis=ax)
    return array


def take(a, indices, axis=None):
    """Elements at ``indices`` along ``axis`` (of the flattened array when None).

    Traced indices (computed from values, as ``argsort`` computes them) are an operand of the
    ``take`` primitive, so ``vmap`` and ``jit`` can run it; constant ones are a ``getitem``.
    """
    a = asarray_or_tracer(a)
    if axis is None:
        a, axis = ravel(a), 0
    axis = normalize_axis(axis, a.ndim)[0]
    if is_traced(indices):
        return ix.take(a, _integer_indices(indices, "take"), axis=axis)
    indices = xp.asarray(indices)
    return a[(slice(None),) * axis + (indices,)]


def _integer_indices(indices, op: str):
    if not xp.issubdtype(indices.dtype, xp.integer):
        raise TypeError(f"{op}: indices must be integers, got a traced {indices.dtype} array")
    return indices


def take_along_axis(arr, indices, axis):
    """Pick one element per position along ``axis``, as NumPy's take_along_axis.

    Traced indices (an ``argsort`` of traced values) go to the ``take_along_axis``
    primitive, which takes them as an operand; constant ones to ``getitem``.
    """
    arr = asarray_or_tracer(arr)
    if axis is None:
        arr, axis = ravel(arr), 0
    axis = normalize_axis(axis, arr.ndim)[0]
    if is_traced(indices):
        indices = _integer_indices(indices, "take_along_axis")
        if indices.ndim != arr.ndim:
            raise ShapeError(
                f"take_along_axis: indices of shape {indices.shape} need as many dimensions as the array, "
                f"of shape {arr.shape}"
            )
        shape = xp.broadcast_shapes(_without(arr.shape, axis), _without(indices.shape, axis))
        arr = broadcast_to(arr, shape[:axis] + (arr.shape[axis],) + shape[axis:])
        indices = broadcast_to(indices, shape[:axis] + (indices.shape[axis],) + shape[axis:])
        return ix.take_along_axis(arr, indices, axis=axis)
    indices = xp.asarray(indices)
    index = []
    for ax in range(arr.ndim):
        if ax == axis:
            index.append(indices)
        else:
            shape = [1] * arr.ndim
            shape[ax] = arr.shape[ax]
            index.append(xp.arange(arr.shape[ax]).reshape(shape))
    return arr[tuple(index)]


def _without(shape: tuple, axis: int) -> tuple:
    """``shape`` without its axis ``axis``."""
    return tuple(shape[:axis]) + tuple(shape[axis + 1 :])


def sort(a, axis=-1):
    """Sorted copy; the derivative follows each element to where it lands.

    It gathers by the permutation ``argsort`` computes, given to ``take_along_axis`` as an
    operand: under ``vmap`` and ``jit`` the permutation is itself traced.
    """
    a = asarray_or_tracer(a)
    if axis is None:
        a, axis = ravel(a), 0
    axis = normalize_axis(axis, a.ndim)[0]
    return ix.take_along_axis(a, argsort(a, axis), axis=axis)


def argsort(a, axis=-1, stable: bool = True):
    """The permutation that sorts ``a`` along ``axis`` (the flattened ``a`` when None); no derivative."""
    a = asarray_or_tracer(a)
    if axis is None:
        a, axis = ravel(a), 0
    return red.argsort(a, axis=normalize_axis(axis, a.ndim)[0], stable=bool(stable))


def diagonal(a, offset: int = 0, axis1: int = 0, axis2: int = 1):
    """The diagonal of the (axis1, axis2) planes, on the last axis of the result."""
    a = moveaxis(asarray_or_tracer(a), (axis1, axis2), (-2, -1))
    n, m = a.shape[-2], a.shape[-1]
    rows = xp.arange(builtins.max(0, -offset), builtins.min(n, m - offset))
    return a[..., rows, rows + offset]


def diag(v, k: int = 0):
    """The k-th diagonal of a matrix, or a matrix with ``v`` on its k-th diagonal."""
    v = asarray_or_tracer(v)
    if v.ndim == 2:
        return diagonal(v, k)
    if v.ndim != 1:
        raise ShapeError(f"diag: expected a 1-D or 2-D array, got shape {v.shape}")
    n = v.shape[0] + builtins.abs(k)
    rows = xp.arange(v.shape[0]) + builtins.max(0, -k)
    return ix.index_set(xp.zeros((n, n), v.dtype), v, idx=(rows, rows + k))


def diagflat(v, k: int = 0):
    return diag(ravel(v), k)


def tril(m, k: int = 0):
    m = asarray_or_tracer(m)
    mask = xp.tri(*m.shape[-2:], k=k, dtype=bool)
    return _keep_where(mask, m)


def triu(m, k: int = 0):
    m = asarray_or_tracer(m)
    mask = ~xp.tri(*m.shape[-2:], k=k - 1, dtype=bool)
    return _keep_where(mask, m)


def _keep_where(mask, m):
    """``m`` where ``mask`` holds, zero elsewhere."""
    return where(mask, m, xp.zeros((), m.dtype))


def diff(a, n: int = 1, axis: int = -1):
    """n-th discrete difference along ``axis``."""
    a = asarray_or_tracer(a)
    axis %= a.ndim
    for _ in range(n):
        before = (slice(None),) * axis
        a = a[before + (slice(1, None),)] - a[before + (slice(None, -1),)]
    return a


def append(arr, values, axis=None):
    """``arr`` with ``values`` joined at its end (both flattened when ``axis`` is None)."""
    if axis is None:
        return concatenate([ravel(arr), ravel(values)], axis=0)
    return concatenate([arr, values], axis=axis)


def delete(arr, obj, axis=None):
    """``arr`` without the entries ``obj`` (an int, a slice or indices) along ``axis``."""
    arr = asarray_or_tracer(arr)
    if axis is None:
        arr, axis = ravel(arr), 0
    axis = normalize_axis(axis, arr.ndim)[0]
    kept = xp.delete(xp.arange(arr.shape[axis]), obj if isinstance(obj, slice) else concrete(obj))
    return take(arr, kept, axis=axis)


def compress(condition, a, axis=None):
    """The slices of ``a`` along ``axis`` (of the flattened ``a`` when None) where ``condition`` holds."""
    a = asarray_or_tracer(a)
    if axis is None:
        a, axis = ravel(a), 0
    return take(a, xp.nonzero(xp.asarray(concrete(condition)))[0], axis=axis)


def extract(condition, arr):
    """The elements of ``arr`` where ``condition`` holds, both flattened."""
    return take(arr, xp.flatnonzero(concrete(condition)))


def select(condlist, choicelist, default=0):
    """Elementwise, the choice of the first condition that holds; ``default`` where none does."""
    out = default
    for condition, choice in reversed(list(zip(condlist, choicelist))):
        out = where(asarray_or_tracer(condition), choice, out)
    return out


def dsplit(a, indices_or_sections):
    return split(a, indices_or_sections, axis=2)


def unstack(x, axis: int = 0):
    """The slices of ``x`` along ``axis``, as a tuple: the inverse of ``stack``."""
    x = asarray_or_tracer(x)
    axis = normalize_axis(axis, x.ndim)[0]
    return tuple(x[(slice(None),) * axis + (i,)] for i in range(x.shape[axis]))


def ediff1d(ary, to_end=None, to_begin=None):
    """Differences of consecutive elements of the flattened array, with optional values around."""
    flat = ravel(ary)
    pieces = [flat[1:] - flat[:-1]]
    if to_begin is not None:
        pieces.insert(0, ravel(to_begin))
    if to_end is not None:
        pieces.append(ravel(to_end))
    return concatenate(pieces)


def block(arrays):
    """An array assembled from nested lists of blocks, as NumPy's ``block``.

    The innermost lists join along the last axis, the next ones along the
    second-to-last, and so on; blocks with fewer dimensions get leading ones.
    """
    depth, probe = 0, arrays
    while isinstance(probe, list):
        depth, probe = depth + 1, probe[0]
    leaves = []

    def collect(item):
        if isinstance(item, list):
            for inner in item:
                collect(inner)
        else:
            leaves.append(asarray_or_tracer(item))

    collect(arrays)
    ndim = builtins.max([depth] + [leaf.ndim for leaf in leaves])
    blocks = iter(leaves)

    def assemble(item, level):
        if not isinstance(item, list):
            leaf = next(blocks)
            return reshape(leaf, (1,) * (ndim - leaf.ndim) + leaf.shape)
        return concatenate([assemble(inner, level + 1) for inner in item], axis=level - depth)

    return assemble(arrays, 0)


__all__ = [  # what ``from ._shape import *`` gives the namespace (not the helpers imported here)
    "reshape", "ravel", "transpose", "permute_dims", "matrix_transpose", "swapaxes", "moveaxis",
    "rollaxis", "broadcast_to", "broadcast_arrays", "expand_dims", "squeeze", "atleast_1d", "atleast_2d",
    "atleast_3d", "concatenate", "concat", "stack", "hstack", "vstack", "row_stack", "dstack",
    "column_stack", "split", "array_split", "hsplit", "vsplit", "flip", "fliplr", "flipud", "roll",
    "rot90", "tile", "repeat", "pad", "take", "take_along_axis", "sort", "argsort", "diagonal", "diag",
    "diagflat", "tril", "triu", "diff", "append", "delete", "compress", "extract", "select", "dsplit",
    "unstack", "ediff1d", "block",
]
