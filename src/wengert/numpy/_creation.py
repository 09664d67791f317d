"""Array creation and inspection: constants carry no derivative, so these are NumPy's own,
except that they accept traced values where NumPy would take an array (the values that fill
an array, ``full``'s and ``linspace``'s, are then differentiated)."""

from wengert._src.backend import dtype_of, namespace, xp
from wengert._src.core.primitive import known_value
from wengert._src.transforms.foreign_arrays import like
from wengert._src.transforms.stage import as_array
from wengert.errors import ShapeError

from . import _math, _reductions, _shape
from ._core import asarray_or_tracer, concrete, is_traced, shape_of


def array(obj, dtype=None, copy: bool = True):
    """An array from ``obj``; a list holding traced values is stacked, staying differentiable."""
    value = as_array(asarray_or_tracer(obj))  # a Python number jit stages is an array here, as without jit
    if dtype is not None:
        value = _math.astype(value, dtype)
    if copy and isinstance(value, xp.ndarray) and value is obj:
        value = value.copy()
    return value


def asarray(obj, dtype=None):
    """``obj`` as an array without copying (traced values pass through)."""
    return array(obj, dtype, copy=False)


def zeros_like(a, dtype=None, shape=None):
    return xp.zeros(shape_of(a) if shape is None else shape, dtype or dtype_of(a))


def ones_like(a, dtype=None, shape=None):
    return xp.ones(shape_of(a) if shape is None else shape, dtype or dtype_of(a))


def full(shape, fill_value, dtype=None):
    """An array of ``shape`` filled with ``fill_value`` (broadcast, as NumPy does).

    A traced ``fill_value`` is broadcast to the shape, so every element carries its
    derivative: ``d full(s, v) = broadcast(dv)``, and the gradient of ``v`` sums the elements'.
    """
    if not is_traced(fill_value):
        return xp.full(shape, fill_value, dtype)
    value = asarray_or_tracer(fill_value)
    if dtype is not None:
        value = _math.astype(value, dtype)
    return _shape.broadcast_to(value, (shape,) if isinstance(shape, int) else tuple(shape))


def full_like(a, fill_value, dtype=None, shape=None):
    return full(shape_of(a) if shape is None else shape, fill_value, dtype or dtype_of(a))


def empty_like(a, dtype=None, shape=None):
    return zeros_like(a, dtype, shape)


def shape(a) -> tuple:
    return shape_of(a)


def ndim(a) -> int:
    return len(shape_of(a))


def size(a, axis=None) -> int:
    s = shape_of(a)
    if axis is not None:
        return s[axis]
    n = 1
    for d in s:
        n *= d
    return n


def allclose(a, b, rtol=1e-5, atol=1e-8, equal_nan=False) -> bool:
    return bool(xp.allclose(concrete(a), concrete(b), rtol, atol, equal_nan))


def isclose(a, b, rtol=1e-5, atol=1e-8, equal_nan=False):
    """Elementwise ``|a - b| <= atol + rtol |b|`` (infinities close only to themselves), no derivative."""
    if not (is_traced(a) or is_traced(b)):
        return xp.isclose(a, b, rtol, atol, equal_nan)
    m = _math
    a, b = m.stop_gradient(asarray_or_tracer(a)), m.stop_gradient(asarray_or_tracer(b))
    finite = m.logical_and(m.isfinite(a), m.isfinite(b))
    safe_a, safe_b = m.where(finite, a, 0.0), m.where(finite, b, 0.0)
    close = m.where(finite, m.less_equal(m.abs(safe_a - safe_b), atol + rtol * m.abs(safe_b)), m.equal(a, b))
    return m.logical_or(close, m.logical_and(m.isnan(a), m.isnan(b))) if equal_nan else close


def array_equal(a, b) -> bool:
    return bool(xp.array_equal(concrete(a), concrete(b)))


def nonzero(a):
    values = concrete(a)
    return tuple(like(a, indices) for indices in namespace(values).nonzero(values))


def argwhere(a):
    values = concrete(a)
    return like(a, namespace(values).argwhere(values))


