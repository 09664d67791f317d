"""Indexing primitives: gather (``x[idx]``), scatter-add, scatter-set, concatenate, pad.

An index is a tuple of ints, slices, ``None``, ``Ellipsis`` and integer or
boolean arrays, exactly as NumPy takes it; it is a parameter (indices carry
no derivative). Gathering is linear in ``x`` and its transpose is a
scatter-add, so reading the same element twice adds both cotangents.
"""

from ..backend import xp
from ..core.primitive import Primitive
from .elementwise import where
from .rules import PerPosition
from .structural import broadcast_like, unbroadcast


def is_basic_index(idx: tuple) -> bool:
    """True if ``idx`` has no arrays: a view, each element reached at most once."""
    return all(i is None or i is Ellipsis or isinstance(i, (int, slice)) for i in idx)


def _zeros(value):
    return xp.zeros(value.shape, value.dtype)


getitem = Primitive(
    "gather",
    lambda x, idx: x[idx],
    jvps=(lambda t, ans, x, idx: getitem(t, idx=idx),),
    vjps=(lambda g, ans, x, idx: index_add(_zeros(x), g, idx=idx),),
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


index_add = Primitive(
    "scatter_add",
    _index_add_impl,
    jvps=(
        lambda t, ans, x, u, idx: broadcast_like(t, ans),
        lambda t, ans, x, u, idx: index_add(_zeros(ans), t, idx=idx),
    ),
    vjps=(
        lambda g, ans, x, u, idx: unbroadcast(g, x),
        lambda g, ans, x, u, idx: _gathered_cotangent(g, u, idx),
    ),
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


index_set = Primitive(
    "scatter",
    _index_set_impl,
    jvps=(
        lambda t, ans, x, u, idx: index_set(broadcast_like(t, ans), 0.0, idx=idx),
        lambda t, ans, x, u, idx: index_set(_zeros(ans), t, idx=idx),
    ),
    vjps=(
        lambda g, ans, x, u, idx: unbroadcast(index_set(g, 0.0, idx=idx), x),
        lambda g, ans, x, u, idx: _written_cotangent(g, x, u, idx),
    ),
    doc="x.at[idx].set(u): a copy of x with u written at idx (of repeated indices, the last wins).",
)


def _concatenate_piece(position, g, ans, *xs, axis):
    start = sum(x.shape[axis] for x in xs[:position])
    index = (slice(None),) * axis + (slice(start, start + xs[position].shape[axis]),)
    piece = getitem(g, idx=index)
    return piece if piece.dtype == xs[position].dtype else piece.astype(xs[position].dtype)


def _concatenate_tangent(position, t, ans, *xs, axis):
    pieces = [t if i == position else _zeros(x).astype(ans.dtype) for i, x in enumerate(xs)]
    return concatenate(*pieces, axis=axis)


concatenate = Primitive(
    "concatenate",
    lambda *xs, axis: xp.concatenate(xs, axis=axis),
    jvps=PerPosition(_concatenate_tangent),
    vjps=PerPosition(_concatenate_piece),
    doc="Join arrays along ``axis``. Its VJP slices the cotangent into pieces.",
)



pad = Primitive(
    "pad",
    lambda x, widths, value: xp.pad(x, widths, mode="constant", constant_values=value),
    jvps=(lambda t, ans, x, widths, value: pad(t, widths=widths, value=0.0),),
    vjps=(
        lambda g, ans, x, widths, value: getitem(
            g, idx=tuple(slice(b, b + n) for (b, _), n in zip(widths, x.shape))
        ),
    ),
    doc="Pad with a constant (``widths`` as ((before, after), ...)). Its VJP crops.",
)
