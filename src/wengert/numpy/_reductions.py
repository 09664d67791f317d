"""Reductions of the NumPy face: sum, prod, mean, var, max, cumsum, cumprod, ...

``axis`` may be ``None``, an int, negative, or a tuple, and ``keepdims``
keeps reduced axes with size one, as in NumPy. ``prod`` and ``cumprod`` are
built from multiplications (a pairwise tree, a doubling scan) rather than
from ``sum / x``, so their derivatives are exact at zeros and to any order.
"""

import warnings

from wengert._src.backend import reduced_count, xp
from wengert._src.primitives import reductions as red
from wengert._src.primitives.rules import normalize_axis
from wengert._src.primitives.structural import reduce_mean, reduce_sum
from wengert._src.transforms.foreign_arrays import like

from ._core import asarray_or_tracer, is_traced, ndim_of, shape_of
from ._math import (
    astype,
    conj,
    exp,
    isfinite,
    isnan,
    log,
    logical_not,
    maximum,
    minimum,
    not_equal,
    real,
    sqrt,
    stop_gradient,
    where,
)
from ._shape import (
    broadcast_to,
    concatenate,
    moveaxis,
    ravel,
    reshape,
    sort,
    squeeze,
    take,
)


def _prepare(a, axis):
    a = asarray_or_tracer(a)
    return a, normalize_axis(axis, a.ndim)


def sum(a, axis=None, dtype=None, keepdims: bool = False):
    """Sum of elements over ``axis``."""
    a, axes = _prepare(a, axis)
    return _sum(a, axes, dtype, keepdims)


def _sum(a, axes, dtype, keepdims):
    """:func:`sum` of an array or tracer over normalized ``axes``."""
    if dtype is not None:
        a = astype(a, dtype)
    if a.dtype == xp.bool_:
        a = a.astype(xp.int64)
    return reduce_sum(a, axis=axes, keepdims=bool(keepdims))


def mean(a, axis=None, dtype=None, keepdims: bool = False):
    """Arithmetic mean over ``axis`` (integers and booleans are averaged in float64, as in NumPy)."""
    a, axes = _prepare(a, axis)
    if dtype is not None:
        a = astype(a, dtype)
    elif a.dtype.kind not in "fc":
        a = astype(a, xp.float64)
    return reduce_mean(a, axis=axes, keepdims=bool(keepdims))


def var(a, axis=None, dtype=None, ddof: int = 0, keepdims: bool = False, *, correction=None):
    """Variance, ``sum(|a - mean|^2) / (n - ddof)`` (real for complex ``a``, as NumPy's).

    With ``ddof >= n`` the divisor is 0, as in NumPy (which divides by ``max(n - ddof, 0)``): inf, or
    nan for a constant slice, with NumPy's warning that the degrees of freedom are <= 0.
    """
    a, axes = _prepare(a, axis)
    ddof = ddof if correction is None else correction
    count = reduced_count(a.shape, axes)
    if ddof >= count:
        warnings.warn("Degrees of freedom <= 0 for slice", RuntimeWarning, stacklevel=2)
    centered = a - mean(a, axes, dtype, keepdims=True)
    squares = real(centered * conj(centered)) if centered.dtype.kind == "c" else centered * centered
    return sum(squares, axes, dtype, keepdims) / (count - ddof if count > ddof else 0)


def std(a, axis=None, dtype=None, ddof: int = 0, keepdims: bool = False, *, correction=None):
    """Standard deviation, ``sqrt(var)``."""
    return sqrt(var(a, axis, dtype, ddof, keepdims, correction=correction))


def max(a, axis=None, keepdims: bool = False, initial=None):
    """Maximum over ``axis``; tied maxima share the gradient evenly."""
    a, axes = _prepare(a, axis)
    if initial is not None and reduced_count(a.shape, axes) == 0:
        return _initial_over_no_elements(a, axes, keepdims, initial)
    out = red.reduce_max(a, axis=axes, keepdims=bool(keepdims))
    return out if initial is None else maximum(out, initial)