def searchsorted(a, v, side: str = "left"):
    """Where each ``v`` would go in the sorted 1-D ``a`` to keep it sorted (integer output, no derivative).

    On traced values it counts, for each ``v``, the entries of ``a`` that sort before it
    (``a < v`` for ``side="left"``, ``a <= v`` for ``"right"``; nan sorts last, as in NumPy):
    ``len(a) · len(v)`` comparisons instead of a binary search, but a program that ``vmap``
    and ``jit`` can run.
    """
    if side not in ("left", "right"):
        raise ValueError(f"searchsorted: side must be 'left' or 'right', got {side!r}")
    if not (is_traced(a) or is_traced(v)):
        return xp.searchsorted(a, v, side)
    m = _math
    a, v = m.stop_gradient(asarray_or_tracer(a)), m.stop_gradient(asarray_or_tracer(v))
    if a.ndim != 1:
        raise ShapeError(f"searchsorted: the sorted array must be 1-D, got shape {a.shape}")
    v = _shape.reshape(v, tuple(v.shape) + (1,))
    if side == "left":
        before = m.logical_or(m.less(a, v), m.logical_and(m.isnan(v), m.logical_not(m.isnan(a))))
    else:
        before = m.logical_or(m.less_equal(a, v), m.isnan(v))
    return _reductions.sum(before, axis=-1)


def unique(a, **kwargs):
    values = concrete(a)
    return like(a, namespace(values).unique(values, **kwargs))


def result_type(*arrays_and_dtypes):
    return xp.result_type(*(getattr(a, "dtype", a) for a in arrays_and_dtypes))


def linspace(start, stop, num: int = 50, endpoint: bool = True, retstep: bool = False, dtype=None, axis: int = 0):
    """``num`` evenly spaced values from ``start`` to ``stop``, as NumPy's ``linspace``.

    Traced ends are differentiated: the k-th value is ``start + k (stop - start) / d`` (``d =
    num - 1`` with the endpoint, ``num`` without), and the last is ``stop`` itself when the
    endpoint is included, as in NumPy.
    """
    if not (is_traced(start) or is_traced(stop)):
        return xp.linspace(start, stop, num, endpoint, retstep, dtype, axis)
    start, stop = _as_float_ends(start, stop)
    if num < 0:
        raise ValueError(f"linspace: the number of samples, {num}, must be non-negative")
    divisions = num - 1 if endpoint else num
    ends_shape = xp.broadcast_shapes(start.shape, stop.shape)
    steps = xp.arange(num, dtype=start.dtype).reshape((num,) + (1,) * len(ends_shape))
    step = (stop - start) / divisions if divisions > 0 else xp.nan  # NumPy's step of a single sample
    values = start + steps * step if divisions > 0 else start + steps * (stop - start)
    if endpoint and num > 1:
        values = values.at[-1].set(_shape.broadcast_to(stop, ends_shape))
    values = _shape.moveaxis(values, 0, axis) if axis != 0 else values
    if dtype is not None:
        values = _math.astype(values, dtype)
    return (values, step) if retstep else values


def _as_float_ends(start, stop) -> tuple:
    """``start`` and ``stop`` as arrays of the float dtype NumPy's ``linspace`` computes in."""
    start, stop = asarray_or_tracer(start), asarray_or_tracer(stop)
    dtype = xp.result_type(start.dtype, stop.dtype, 1.0)
    return _math.astype(start, dtype, copy=False), _math.astype(stop, dtype, copy=False)


def logspace(start, stop, num: int = 50, endpoint: bool = True, base=10.0, dtype=None, axis: int = 0):
    """``base ** linspace(start, stop, ...)``, as NumPy's ``logspace`` (traced ends and base differentiated)."""
    if not (is_traced(start) or is_traced(stop) or is_traced(base)):
        return xp.logspace(start, stop, num, endpoint, base, dtype, axis)
    exponents = linspace(start, stop, num, endpoint, axis=axis)
    if isinstance(base, (int, float)):  # a Python number keeps the exponents' dtype, as in NumPy
        base = xp.asarray(base, exponents.dtype)
    values = _math.power(asarray_or_tracer(base), exponents)
    return values if dtype is None else _math.astype(values, dtype)


