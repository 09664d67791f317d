"""Each primitive's implementation in the Python array API standard, for arrays of other libraries.

A primitive's ``impl`` is NumPy's, called directly on NumPy arrays. On another library's arrays the
engine calls :func:`standard_impl`'s instead, ``impl(ns, *args, **params)`` with ``ns`` the library's
:class:`~wengert._src.backend.namespaces.ArrayNamespace` (NumPy's names over the standard and the
backend's fallbacks). A primitive whose NumPy implementation is a ufunc needs no entry: the ufunc's
name is its function in ``ns``, its operands promoted as NumPy promotes them (the standard leaves
mixed kinds, ``bool * float``, to the library). The others are in :data:`IMPLS`, keyed by primitive.

The table covers the elementwise, reduction, structural, contraction and indexing families
(``standard_indexing.py``), the softmaxes, ``xlogy`` and the ``fft`` extension (``standard_more.py``),
and the ``linalg`` extension (``standard_linalg.py``); ``tests/test_array_api_strict.py`` runs the
operator registry on array-api-strict arrays through it, and skips, naming the primitive, what the
standard has no counterpart for.
"""

from __future__ import annotations

import numpy as np

from wengert.errors import BackendError

from . import contractions, elementwise, reductions, standard_indexing, standard_linalg, standard_more, structural
from .promotion import numpy_promoted


def _ufunc(name: str):
    function_of = {}

    def impl(ns, *args):
        function = function_of.get(ns)
        if function is None:
            function = function_of[ns] = getattr(ns, name)
        return function(*numpy_promoted(ns, args))

    return impl


def _logical(name: str):
    """NumPy's logical functions take any dtype (nonzero is true); the standard's, booleans."""

    def impl(ns, *args):
        return getattr(ns, name)(*[ns.astype(a, ns.module.bool) if _is_array(a) else bool(a) for a in args])

    return impl


def _is_array(value) -> bool:
    return hasattr(value, "dtype")


def _part(name: str):
    """``real``/``imag`` of any array, as NumPy's: the standard's take complex arrays only (a real array's real
    part is itself, its imaginary part zeros)."""

    def impl(ns, x):
        if ns.numpy_dtype(x.dtype).kind == "c":
            return getattr(ns.module, name)(x)
        return x if name == "real" else ns.module.zeros_like(x)

    return impl


def _sum(ns, x, axis, keepdims):
    """NumPy's sum: a boolean array counts in int64 (other dtypes promote alike in NumPy and the standard)."""
    if ns.numpy_dtype(x.dtype) == np.bool_:
        x = ns.astype(x, ns.module.int64)
    return ns.sum(x, axis=axis, keepdims=keepdims)


def _astype(ns, x, dtype):
    """NumPy's cast; complex to real keeps the real part (the standard leaves that cast undefined)."""
    if ns.numpy_dtype(x.dtype).kind == "c" and ns.numpy_dtype(dtype).kind != "c":
        x = ns.module.real(x)
    return ns.astype(x, dtype)


def _cumsum(ns, x, axis):
    """NumPy's cumsum: ``axis=None`` runs over the flattened array."""
    if axis is None:
        x, axis = ns.reshape(x, (-1,)), 0
    return ns.cumulative_sum(x, axis=axis)


def _arg_extremum(name: str):
    """``argmax``/``argmin``; NumPy's ``axis=None`` counts in the flattened array, as the standard's does."""

    def impl(ns, x, axis, keepdims):
        return getattr(ns.module, name)(x, axis=axis, keepdims=keepdims)

    return impl


IMPLS = {
    elementwise.expit: lambda ns, x: ns.exp(-ns.logaddexp(0.0, -x)),
    elementwise.real: _part("real"),
    elementwise.imag: _part("imag"),
    elementwise.logical_not: _logical("logical_not"),
    elementwise.logical_and: _logical("logical_and"),
    elementwise.logical_or: _logical("logical_or"),
    elementwise.logical_xor: _logical("logical_xor"),
    elementwise.where: lambda ns, c, x, y: ns.where(ns.astype(c, ns.module.bool), *numpy_promoted(ns, (x, y))),
    elementwise.stop_gradient: lambda ns, x: x,
    structural.reshape: lambda ns, x, shape: ns.reshape(x, shape),
    structural.transpose: lambda ns, x, axes: ns.permute_dims(x, tuple(range(x.ndim))[::-1] if axes is None else axes),
    structural.broadcast_to: lambda ns, x, shape: ns.broadcast_to(x, shape),
    structural.flip: lambda ns, x, axes: ns.flip(x, axis=axes),
    structural.reduce_sum: _sum,
    structural.reduce_mean: lambda ns, x, axis, keepdims: ns.mean(x, axis=axis, keepdims=keepdims),
    structural.astype: _astype,
    reductions.reduce_max: lambda ns, x, axis, keepdims: ns.max(x, axis=axis, keepdims=keepdims),
    reductions.reduce_min: lambda ns, x, axis, keepdims: ns.min(x, axis=axis, keepdims=keepdims),
    reductions.argmax: _arg_extremum("argmax"),
    reductions.argmin: _arg_extremum("argmin"),
    reductions.reduce_all: lambda ns, x, axis, keepdims: ns.all(x, axis=axis, keepdims=keepdims),
    reductions.reduce_any: lambda ns, x, axis, keepdims: ns.any(x, axis=axis, keepdims=keepdims),
    reductions.argsort: lambda ns, x, axis, stable: ns.argsort(
        ns.reshape(x, (-1,)) if axis is None else x, axis=0 if axis is None else axis, stable=stable
    ),
    reductions.cumsum: _cumsum,
    contractions.matmul: lambda ns, a, b: ns.matmul(*numpy_promoted(ns, (a, b))),
    contractions.einsum: lambda ns, *operands, spec: ns.einsum(spec, *operands),
    contractions.tensordot: lambda ns, a, b, axes: ns.tensordot(a, b, axes=axes),
    **standard_indexing.IMPLS,
    **standard_more.IMPLS,
    **standard_linalg.IMPLS,
}
"""Primitive -> its implementation ``impl(ns, *args, **params)`` in the standard (ufunc primitives derive theirs)."""

_DERIVED: dict = {}


def register(prim, impl) -> None:
    """Declare ``prim``'s implementation in the standard where ``prim`` is declared above the primitives: the
    control-flow primitives of ``transforms/control_flow.py``, whose implementations run programs."""
    IMPLS[prim] = impl


def standard_impl(prim):
    """``prim``'s implementation in the standard, ``impl(ns, *args, **params)``; refused if it has none yet."""
    impl = IMPLS.get(prim) or _DERIVED.get(prim)
    if impl is None:
        if not isinstance(prim.impl, np.ufunc):
            raise BackendError(
                f"{prim.name}: this primitive has no implementation in the array API standard yet, so it runs on "
                "NumPy arrays only; convert the arrays to NumPy (or add it to wengert/_src/primitives/standard.py)."
            )
        impl = _DERIVED[prim] = _ufunc(prim.impl.__name__)
    return impl
