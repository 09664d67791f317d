"""Indexing primitives: gather (``x[idx]``), scatter-add, scatter-set, concatenate, unstack, pad.

An index is a tuple of ints, slices, ``None``, ``Ellipsis`` and integer or
boolean arrays, exactly as NumPy takes it; it is a parameter (indices carry
no derivative). Gathering is linear in ``x`` and its transpose is a
scatter-add, so reading the same element twice adds both cotangents.
"""

import itertools
import math

from wengert.errors import TransformError

from ..backend import BINCOUNT_DTYPES, shape_of, xp
from ..core.primitive import READS_NOTHING, Primitive, Tracer
from .elementwise import where
from .rules import BY_VJP, EveryArgument, JointJVP, JointVJP, no_flops
from .structural import (
    astype,
    batch_first,
    batch_size,
    batched_axis,
    broadcast_like,
    broadcast_to,
    moveaxis,
    rank_of,
    reshape,
    unbroadcast,
)


def is_basic_index(idx: tuple) -> bool:
    """True if ``idx`` has no arrays: a view, each element reached at most once."""
    return all(i is None or i is Ellipsis or isinstance(i, (int, slice)) for i in idx)


# --- batching: the batch axis first, taken whole by a leading ``slice(None)`` -----------------------
def _batch_axis_after_indexing(idx: tuple) -> int:
    """Where a leading ``slice(None)`` of ``idx`` puts its axis in the result.

    NumPy puts the axes of the (broadcast) array indices in place of the first of them when
    they sit together, and first of all when a slice, ``None`` or ``...`` separates them
    (integers count as array indices as soon as one array is present); only that second case
    moves the batch axis, behind the advanced axes.
    """
    if is_basic_index(idx):
        return 0
    positions = [i for i, item in enumerate(idx) if not (item is None or item is Ellipsis or isinstance(item, slice))]
    if positions[-1] - positions[0] + 1 == len(positions):
        return 0
    shapes = []
    for item in idx:
        if isinstance(item, xp.ndarray) and item.dtype == xp.bool_:
            shapes.append((int(item.sum()),))
        elif not (item is None or item is Ellipsis or isinstance(item, slice)):
            shapes.append(xp.shape(item))
    return len(xp.broadcast_shapes(*shapes))


def _getitem_batch(args, dims, idx):
    x = batch_first(args[0], dims[0])
    idx = (slice(None),) + idx
    return getitem(x, idx=idx), _batch_axis_after_indexing(idx)


def _scatter_batch(prim, args, dims, idx):
    """Batch a scatter: the target gets its batch axis first (broadcast if unbatched), and the
    updates are laid out like the batched gather ``x[:, *idx]`` they are written into."""
    (x, updates), (x_dim, updates_dim) = args, dims
    x = batch_first(x, x_dim, size=batch_size(args, dims))
    idx = (slice(None),) + idx
    out_dim = _batch_axis_after_indexing(idx)
    if updates_dim is not None or rank_of(updates) > 0:
        gathered = xp.broadcast_to(xp.zeros((), bool), x.shape)[idx].shape
        rank = len(gathered) - 1
        if updates_dim is None:
            shape = (1,) * (rank - rank_of(updates)) + tuple(updates.shape)
            updates = reshape(updates, shape=shape[:out_dim] + (1,) + shape[out_dim:])
        else:
            updates = moveaxis(batch_first(updates, updates_dim, rank), 0, out_dim)
    return prim(x, updates, idx=idx), 0


def _concatenate_batch(args, dims, axis):
    size = batch_size(args, dims)
    return concatenate(*(batch_first(x, d, size=size) for x, d in zip(args, dims)), axis=axis + 1), 0


def _pad_batch(args, dims, widths, value):
    (x,), (dim,) = args, dims
    widths = tuple(widths)
    return pad(x, widths=widths[:dim] + ((0, 0),) + widths[dim:], value=value), dim