def min(a, axis=None, keepdims: bool = False, initial=None):
    """Minimum over ``axis``; tied minima share the gradient evenly."""
    a, axes = _prepare(a, axis)
    if initial is not None and reduced_count(a.shape, axes) == 0:
        return _initial_over_no_elements(a, axes, keepdims, initial)
    out = red.reduce_min(a, axis=axes, keepdims=bool(keepdims))
    return out if initial is None else minimum(out, initial)


def _initial_over_no_elements(a, axes, keepdims, initial):
    """NumPy's ``max``/``min`` with ``initial`` over no elements: ``initial``, in ``a``'s dtype, with the
    reduced shape (it depends on no element of ``a``, so it carries no derivative)."""
    axes = range(a.ndim) if axes is None else axes
    shape = tuple(1 if i in axes else d for i, d in enumerate(a.shape) if keepdims or i not in axes)
    return xp.full(shape, initial, dtype=a.dtype)


def _maximum(x, y):
    return maximum(x, y)


def _minimum(x, y):
    return minimum(x, y)


amax, amin = max, min


def ptp(a, axis=None, keepdims: bool = False):
    """Range, max - min."""
    return max(a, axis, keepdims) - min(a, axis, keepdims)


def argmax(a, axis=None, keepdims: bool = False):
    return red.argmax(asarray_or_tracer(a), axis=axis, keepdims=keepdims)


def argmin(a, axis=None, keepdims: bool = False):
    return red.argmin(asarray_or_tracer(a), axis=axis, keepdims=keepdims)


def all(a, axis=None, keepdims: bool = False):
    """Whether every element over ``axis`` is nonzero (no derivative)."""
    a, axes = _prepare(a, axis)
    return red.reduce_all(a, axis=axes, keepdims=bool(keepdims))


def any(a, axis=None, keepdims: bool = False):
    """Whether some element over ``axis`` is nonzero (no derivative)."""
    a, axes = _prepare(a, axis)
    return red.reduce_any(a, axis=axes, keepdims=bool(keepdims))


def count_nonzero(a, axis=None, keepdims: bool = False):
    """How many elements over ``axis`` are nonzero (an integer count: no derivative)."""
    a = asarray_or_tracer(a)
    if not is_traced(a):
        return xp.count_nonzero(a, axis=axis, keepdims=keepdims)
    return sum(not_equal(a, 0), axis, keepdims=keepdims)


def prod(a, axis=None, dtype=None, keepdims: bool = False):
    """Product over ``axis``, as a pairwise tree of multiplications (exact at zeros)."""

    a, axes = _prepare(a, axis)
    if dtype is not None:
        a = astype(a, dtype)
    out_shape = tuple(1 if axes is None or i in axes else d for i, d in enumerate(a.shape))
    if not keepdims:
        out_shape = tuple(d for i, d in enumerate(a.shape) if not (axes is None or i in axes))
    axes = tuple(range(a.ndim)) if axes is None else axes
    kept = [i for i in range(a.ndim) if i not in axes]
    a = reshape(moveaxis(a, axes, tuple(range(len(axes)))), (-1,) + tuple(a.shape[i] for i in kept))
    while a.shape[0] > 1:
        if a.shape[0] % 2:
            a = _concat_one(a)
        a = a[0::2] * a[1::2]
    if a.shape[0] == 0:
        a = _ones_row(a)
    return reshape(a[0], out_shape)


def _concat_one(a):

    return concatenate([a, _ones_row(a)], axis=0)


def _ones_row(a):
    return xp.ones((1,) + tuple(a.shape[1:]), dtype=a.dtype)


def cumsum(a, axis=None, dtype=None):
    """Running sum along ``axis`` (flattened when ``axis`` is None)."""

    a = asarray_or_tracer(a)
    if axis is None:
        a, axis = ravel(a), 0
    if dtype is not None:
        a = astype(a, dtype)
    return red.cumsum(a, axis=normalize_axis(axis, a.ndim)[0])


def cumprod(a, axis=None, dtype=None):
    """Running product along ``axis``, by a doubling scan of multiplications (exact at zeros)."""

    a = asarray_or_tracer(a)
    if axis is None:
        a, axis = ravel(a), 0
    if dtype is not None:
        a = astype(a, dtype)
    axis = normalize_axis(axis, a.ndim)[0]
    a = moveaxis(a, axis, 0)
    n = a.shape[0]
    shift = 1
    while shift < n:
        ones = xp.ones((shift,) + tuple(a.shape[1:]), dtype=a.dtype)
        a = a * concatenate([ones, a[: n - shift]], axis=0)
        shift *= 2
    return moveaxis(a, 0, axis)


