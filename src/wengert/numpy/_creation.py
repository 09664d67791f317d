"""Array creation and inspection: constants carry no derivative, so these are NumPy's own,
except that they accept traced values where NumPy would take an array."""

from wengert._src.backend import xp
from wengert.errors import ShapeError

from . import _math, _reductions, _shape
from ._core import asarray_or_tracer, concrete, is_traced, shape_of


def array(obj, dtype=None, copy: bool = True):
    """An array from ``obj``; a list holding traced values is stacked, staying differentiable."""
    from ._math import astype

    value = asarray_or_tracer(obj)
    if dtype is not None:
        value = astype(value, dtype)
    if copy and isinstance(value, xp.ndarray) and value is obj:
        value = value.copy()
    return value


def asarray(obj, dtype=None):
    """``obj`` as an array without copying (traced values pass through)."""
    return array(obj, dtype, copy=False)


def zeros_like(a, dtype=None, shape=None):
    return xp.zeros(shape_of(a) if shape is None else shape, dtype or _dtype(a))


def ones_like(a, dtype=None, shape=None):
    return xp.ones(shape_of(a) if shape is None else shape, dtype or _dtype(a))


def full_like(a, fill_value, dtype=None, shape=None):
    return xp.full(shape_of(a) if shape is None else shape, fill_value, dtype or _dtype(a))


def empty_like(a, dtype=None, shape=None):
    return zeros_like(a, dtype, shape)


def _dtype(a):
    return a.dtype if hasattr(a, "dtype") else xp.asarray(a).dtype


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
    return xp.nonzero(concrete(a))


def argwhere(a):
    return xp.argwhere(concrete(a))


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
    return xp.unique(concrete(a), **kwargs)


def result_type(*arrays_and_dtypes):
    return xp.result_type(*(getattr(a, "dtype", a) for a in arrays_and_dtypes))


# Constructors and constants: plain NumPy (their results are constants).
zeros, ones, full, empty = xp.zeros, xp.ones, xp.full, xp.empty
arange, linspace, logspace, geomspace = xp.arange, xp.linspace, xp.logspace, xp.geomspace
eye, identity, tri, meshgrid = xp.eye, xp.identity, xp.tri, xp.meshgrid
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