def _zeros(value):
    return xp.zeros(value.shape, value.dtype)


def _gather_vjp(g, ans, x, idx):
    """Scatter-add ``g`` into zeros of x's shape (``index_add``).

    The compiled backward pass stages a recorded gather with its index arrays as placeholders
    (operands of the staged program, so that it serves every batch of indices): such an index
    is scattered back by ``take_add``, whose indices are an operand
    (:func:`add_at_index_operands`)."""
    if _indexes_by_operands(idx):
        return add_at_index_operands(_zeros(x), idx, g)
    return index_add(_zeros(x), g, idx=idx)


def _indexes_by_operands(idx: tuple) -> bool:
    """True if an item of ``idx`` is a traced array: an index that is an operand of the program."""
    return any(isinstance(item, Tracer) for item in idx)


def _gather_fast_vjp(g, ans, x, idx):
    """``_gather_vjp`` on a plain cotangent, by NumPy directly. Where the positions read are known,
    the cotangents of a repeated position are summed in float64 and rounded once (as the compiled
    pass writes a scatter-add), where ``index_add``'s ``np.add.at`` rounds each float32 addition;
    in float64 the two are the same sums in the same order."""
    positions = _positions_read(x.shape, idx) if x.size and x.dtype in BINCOUNT_DTYPES else None
    if positions is not None:
        # One weighted count over the flat positions sums every cotangent, in float64 and in order
        # (as the compiled pass does), faster than NumPy's add.at. The forward gather checked the bounds.
        summed = xp.bincount(positions, weights=g.reshape(-1), minlength=x.size)
        return summed.reshape(x.shape).astype(x.dtype, copy=False)
    out = xp.zeros(x.shape, x.dtype)
    if is_basic_index(idx):
        out[idx] += g
    else:
        xp.add.at(out, idx, g)
    return out


def _positions_read(shape: tuple, idx: tuple):
    """The flat positions in an array of ``shape`` that ``x[idx]`` reads, in the order of the result,
    for the forms ``take`` expresses: integer arrays (and ints) on the leading axes (rows of an
    embedding table, elements), or one integer array among full slices (``x[:, i]``); ``None`` for
    any other index.
    Negative indices are wrapped once, as the gather read them."""
    full = slice(None)
    picked = [i for i, item in enumerate(idx) if not (isinstance(item, slice) and item == full)]
    arrays = [idx[i] for i in picked if type(idx[i]) is not int]
    if not arrays or not _integer_arrays(arrays):
        return None
    if len(picked) == 1:  # o (n m) + i m + j: the o-th line before the axis, index i, element j after it
        axis = picked[0]
        outer, n, inner = math.prod(shape[:axis]), shape[axis], math.prod(shape[axis + 1 :])
        rows = (idx[axis] % n * inner).reshape(1, -1, 1)
        return (xp.arange(outer).reshape(-1, 1, 1) * (n * inner) + rows + xp.arange(inner)).reshape(-1)
    if picked != list(range(len(picked))):
        return None
    k = len(picked)
    rows, inner = xp.ravel_multi_index(idx[:k], shape[:k], mode="wrap"), math.prod(shape[k:])
    return (rows.reshape(-1, 1) * inner + xp.arange(inner)).reshape(-1)


def _integer_arrays(idx: tuple) -> bool:
    """True if every item of ``idx`` is an integer array, all signed or all unsigned."""
    kinds = {item.dtype.kind if type(item) is xp.ndarray else None for item in idx}
    return kinds == {"i"} or kinds == {"u"}


def _gather_impl(x, idx):
    """``x[idx]``. One integer array picking along the first axis (an embedding's rows) is
    ``x.take``: the same result and the same ``IndexError``, at a quarter of the cost of NumPy's
    fancy indexing on small arrays."""
    if len(idx) == 1 and type(x) is xp.ndarray and x.ndim:
        rows = idx[0]
        if type(rows) is xp.ndarray and rows.dtype.kind in "iu":
            return x.take(rows, axis=0)
    return x[idx]


