"""The indexing primitives in the array API standard: NumPy's indexing by ``take``, scatters by sorting.

The standard indexes with integers, slices, ``None`` and ``...`` (always naming every axis), and with one
boolean array; it has ``take`` (one-dimensional indices), ``take_along_axis`` and assignment through basic
indices. NumPy's advanced indexing (integer arrays, several of them, broadcast together) is written here
as one ``take`` from the array with the indexed axes flattened into one, and the scatters NumPy makes
with ``np.add.at`` (which the standard lacks) by sorting: the updates sorted by position, summed within each
run of one position by a segmented scan, and each position finding its run's total by a binary search, in
memory proportional to the data and ``O(m log m)`` work for ``m`` updates (``_scatter_rows``).
"""

from __future__ import annotations

import math

import numpy as np

from wengert.errors import BackendError

from . import indexing
from .promotion import numpy_promoted


def _lift(ns, item):
    """An index item as the library reads it: NumPy arrays on its device, NumPy integers as ints."""
    if isinstance(item, np.ndarray):
        return ns.lift(item)
    if isinstance(item, np.integer):
        return int(item)
    return item


def _is_array(item) -> bool:
    return hasattr(item, "dtype") and not isinstance(item, (int, np.integer))


def _is_boolean(ns, item) -> bool:
    """A boolean array, NumPy's or the library's."""
    if isinstance(item, np.ndarray):
        return item.dtype == np.bool_
    return _is_array(item) and ns.numpy_dtype(item.dtype) == np.bool_


def _explicit(idx: tuple, ndim: int) -> list:
    """``idx`` with its ``...`` written out as full slices, and full slices for the axes it leaves unnamed."""
    named = sum(1 for item in idx if item is not None and item is not Ellipsis)
    at = next((k for k, item in enumerate(idx) if item is Ellipsis), None)
    if at is not None:
        return [*idx[:at], *[slice(None)] * (ndim - named), *idx[at + 1 :]]
    return [*idx, *[slice(None)] * (ndim - named)]


def _with_booleans_as_integers(ns, idx: list) -> list:
    """A boolean array of ``k`` axes is its ``nonzero``: ``k`` integer arrays (as NumPy reads it)."""
    out = []
    for item in idx:
        if _is_boolean(ns, item):
            out.extend(ns.nonzero(item))
        else:
            out.append(item)
    return out


class _Advanced:
    """NumPy's advanced index ``idx`` on an array of ``shape``, as the standard computes it.

    ``sliced``: the basic index that keeps every axis an array names (its slices applied, its integers
    kept as full axes); ``axes``: the axes the arrays (and integers) index; ``flat``: their broadcast
    positions as one index into those axes flattened (negative ones wrapped); ``shape``: the broadcast
    shape; ``rest``: the other axes; ``at``: where NumPy puts the indexed axes among the result's (in
    place of the first when the arrays sit together, else first).
    """

    def __init__(self, ns, x, idx: tuple):
        items = _explicit(tuple(_with_booleans_as_integers(ns, [_lift(ns, i) for i in idx])), x.ndim)
        if any(item is None for item in items):
            raise BackendError(
                "getitem: an index with both arrays and None is not in the array API standard's terms that wengert "
                f"has a fallback for on {ns.name} arrays; index in two steps (x[..., None][idx])."
            )
        advanced = [k for k, item in enumerate(items) if _is_array(item) or isinstance(item, int)]
        self.sliced = tuple(slice(None) if k in advanced else item for k, item in enumerate(items))
        sizes = [n if k in advanced else len(range(*i.indices(n))) for k, (i, n) in enumerate(zip(items, x.shape))]
        self.axes, self.rest = advanced, [k for k in range(x.ndim) if k not in advanced]
        arrays = [items[k] if _is_array(items[k]) else ns.lift(np.asarray(items[k])) for k in advanced]
        arrays = ns.broadcast_arrays(*arrays)
        self.shape = tuple(arrays[0].shape)
        flat = None
        for k, positions in zip(advanced, arrays):
            n = sizes[k]
            positions = ns.where(positions < 0, positions + n, positions)
            flat = positions if flat is None else flat * n + positions
        self.flat = ns.reshape(flat, (-1,))
        self.rest_sizes = [sizes[k] for k in self.rest]
        together = advanced == list(range(advanced[0], advanced[-1] + 1))
        self.at = sum(1 for k in self.rest if k < advanced[0]) if together else 0

    def front(self, ns, y):
        """``y`` (of the sliced shape) with the indexed axes first, flattened into one."""
        y = ns.permute_dims(y, tuple(self.axes + self.rest))
        return ns.reshape(y, (-1, *self.rest_sizes))

    def result_order(self) -> tuple:
        """The permutation from (broadcast axes, other axes) to NumPy's order of the result's axes."""
        b, r = len(self.shape), len(self.rest)
        order = list(range(b, b + r))
        return tuple(order[: self.at] + list(range(b)) + order[self.at :])


