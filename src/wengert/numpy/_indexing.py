"""Indexing of traced arrays: ``x[idx]`` and JAX-style functional updates ``x.at[idx]``.

Indices follow NumPy (ints, slices, ``None``, ``...``, integer and boolean
arrays) and carry no derivative. Traced arrays are immutable: ``x[i] = v``
raises, and ``x.at[i].set(v)`` returns an updated copy, as in JAX.
"""

from wengert._src.backend import xp
from wengert._src.core.primitive import Tracer
from wengert._src.core.source_info import user_frame_summary
from wengert._src.primitives import indexing as ix
from wengert.errors import InPlaceError

from ._core import asarray_or_tracer
from ._math import maximum, minimum
from ._shape import broadcast_to, ravel, reshape


def normalize_index(idx) -> tuple:
    """The index as a tuple of ints, slices, None, Ellipsis and NumPy arrays."""
    if not isinstance(idx, tuple):
        idx = (idx,)
    out = []
    for item in idx:
        if isinstance(item, Tracer):
            if not xp.issubdtype(item.dtype, xp.integer) and item.dtype != xp.bool_:
                raise TypeError(
                    f"index arrays must be integers or booleans, got a traced {item.dtype} array; "
                    "indices carry no derivative"
                )
            item = item.concrete()
        if type(item) is xp.ndarray and item.dtype.kind in "biu":  # already a valid index array
            out.append(item)
            continue
        if isinstance(item, (list, xp.ndarray)):
            item = xp.asarray(item)
            if item.dtype != xp.bool_ and not xp.issubdtype(item.dtype, xp.integer):
                if item.size:
                    raise TypeError(f"index arrays must be integers or booleans, got {item.dtype}")
                item = item.astype(xp.intp)
        elif isinstance(item, xp.integer):
            item = int(item)
        out.append(item)
    return tuple(out)


def getitem(x, idx):
    """``x[idx]`` with NumPy's indexing rules; its derivative scatter-adds."""
    items = idx if isinstance(idx, tuple) else (idx,)
    for item in items:
        if isinstance(item, Tracer):
            gathered = _gather_by_traced_indices(x, items)
            if gathered is not None:
                return gathered
            break
    idx = normalize_index(items)
    try:
        return ix.getitem(x, idx=idx)
    except IndexError as error:
        raise IndexError(f"{error} (indexing shape {x.shape} with {idx!r}, at {user_frame_summary()})") from None


def _gather_by_traced_indices(x, items: tuple):
    """``x[items]`` when ``items`` holds traced integer arrays, or ``None`` for the general path.

    Under ``jit`` and ``vmap`` an index array computed inside the function (or passed to it)
    is traced and its values are hidden, so it must be an operand of the gather, not a
    parameter: :func:`~wengert._src.primitives.indexing.take_by_index_operands` covers the
    forms models write. Other combinations with traced arrays take the general path, which
    needs their values.
    """
    if not any(isinstance(item, Tracer) and ix.is_integer_operand(item) for item in items):
        return None
    return ix.take_by_index_operands(asarray_or_tracer(x), items)


def setitem_error(x, idx, value):
    raise InPlaceError(
        f"Traced arrays are immutable: `x[{idx!r}] = ...` at {user_frame_summary()} would change "
        "a value the derivative depends on. Write `x = x.at[idx].set(value)` instead "
        "(or .add, .multiply, .min, .max)."
    )


class _IndexUpdateHelper:
    """``x.at``: indexing it gives an :class:`IndexUpdate` for that index."""

    __slots__ = ("array",)

    def __init__(self, array):
        self.array = array

    def __getitem__(self, idx):
        return IndexUpdate(self.array, idx)


class IndexUpdate:
    """Functional updates of ``array[idx]``: each method returns a new array."""

    __slots__ = ("array", "idx")

    def __init__(self, array, idx):
        self.array = asarray_or_tracer(array)
        self.idx = normalize_index(idx)

    def get(self):
        return getitem(self.array, self.idx)

    def set(self, values):
        """A copy with ``values`` written at ``idx`` (for repeated indices the last one wins)."""
        return ix.index_set(self.array, values, idx=self.idx)

    def add(self, values):
        """A copy with ``values`` added at ``idx`` (repeated indices add up)."""
        return ix.index_add(self.array, values, idx=self.idx)

    def subtract(self, values):
        return self.add(-values)

    def multiply(self, values):
        """A copy with ``array[idx]`` multiplied by ``values`` (repeated indices multiply up)."""
        return self._apply(lambda current, v: current * v, values)

    def divide(self, values):
        return self._apply(lambda current, v: current / v, values)

    def power(self, values):
        return self._apply(lambda current, v: current**v, values)

    def min(self, values):
        """A copy with ``array[idx] = minimum(array[idx], values)``."""
        return self._apply(minimum, values)

    def max(self, values):
        """A copy with ``array[idx] = maximum(array[idx], values)``."""
        return self._apply(maximum, values)

    def _apply(self, combine, values):
        """Apply ``combine`` at ``idx`` in rounds, so each round touches every position once.

        A position named k times in the index is updated in k successive rounds,
        in index order, exactly as NumPy's unbuffered ``ufunc.at`` does.
        """
        array = self.array
        positions = xp.arange(array.size).reshape(array.shape)[self.idx]
        values = ravel(broadcast_to(asarray_or_tracer(values), positions.shape))
        positions = positions.ravel()
        order = xp.argsort(positions, kind="stable")
        sorted_positions = positions[order]
        starts = xp.r_[True, sorted_positions[1:] != sorted_positions[:-1]] if positions.size else xp.zeros(0, bool)
        group_start = xp.maximum.accumulate(xp.where(starts, xp.arange(positions.size), 0)) if positions.size else order
        occurrence = xp.empty_like(order)
        occurrence[order] = xp.arange(positions.size) - group_start
        flat = ravel(array)
        for round_number in range(int(occurrence.max(initial=-1)) + 1):
            chosen = xp.nonzero(occurrence == round_number)[0]
            where_to = positions[chosen]
            flat = ix.index_set(flat, combine(flat[where_to], values[chosen]), idx=(where_to,))
        return reshape(flat, array.shape)


def at(array) -> _IndexUpdateHelper:
    """``wnp.at(x)[idx].set(v)``: functional updates that also work on plain NumPy arrays."""
    return _IndexUpdateHelper(array)