getitem = Primitive(
    "getitem",
    _gather_impl,
    jvps=(lambda t, ans, x, idx: getitem(t, idx=idx),),
    vjps=(_gather_vjp,),
    fast_vjps=(_gather_fast_vjp,),
    transposes=(BY_VJP,),
    batch=_getitem_batch,
    flops=no_flops,
    jacobian_structure=("selection",),
    linear_in=(0,),
    source=lambda gen, eqn, args: f"{args[0]}[{gen.index(eqn.params['idx'])}]",
    result_memory=lambda params: "view" if is_basic_index(params["idx"]) else "new",
    vjp_reads=READS_NOTHING,
    doc="x[idx]. Its VJP scatter-adds the cotangent into zeros of x's shape.",
)


def _index_add_impl(x, updates, idx):
    out = xp.array(x, copy=True)
    if is_basic_index(idx):
        out[idx] += updates
    else:
        xp.add.at(out, idx, updates)
    return out


def _gathered_cotangent(g, updates, idx):
    return unbroadcast(getitem(g, idx=idx), updates)


def _index_add_statements(gen, eqn, args: list[str], outs: list[str]) -> list[str]:
    """``x.at[idx].add(u)``: into a float array at array indices, one ``bincount`` over the flat
    positions the index names (computed once, here: several times faster than ``np.add.at``, the
    same sums); else a copy of ``x`` (or ``x`` itself, dead) with ``u`` added in place."""
    out, (x, updates) = outs[0], args
    var, idx = eqn.outputs[0], eqn.params["idx"]
    if not is_basic_index(idx) and var.dtype in BINCOUNT_DTYPES:
        positions = xp.arange(var.size).reshape(var.shape)[idx]
        flat = gen.constant(positions.ravel(), "k1")
        return gen.bincount(eqn, out, flat, positions.shape, x, updates)
    first = gen.copy_of(eqn, out, x)
    index = gen.index(idx)
    if is_basic_index(idx):
        return [first, f"{out}[{index}] += {updates}"]
    return [first, f"np.add.at({out}, ({index}), {updates})"]


index_add = Primitive(
    "index_add",
    _index_add_impl,
    jvps=(
        lambda t, ans, x, u, idx: broadcast_like(t, ans),
        lambda t, ans, x, u, idx: index_add(_zeros(ans), t, idx=idx),
    ),
    vjps=(
        lambda g, ans, x, u, idx: unbroadcast(g, x),
        lambda g, ans, x, u, idx: _gathered_cotangent(g, u, idx),
    ),
    transposes=(BY_VJP, BY_VJP),
    batch=lambda args, dims, idx: _scatter_batch(index_add, args, dims, idx),
    flops=lambda out_shapes, x, updates, idx: math.prod(updates),
    linear_in=(0, 1),
    statements=_index_add_statements,
    result_memory="new",
    vjp_reads=READS_NOTHING,
    doc="x.at[idx].add(u): a copy of x with u added at idx (repeated indices add up).",
)


def _index_set_impl(x, updates, idx):
    out = xp.array(x, copy=True)
    out[idx] = updates
    return out


def _written_cotangent(g, x, updates, idx):
    """Cotangent of the updates of a set: where a position is named more than once, only the
    update that NumPy's assignment leaves there (the last one) reaches the output."""
    gathered = getitem(g, idx=idx)
    if not is_basic_index(idx):
        order = xp.arange(gathered.size).reshape(gathered.shape)
        written = xp.full(x.shape, -1, dtype=order.dtype)
        written[idx] = order
        gathered = where(written[idx] == order, gathered, 0.0)
    return unbroadcast(gathered, updates)