def geomspace(start, stop, num: int = 50, endpoint: bool = True, dtype=None, axis: int = 0):
    """Values spaced evenly on a log scale from ``start`` to ``stop`` (both of one sign), as NumPy's ``geomspace``.

    Traced ends are differentiated through ``sign · exp(linspace(log|start|, log|stop|))``; the
    first and (with the endpoint) last values are ``start`` and ``stop`` themselves, as in NumPy.
    """
    if not (is_traced(start) or is_traced(stop)):
        return xp.geomspace(start, stop, num, endpoint, dtype, axis)
    start, stop = asarray_or_tracer(start), asarray_or_tracer(stop)
    dtype_of_numpy = xp.geomspace(xp.ones((), start.dtype), xp.ones((), stop.dtype), 1).dtype
    start, stop = _math.astype(start, dtype_of_numpy, copy=False), _math.astype(stop, dtype_of_numpy, copy=False)
    known_start, known_stop = known_value(start), known_value(stop)
    signs = None if known_start is None or known_stop is None else _math.sign(start) * _math.sign(stop)
    same_sign = signs is None or bool(_reductions.all(signs > 0))
    if not same_sign:
        raise ValueError("geomspace: start and stop must be non-zero and of one sign to differentiate them")
    sign = _math.stop_gradient(_math.sign(start))
    logs = linspace(_math.log(sign * start), _math.log(sign * stop), num, endpoint)
    values = sign * _math.exp(logs)
    if num > 0:
        values = values.at[0].set(_shape.broadcast_to(start, values.shape[1:]))
    if endpoint and num > 1:
        values = values.at[-1].set(_shape.broadcast_to(stop, values.shape[1:]))
    values = _shape.moveaxis(values, 0, axis) if axis != 0 else values
    return values if dtype is None else _math.astype(values, dtype)


def meshgrid(*xi, copy: bool = True, sparse: bool = False, indexing: str = "xy"):
    """Coordinate arrays from 1-D coordinate vectors, as NumPy's ``meshgrid`` (traced vectors differentiated)."""
    if not any(is_traced(x) for x in xi):
        return xp.meshgrid(*xi, copy=copy, sparse=sparse, indexing=indexing)
    if indexing not in ("xy", "ij"):
        raise ValueError(f"meshgrid: indexing must be 'xy' or 'ij', got {indexing!r}")
    vectors = [_shape.ravel(asarray_or_tracer(x)) for x in xi]
    ndim = len(vectors)
    grids = []
    for i, vector in enumerate(vectors):
        shape = [1] * ndim
        shape[i] = vector.shape[0]
        if indexing == "xy" and ndim > 1 and i < 2:
            shape[0], shape[1] = shape[1], shape[0]
        grids.append(_shape.reshape(vector, tuple(shape)))
    if sparse:
        return tuple(grids)
    return tuple(_shape.broadcast_arrays(*grids))


# Constructors and constants: plain NumPy (their results are constants).
zeros, ones, empty = xp.zeros, xp.ones, xp.empty
arange = xp.arange
eye, identity, tri = xp.eye, xp.identity, xp.tri
indices, mgrid, ogrid, ix_ = xp.indices, xp.mgrid, xp.ogrid, xp.ix_
newaxis, pi, e, inf, nan, euler_gamma = None, xp.pi, xp.e, xp.inf, xp.nan, xp.euler_gamma
float16, float32, float64, int8, int16, int32, int64 = (
    xp.float16, xp.float32, xp.float64, xp.int8, xp.int16, xp.int32, xp.int64,
)
uint8, bool_, intp, dtype, finfo, iinfo, ndarray = xp.uint8, xp.bool_, xp.intp, xp.dtype, xp.finfo, xp.iinfo, xp.ndarray
issubdtype, floating, integer, inexact, number = xp.issubdtype, xp.floating, xp.integer, xp.inexact, xp.number
random = xp.random


__all__ = [  # what ``from ._creation import *`` gives the namespace (not the helpers imported here)
    "array", "asarray", "zeros_like", "ones_like", "full_like", "empty_like", "shape", "ndim", "size",
    "allclose", "isclose", "array_equal", "nonzero", "argwhere", "searchsorted", "unique", "result_type",
    "zeros", "ones", "full", "empty", "arange", "linspace", "logspace", "geomspace", "eye", "identity",
    "tri", "meshgrid", "indices", "mgrid", "ogrid", "ix_", "newaxis", "pi", "e", "inf", "nan",
    "euler_gamma", "float16", "float32", "float64", "int8", "int16", "int32", "int64", "uint8", "bool_",
    "intp", "dtype", "finfo", "iinfo", "ndarray", "issubdtype", "floating", "integer", "inexact", "number",
]