def average(a, axis=None, weights=None, returned: bool = False, keepdims: bool = False):
    """Weighted mean, ``sum(a w) / sum(w)``."""
    if weights is None:
        out = mean(a, axis, keepdims=keepdims)
        count = reduced_count(shape_of(a), normalize_axis(axis, ndim_of(a)))
        total = like(out, xp.full(shape_of(out), count, dtype=out.dtype))
    else:
        w = weights if shape_of(weights) == shape_of(a) else _align_weights(weights, a, axis)
        total = sum(broadcast_to(w, shape_of(a)), axis, keepdims=keepdims)
        out = sum(a * w, axis, keepdims=keepdims) / total
    return (out, total) if returned else out


def _align_weights(weights, a, axis):

    shape = [1] * ndim_of(a)
    shape[normalize_axis(axis, ndim_of(a))[0]] = shape_of(weights)[0]
    return reshape(weights, tuple(shape))


def median(a, axis=None, keepdims: bool = False):
    """The middle value (mean of the two middle ones for even counts); over no elements nan, as NumPy's
    (the mean of an empty slice, with its warning)."""
    a, axes = _prepare(a, axis)
    if reduced_count(a.shape, axes) == 0:
        return mean(a, axes, keepdims=keepdims)
    return quantile(a, 0.5, axis=axes, keepdims=keepdims)


def quantile(a, q, axis=None, keepdims: bool = False):
    """Quantile(s) ``q`` in [0, 1] by linear interpolation (NumPy's default method).

    ``axis`` may be None, an int or a tuple: the reduced axes are merged into
    one, sorted, and the two order statistics around ``q (n - 1)`` are mixed.
    """

    a = asarray_or_tracer(a)
    shape = a.shape
    axes = normalize_axis(axis, a.ndim)
    axes = tuple(range(a.ndim)) if axes is None else axes
    kept = tuple(d for i, d in enumerate(shape) if i not in axes)
    merged = reshape(moveaxis(a, axes, tuple(range(len(axes)))), (-1,) + kept)
    s = sort(merged, axis=0)
    n = s.shape[0]
    q_arr = xp.asarray(q, dtype=float)
    position = q_arr * (n - 1)
    lo = xp.floor(position).astype(int)
    hi = xp.minimum(lo + 1, n - 1)
    frac = (position - lo).reshape(q_arr.shape + (1,) * len(kept)).astype(s.dtype)
    out = take(s, lo, axis=0) * (1.0 - frac) + take(s, hi, axis=0) * frac
    if keepdims:
        out = reshape(out, q_arr.shape + tuple(1 if i in axes else d for i, d in enumerate(shape)))
    return out


def percentile(a, q, axis=None, keepdims: bool = False):
    """Percentile(s) ``q`` in [0, 100]."""
    return quantile(a, xp.asarray(q, dtype=float) / 100.0, axis=axis, keepdims=keepdims)


def nansum(a, axis=None, keepdims: bool = False):
    """Sum treating nan as zero (nan entries get zero gradient)."""
    return sum(where(isnan(a), 0.0, a), axis, keepdims=keepdims)


def nanmean(a, axis=None, keepdims: bool = False):
    """Mean over the non-nan entries."""
    a = asarray_or_tracer(a)
    count = astype(sum(logical_not(isnan(a)), axis, keepdims=keepdims), a.dtype)
    return nansum(a, axis, keepdims) / count


def logsumexp(a, axis=None, keepdims: bool = False):
    """log(sum(exp(a))) computed stably: shift by the (constant) max first."""
    a, axes = _prepare(a, axis)
    m = stop_gradient(max(a, axes, keepdims=True))
    m = where(isfinite(m), m, 0.0)
    out = log(sum(exp(a - m), axes, keepdims=True)) + m
    if not keepdims:
        out = squeeze(out, axis=axes if axes is not None else tuple(range(a.ndim)))
    return out