def _index_set_statements(gen, eqn, args: list[str], outs: list[str]) -> list[str]:
    """``x.at[idx].set(u)``: a copy of ``x`` (or ``x`` itself, dead), then ``u`` written in place."""
    out, (x, updates) = outs[0], args
    return [gen.copy_of(eqn, out, x), f"{out}[{gen.index(eqn.params['idx'])}] = {updates}"]


index_set = Primitive(
    "index_set",
    _index_set_impl,
    jvps=(
        lambda t, ans, x, u, idx: index_set(broadcast_like(t, ans), 0.0, idx=idx),
        lambda t, ans, x, u, idx: index_set(_zeros(ans), t, idx=idx),
    ),
    vjps=(
        lambda g, ans, x, u, idx: unbroadcast(index_set(g, 0.0, idx=idx), x),
        lambda g, ans, x, u, idx: _written_cotangent(g, x, u, idx),
    ),
    transposes=(BY_VJP, BY_VJP),
    batch=lambda args, dims, idx: _scatter_batch(index_set, args, dims, idx),
    flops=no_flops,
    linear_in=(0, 1),
    statements=_index_set_statements,
    result_memory="new",
    vjp_reads=READS_NOTHING,
    doc="x.at[idx].set(u): a copy of x with u written at idx (of repeated indices, the last wins).",
)


# --- gathering along one axis by indices that are an operand (computed, possibly traced) -------------
# ``getitem`` takes its index as a parameter: fixed when the program is written. Sorting gathers by
# indices computed from the values (an argsort), which under vmap differ between examples and under
# jit are not known yet; these two take the indices as an argument. ``indices`` has x's shape except
# along ``axis``; its entries pick positions along ``axis``.


def _along_axis_index(indices, axis: int) -> tuple:
    """The NumPy index that reads ``indices`` along ``axis`` and every position of the other axes."""
    ndim = indices.ndim
    return tuple(
        indices if a == axis else xp.arange(n).reshape((1,) * a + (n,) + (1,) * (ndim - a - 1))
        for a, n in enumerate(indices.shape)
    )


def _take_along_axis_impl(x, indices, axis):
    return xp.take_along_axis(x, indices, axis=axis)


def _put_along_axis_add_impl(x, indices, updates, axis):
    out = xp.array(x, copy=True)
    xp.add.at(out, _along_axis_index(indices, axis), updates)
    return out


def _operand_indices_batch(prim, args, dims, axis):
    """Every operand with the batch axis first (an unbatched one broadcast), ``axis`` shifted past it."""
    size = batch_size(args, dims)
    return prim(*(batch_first(a, d, size=size) for a, d in zip(args, dims)), axis=axis + 1), 0


def _take_along_axis_source(gen, eqn, args: list[str]) -> str:
    """One-dimensional indices are indexing (``x[i]``), cheaper than ``np.take_along_axis``."""
    if eqn.inputs[1].ndim == 1:
        return f"{args[0]}[{args[1]}]"
    return f"np.take_along_axis({args[0]}, {args[1]}, axis={eqn.params['axis']})"


take_along_axis = Primitive(
    "take_along_axis",
    _take_along_axis_impl,
    jvps=(lambda t, ans, x, indices, axis: take_along_axis(t, indices, axis=axis), None),
    vjps=(lambda g, ans, x, indices, axis: put_along_axis_add(_zeros(x), indices, g, axis=axis), None),
    transposes=(BY_VJP, None),
    batch=lambda args, dims, axis: _operand_indices_batch(take_along_axis, args, dims, axis),
    flops=no_flops,
    jacobian_structure=("selection", None),
    linear_in=(0,),
    source=_take_along_axis_source,
    result_memory="new",
    doc=(
        "take_along_axis(x, indices, axis): x's entries at ``indices`` along ``axis`` (indices, an integer "
        "operand, have x's shape but along ``axis``). Linear in x; its VJP scatter-adds along the axis."
    ),
)