def _basic(idx: tuple) -> tuple:
    """A basic index as the standard takes it: NumPy integers as ints, every axis named (a trailing ``...``)."""
    idx = tuple(int(i) if isinstance(i, np.integer) else i for i in idx)
    return idx if any(item is Ellipsis for item in idx) else (*idx, Ellipsis)


def getitem(ns, x, idx):
    """``x[idx]``: a basic index at once; an advanced one as one ``take`` from the indexed axes flattened."""
    if indexing.is_basic_index(tuple(int(i) if isinstance(i, np.integer) else i for i in idx)):
        return x[_basic(idx)]
    if len(idx) == 1 and _is_boolean(ns, idx[0]) and idx[0].ndim == x.ndim:
        return x[_lift(ns, idx[0])]  # the standard's one boolean index
    advanced = _Advanced(ns, x, idx)
    taken = ns.take(advanced.front(ns, x[advanced.sliced]), advanced.flat, axis=0)
    taken = ns.reshape(taken, (*advanced.shape, *taken.shape[1:]))
    return ns.permute_dims(taken, advanced.result_order())


def _segment_sums(ns, keys, values):
    """The running sums of ``values`` (along axis 0) within each run of equal ``keys`` (sorted): a segmented
    inclusive scan by doubling (Hillis and Steele), ``log2 m`` steps of ``O(m)`` work and memory each.

    After step ``k``, row ``j`` holds the sum of the rows ``max(start_j, j - 2^k + 1) .. j`` of its run; adding
    the row ``2^k`` before it where that row's key is the same doubles the span. The last row of each run
    holds its total, summed as a tree (pairwise, no running total over other runs to cancel against).
    """
    m, shift = keys.shape[0], 1
    while shift < m:
        same = ns.reshape(keys[shift:] == keys[:-shift], (m - shift,) + (1,) * (values.ndim - 1))
        earlier = ns.where(same, values[:-shift, ...], 0)
        values = ns.concat([values[:shift, ...], values[shift:, ...] + earlier], axis=0)
        shift *= 2
    return values


def _scatter_rows(ns, table, flat, updates, add: bool):
    """``table`` (``n`` rows) with each row of ``updates`` added at (``add``) or written to (the last write wins,
    as NumPy's) row ``flat[j]``, repeated rows summed: NumPy's ``np.add.at``, which the standard lacks, in
    memory proportional to the data (``O(m + n)`` rows).

    The updates are sorted by their row (stable, so a row's writes keep their order), summed within each run
    of one row (:func:`_segment_sums`), and each row of ``table`` finds the last update of its run by a
    binary search (``searchsorted``), if it has one.
    """
    if flat.shape[0] == 0:
        return table
    order = ns.argsort(flat, stable=True)
    keys, values = ns.take(flat, order), ns.take(updates, order, axis=0)
    if add:
        values = _segment_sums(ns, keys, values)
    places = ns.arange(table.shape[0], dtype=keys.dtype, device=ns.device)
    last = ns.astype(ns.searchsorted(keys, places, side="right"), keys.dtype) - 1
    last = ns.where(last < 0, 0, last)
    found = ns.reshape(ns.take(keys, last) == places, (-1,) + (1,) * (table.ndim - 1))
    written = ns.take(values, last, axis=0)
    return table + ns.where(found, written, 0) if add else ns.where(found, written, table)


def _scatter(ns, x, updates, idx, add: bool):
    """``x`` with ``updates`` added at (``add``) or written to (last write wins, as NumPy's) ``x[idx]``."""
    out = ns.asarray(x, copy=True)
    if not _is_array(updates):
        updates = ns.asarray(updates, dtype=out.dtype, device=ns.device)
    if indexing.is_basic_index(tuple(int(i) if isinstance(i, np.integer) else i for i in idx)):
        target = _basic(tuple(i for i in idx if i is not None))  # the standard assigns through no None
        updates = ns.reshape(ns.broadcast_to(updates, out[_basic(idx)].shape), out[target].shape)
        if not ns.writeable:
            return _scatter(ns, x, updates, _as_arrays(ns, target, x.shape), add)
        out[target] = out[target] + updates if add else updates
        return out
    advanced = _Advanced(ns, x, idx)
    if any(advanced.sliced[k] != slice(None) for k in advanced.rest):
        raise BackendError(
            f"index_{'add' if add else 'set'}: an update through arrays and partial slices at once is not in the "
            f"array API standard's terms that wengert has a fallback for on {ns.name} arrays."
        )
    order = advanced.result_order()
    dims = (*advanced.shape, *advanced.rest_sizes)
    result_shape = tuple(dims[k] for k in order)
    inverse = tuple(order.index(k) for k in range(len(order)))
    updates = ns.permute_dims(ns.broadcast_to(updates, result_shape), inverse)
    rest = math.prod(advanced.rest_sizes)
    updates = ns.reshape(updates, (-1, rest))
    front = advanced.front(ns, out)
    table = ns.reshape(front, (front.shape[0], rest))
    table = _scatter_rows(ns, table, advanced.flat, updates, add)
    table = ns.reshape(table, (-1, *advanced.rest_sizes))
    sizes = [x.shape[k] for k in advanced.axes]
    table = ns.reshape(table, (*sizes, *advanced.rest_sizes))
    axes_order = advanced.axes + advanced.rest
    return ns.permute_dims(table, tuple(axes_order.index(k) for k in range(x.ndim)))