def _adding_back(name: str, impl, gather: Primitive, batch, positions, doc: str) -> Primitive:
    """The scatter-add ``x + u at indices`` that transposes ``gather`` (an indices-operand gather):
    linear in x (passed through) and in u (whose VJP is ``gather``). Code generation writes it as one
    ``bincount`` into a float array, over the flat positions ``positions(gen, eqn, indices)`` gives
    (source text, and the shape the updates broadcast to), and calls ``impl`` for other dtypes."""

    def statements(gen, eqn, args: list[str], outs: list[str]) -> list[str]:
        if eqn.outputs[0].dtype not in BINCOUNT_DTYPES:
            return [f"{outs[0]} = {gen.call_impl(eqn.primitive, args, eqn.params)}"]
        flat, shape = positions(gen, eqn, args[1])
        return gen.bincount(eqn, outs[0], flat, shape, args[0], args[2])

    prim = Primitive(
        name,
        impl,
        jvps=(
            lambda t, ans, x, indices, u, axis: broadcast_like(t, ans),
            None,
            lambda t, ans, x, indices, u, axis: prim(_zeros(ans), indices, t, axis=axis),
        ),
        vjps=(
            lambda g, ans, x, indices, u, axis: unbroadcast(g, x),
            None,
            lambda g, ans, x, indices, u, axis: unbroadcast(gather(g, indices, axis=axis), u),
        ),
        transposes=(BY_VJP, None, BY_VJP),
        batch=lambda args, dims, axis: batch(prim, args, dims, axis),
        flops=lambda out_shapes, x, indices, updates, axis: math.prod(updates),
        linear_in=(0, 2),
        statements=statements,
        result_memory="new",
        doc=doc,
    )
    return prim


def _along_axis_positions(gen, eqn, indices: str) -> tuple[str, tuple]:
    """The flat positions ``indices`` name along ``axis``, taken from a constant table of every position
    (indexing it wraps negative indices and refuses out-of-range ones, as NumPy does)."""
    var, axis = eqn.outputs[0], eqn.params["axis"]
    table = gen.constant(xp.arange(var.size).reshape(var.shape), "k1")
    if eqn.inputs[1].ndim == 1:
        return f"{table}[{indices}].ravel()", tuple(eqn.inputs[1].shape)
    return f"np.take_along_axis({table}, {indices}, axis={axis}).ravel()", tuple(eqn.inputs[1].shape)


put_along_axis_add = _adding_back(
    "put_along_axis_add",
    _put_along_axis_add_impl,
    take_along_axis,
    _operand_indices_batch,
    _along_axis_positions,
    "A copy of x with u added at ``indices`` along ``axis`` (u has the indices' shape; repeated "
    "indices add up): the transpose of take_along_axis, whose VJP it is and which is its VJP in u.",
)


# --- take: whole slices along one axis, at indices that are an operand ----------------------------------
# ``x[:, i]`` by indices ``i`` computed inside the function (a traced array under vmap and jit) reads
# the same positions along ``axis`` on every line of the other axes: the result has x's axes with
# ``axis`` replaced by the axes of ``indices``. Its transpose adds whole slices back (``take_add``).


def _take_impl(x, indices, axis):
    return xp.take(x, indices, axis=axis)


def _take_add_impl(x, indices, updates, axis):
    out = xp.array(x, copy=True)
    xp.add.at(out, (slice(None),) * axis + (indices,), updates)
    return out


def _per_example_indices(indices, x_shape: tuple, axis: int):
    """Batched ``indices`` (batch axis first) as operands of ``take_along_axis`` on a batched x of
    ``x_shape``: flattened, and broadcast over x's other axes."""
    before, after = x_shape[1:axis], x_shape[axis + 1 :]
    count = math.prod(indices.shape[1:])
    flat = reshape(indices, shape=(indices.shape[0],) + (1,) * len(before) + (count,) + (1,) * len(after))
    return broadcast_to(flat, shape=(x_shape[0],) + before + (count,) + after)


def _take_batch(args, dims, axis):
    """Shared indices take along the shifted axis; per-example ones go to ``take_along_axis``."""
    (x, indices), (x_dim, indices_dim) = args, dims
    if indices_dim is None:
        return take(batch_first(x, x_dim), indices, axis=axis + 1), 0
    x = batch_first(x, x_dim, size=batch_size(args, dims))
    indices = batch_first(indices, indices_dim)
    picked = take_along_axis(x, _per_example_indices(indices, x.shape, axis + 1), axis=axis + 1)
    return reshape(picked, shape=x.shape[: axis + 1] + tuple(indices.shape[1:]) + x.shape[axis + 2 :]), 0


def _take_add_batch(prim, args, dims, axis):
    """Shared indices add along the shifted axis; per-example ones go to ``put_along_axis_add``."""
    size = batch_size(args, dims)
    (x, indices, updates), (x_dim, indices_dim, updates_dim) = args, dims
    x = batch_first(x, x_dim, size=size)
    updates = batch_first(updates, updates_dim, size=size)
    if indices_dim is None:
        return prim(x, indices, updates, axis=axis + 1), 0
    indices = batch_first(indices, indices_dim)
    positions = _per_example_indices(indices, x.shape, axis + 1)
    return put_along_axis_add(x, positions, reshape(updates, shape=positions.shape), axis=axis + 1), 0


def _take_source(gen, eqn, args: list[str]) -> str:
    """The array method (``np.take`` is a Python wrapper of it)."""
    return f"{gen.array(eqn, args)}.take({args[1]}, axis={eqn.params['axis']})"


take = Primitive(
    "take",
    _take_impl,
    jvps=(lambda t, ans, x, indices, axis: take(t, indices, axis=axis), None),
    vjps=(lambda g, ans, x, indices, axis: take_add(_zeros(x), indices, g, axis=axis), None),
    transposes=(BY_VJP, None),
    batch=_take_batch,
    flops=no_flops,
    linear_in=(0,),
    source=_take_source,
    result_memory="new",
    doc=(
        "take(x, indices, axis): the slices of x at ``indices`` (an integer operand of any shape) along "
        "``axis``, as np.take. Linear in x; its VJP adds the cotangent's slices back (take_add)."
    ),
)


def _slice_positions(gen, eqn, indices: str) -> tuple[str, tuple]:
    """The flat positions of the slices at ``indices`` along ``axis``, in the order of ``take``'s result."""
    var, axis = eqn.outputs[0], eqn.params["axis"]
    shape = var.shape[:axis] + tuple(eqn.inputs[1].shape) + var.shape[axis + 1 :]
    return gen.slice_positions(var.shape, axis, indices), shape


take_add = _adding_back(
    "take_add",
    _take_add_impl,
    take,
    _take_add_batch,
    _slice_positions,
    "A copy of x with the slices u added at ``indices`` along ``axis`` (repeated indices add up): "
    "the transpose of take.",
)


def is_integer_operand(item) -> bool:
    """True if ``item`` is an integer array, plain or traced (an index ``take`` can read as an operand)."""
    return isinstance(item, (Tracer, xp.ndarray)) and xp.issubdtype(item.dtype, xp.integer)