def _as_arrays(ns, idx: tuple, shape: tuple) -> tuple:
    """A basic index without ``None`` as integer arrays (and its integers), the arrays broadcasting to their outer
    product: the positions it names, for a library whose arrays cannot be written in place (JAX)."""
    items = _explicit(idx, len(shape))
    sliced = [k for k, item in enumerate(items) if isinstance(item, slice)]
    out = []
    for k, (item, n) in enumerate(zip(items, shape)):
        if isinstance(item, slice):
            axis = sliced.index(k)
            positions = ns.arange(*item.indices(n), device=ns.device)
            out.append(ns.reshape(positions, tuple(-1 if j == axis else 1 for j in range(len(sliced)))))
        else:
            out.append(item)
    return tuple(out)


def _flat_indices(ns, indices, n: int):
    """Indices into an axis of ``n``, flattened, negative ones wrapped."""
    flat = ns.reshape(indices, (-1,))
    return ns.where(flat < 0, flat + n, flat)


def take(ns, x, indices, axis):
    """``np.take(x, indices, axis)``: the standard's ``take`` (one-dimensional indices), reshaped."""
    taken = ns.take(x, _flat_indices(ns, indices, x.shape[axis]), axis=axis)
    return ns.reshape(taken, (*x.shape[:axis], *indices.shape, *x.shape[axis + 1 :]))


def take_along_axis(ns, x, indices, axis):
    n = x.shape[axis]
    return ns.take_along_axis(x, ns.where(indices < 0, indices + n, indices), axis=axis)


def put_along_axis_add(ns, x, indices, updates, axis):
    """``x`` plus ``updates`` added along ``axis`` at ``indices`` (``np.add.at`` on ``take_along_axis``'s index):
    with the axis last and the other axes flattened into ``b`` lines, line ``i``'s update ``j`` goes to row
    ``i n + indices[i, j]`` of ``x`` as one column of ``b n`` rows, one scatter (:func:`_scatter_rows`)."""
    n = x.shape[axis]
    moved = tuple(k for k in range(x.ndim) if k != axis) + (axis,)
    updates = ns.permute_dims(ns.broadcast_to(updates, indices.shape), moved)
    indices = ns.permute_dims(ns.where(indices < 0, indices + n, indices), moved)
    lines = math.prod(indices.shape[:-1])
    starts = ns.reshape(ns.arange(lines, dtype=indices.dtype, device=ns.device) * n, (lines, 1))
    flat = ns.reshape(ns.reshape(indices, (lines, -1)) + starts, (-1,))
    column = ns.reshape(ns.permute_dims(x, moved), (-1, 1))
    added = _scatter_rows(ns, column, flat, ns.reshape(updates, (-1, 1)), add=True)
    added = ns.reshape(added, tuple(x.shape[k] for k in moved))
    return ns.permute_dims(added, tuple(moved.index(k) for k in range(x.ndim)))


def pad(ns, x, widths, value):
    """``np.pad`` with a constant: blocks of ``value`` concatenated before and after, axis by axis."""
    for axis, (before, after) in enumerate(widths):
        pieces = []
        for count in (before, after):
            shape = (*x.shape[:axis], count, *x.shape[axis + 1 :])
            pieces.append(ns.full(shape, value, dtype=x.dtype, device=ns.device))
        x = ns.concat([pieces[0], x, pieces[1]], axis=axis)
    return x


IMPLS = {
    indexing.getitem: getitem,
    indexing.index_add: lambda ns, x, updates, idx: _scatter(ns, x, updates, idx, add=True),
    indexing.index_set: lambda ns, x, updates, idx: _scatter(ns, x, updates, idx, add=False),
    indexing.take: take,
    indexing.take_add: lambda ns, x, indices, updates, axis: _scatter(
        ns, x, updates, (slice(None),) * axis + (indices,), add=True
    ),
    indexing.take_along_axis: take_along_axis,
    indexing.put_along_axis_add: put_along_axis_add,
    indexing.concatenate: lambda ns, *xs, axis: ns.concat(list(numpy_promoted(ns, xs)), axis=axis),
    indexing.unstack: lambda ns, x, axis: tuple(ns.unstack(x, axis=axis)),
    indexing.pad: pad,
}
"""The indexing family's primitives -> their implementations in the standard (``standard.IMPLS`` takes them in)."""