def take_by_index_operands(x, items: tuple, checked: bool = False):
    """``x[items]`` by ``take``, its integer index arrays being operands; ``None`` for other forms.

    An index whose arrays are operands serves every value of them: under ``jit`` and ``vmap``
    their values are hidden, and a compiled backward pass serves every batch. Two forms cover
    what models write, with NumPy's result shapes:

    * one integer array among full slices, ``x[i]``, ``x[:, i]``: ``take`` along its axis;
    * integer arrays (and ints) on the leading axes, then full slices, ``x[rows, cols]``:
      the indices are broadcast and combined into one index of the flattened leading
      axes, ``i_0 * (n_1 ... n_{k-1}) + ... + i_{k-1}``. Negative indices are wrapped once,
      so that an index past the end of the last row still raises; ``checked`` (the indices are
      known to lie in ``[-n, n)``, as an eager gather checked) wraps them by a remainder, in
      one operation instead of three.
    """
    picked = _operand_axes(items, rank_of(x))
    if picked is None:
        return None
    if len(picked) == 1:
        return take(x, items[picked[0]], axis=picked[0])
    shape, k = shape_of(x), len(picked)
    flat_index = _flat_leading_index(shape, items, k, checked)
    return take(reshape(x, shape=(math.prod(shape[:k]),) + shape[k:]), flat_index, axis=0)


def add_at_index_operands(x, items: tuple, updates):
    """``x`` with ``updates`` added at ``x[items]``, by ``take_add``: the transpose of
    :func:`take_by_index_operands` (``checked``), for the same two forms of index.

    A gather whose index arrays are operands pulls its cotangent back so (in the compiled backward
    pass, :func:`_gather_vjp`): the indices stay operands of the program.
    """
    picked = _operand_axes(items, rank_of(x))
    if picked is None:
        raise TransformError(
            f"getitem: an index whose arrays are operands must be one integer array among full slices or "
            f"integer arrays on the leading axes, got {items!r}"
        )
    if len(picked) == 1:
        return take_add(x, items[picked[0]], updates, axis=picked[0])
    shape, k = shape_of(x), len(picked)
    flat_index = _flat_leading_index(shape, items, k, checked=True)
    rows = take_add(reshape(x, shape=(math.prod(shape[:k]),) + shape[k:]), flat_index, updates, axis=0)
    return reshape(rows, shape=shape)


def _operand_axes(items: tuple, rank: int) -> list[int] | None:
    """The axes an index of integer operands picks from (those not taken whole by a full slice), if it
    has one of :func:`take_by_index_operands`' forms; ``None`` otherwise."""
    full = slice(None)
    picked = [i for i, item in enumerate(items) if not (isinstance(item, slice) and item == full)]
    if len(items) > rank or not all(is_integer_operand(items[i]) or isinstance(items[i], int) for i in picked):
        return None
    if len(picked) == 1 or picked == list(range(len(picked))):
        return picked
    return None


def _flat_leading_index(shape: tuple, items: tuple, k: int, checked: bool):
    """The index into the first ``k`` axes of an array of ``shape``, flattened into one, of the
    integer operands (and ints) ``items[:k]``, broadcast together (see :func:`take_by_index_operands`)."""
    common = xp.broadcast_shapes(*(shape_of(item) for item in items[:k]))
    flat_index = None
    for size, index in zip(shape[:k], items[:k]):
        if not isinstance(index, int) and index.dtype != xp.intp:  # int8 * 100 would overflow
            index = astype(index, dtype=xp.intp)
        if shape_of(index) != common:
            index = broadcast_to(index, shape=common)
        wrapped = index % size if checked else index + (index < 0) * size
        flat_index = wrapped if flat_index is None else flat_index * size + wrapped
    return flat_index


def _concatenate_pieces(g, ans, positions, *xs, axis):
    """The cotangents of the pieces at ``positions``: each one's slice of ``g`` along ``axis``.

    The offsets are summed once for all pieces. Where every piece is one slice thick (``stack``,
    the outputs of a ``scan``), one ``unstack`` cuts them all, and its own derivative is one
    concatenation again (a slice's is a scatter into zeros the size of ``g``, once per piece).
    """
    if len(positions) > 1 and all(x.shape[axis] == 1 for x in xs):
        slices = unstack(g, axis=axis)
        pieces = [reshape(slices[p], shape=tuple(xs[p].shape)) for p in positions]
    else:
        starts = list(itertools.accumulate((x.shape[axis] for x in xs), initial=0))
        lead = (slice(None),) * axis
        pieces = [getitem(g, idx=lead + (slice(starts[p], starts[p + 1]),)) for p in positions]
    return [
        piece if piece.dtype == xs[p].dtype else astype(piece, dtype=xs[p].dtype) for piece, p in zip(pieces, positions)
    ]


def _concatenate_tangent(tangents, ans, *xs, axis):
    """Linear: the concatenation of the pieces' tangents (zeros for the pieces that carry none), one operation."""
    pieces = [xp.zeros(x.shape, ans.dtype) if t is None else t for t, x in zip(tangents, xs)]
    return concatenate(*pieces, axis=axis)


concatenate = Primitive(
    "concatenate",
    lambda *xs, axis: xp.concatenate(xs, axis=axis),
    jvps=JointJVP(_concatenate_tangent),
    vjps=JointVJP(_concatenate_pieces),
    transposes=EveryArgument(BY_VJP),
    batch=_concatenate_batch,
    flops=no_flops,
    linear_in="every",
    source=lambda gen, eqn, args: f"np.concatenate(({', '.join(args)},), axis={eqn.params['axis']})",
    vjp_reads=READS_NOTHING,
    doc="Join arrays along ``axis``. Its VJP slices the cotangent into pieces.",
)


# ``unstack`` splits an array into its slices along an axis in one operation, so a loop over them
# (``lax.scan``) costs one concatenation in the backward pass, not one scatter per slice.
def _unstack_impl(x, axis):
    return tuple(xp.moveaxis(x, axis, 0)) if axis else tuple(x)


def _unstack_jvp(t, ans, x, axis):
    return unstack(t, axis=axis)


def _unstack_batch(args, dims, axis):
    """The slices of a batch along a per-example axis: each slice keeps the batch axis (shifted
    down by one when the sliced axis came before it)."""
    (x,), (dim,) = args, dims
    slices = unstack(x, axis=batched_axis(axis, dim))
    return slices, (dim - 1 if axis < dim else dim,) * len(slices)


def _stack_cotangents(cts, x, axis):
    """The slices' cotangents put back together along ``axis``: the transpose of ``unstack``."""
    shape = x.shape[:axis] + (1,) + x.shape[axis + 1 :]
    pieces = [
        reshape(ct if ct.dtype == x.dtype else astype(ct, dtype=x.dtype), shape=shape) for ct in cts
    ]
    return concatenate(*pieces, axis=axis)


def _unstack_source(x: str, axis: int) -> str:
    return f"tuple({x})" if axis == 0 else f"tuple(np.moveaxis({x}, {axis}, 0))"


unstack = Primitive(
    "unstack",
    _unstack_impl,
    jvps=(_unstack_jvp,),
    vjps=(lambda cts, ans, x, axis: _stack_cotangents(cts, x, axis),),
    transposes=(lambda cts, x, axis: _stack_cotangents(cts, x, axis),),
    batch=_unstack_batch,
    flops=no_flops,
    multiple_results=True,
    linear_in=(0,),
    source=lambda gen, eqn, args: _unstack_source(args[0], eqn.params["axis"]),
    result_memory="view",
    doc="The slices of ``x`` along ``axis``, as a tuple (``tuple(x)`` for axis 0). Its VJP stacks them.",
)


pad = Primitive(
    "pad",
    lambda x, widths, value: xp.pad(x, widths, mode="constant", constant_values=value),
    jvps=(lambda t, ans, x, widths, value: pad(t, widths=widths, value=0.0),),
    vjps=(
        lambda g, ans, x, widths, value: getitem(g, idx=tuple(slice(b, b + n) for (b, _), n in zip(widths, x.shape))),
    ),
    transposes=(BY_VJP,),
    batch=_pad_batch,
    flops=no_flops,
    linear_in=(0,),
    vjp_reads=READS_NOTHING,
    doc="Pad with a constant (``widths`` as ((before, after), ...)). Its VJP crops.",
)
