"""The special-function and linear-algebra primitives in the array API standard, where the standard has them.

The softmaxes, ``softplus`` and ``xlogy`` are compositions of the standard's elementwise functions and
reductions. The linear-algebra primitives are the standard's ``linalg`` extension, where the library has
it (``BackendError`` where not). The others (``erf``, ``gammaln``, the Bessel functions ...) have no
counterpart in the standard and stay on NumPy arrays.
"""

from __future__ import annotations

from wengert.errors import BackendError

from . import linalg, special
from .promotion import numpy_promoted


def _shifted_by_max(ns, x, axis):
    peak = ns.max(x, axis=axis, keepdims=True)
    return x - ns.where(ns.isfinite(peak), peak, 0.0)


def _log_softmax(ns, x, axis):
    shifted = _shifted_by_max(ns, x, axis)
    return shifted - ns.log(ns.sum(ns.exp(shifted), axis=axis, keepdims=True))


def _softmax(ns, x, axis):
    unnormalized = ns.exp(_shifted_by_max(ns, x, axis))
    return unnormalized / ns.sum(unnormalized, axis=axis, keepdims=True)


def _x_times_log(log_name: str):
    """``x * log(y)`` (or ``log1p``), 0 where ``x == 0`` unless ``y`` is nan, as SciPy's ``xlogy``."""

    def impl(ns, x, y):
        x, y = numpy_promoted(ns, (ns.asarray(x, device=ns.device), ns.asarray(y, device=ns.device)))
        out = x * getattr(ns, log_name)(y)
        return ns.where((x == 0) & ~ns.isnan(y), ns.zeros_like(out), out)

    return impl


def _linalg(name: str, **fixed):
    """The standard's ``linalg.<name>``, where the library has the extension."""

    def impl(ns, *args, **params):
        extension = getattr(ns.module, "linalg", None)
        if extension is None or not hasattr(extension, name):
            raise BackendError(
                f"linalg.{name}: {ns.name} has no linalg extension of the array API standard; "
                "call it on NumPy arrays."
            )
        return getattr(extension, name)(*args, **params, **fixed)

    return impl


def _eigh(ns, a, lower=True):
    """The standard's ``eigh`` reads the lower triangle (as NumPy's default); the upper one mirrored first."""
    if not lower:
        a = ns.permute_dims(a, (*range(a.ndim - 2), a.ndim - 1, a.ndim - 2))
    return tuple(_linalg("eigh")(ns, a))


def _triangular_solve(ns, a, b, lower, transpose_a):
    """``op(A)⁻¹ B`` reading one triangle of ``A``: the standard's general ``solve`` on that triangle."""
    triangle = ns.tril(a) if lower else ns.triu(a)
    if transpose_a:
        triangle = ns.permute_dims(triangle, (*range(a.ndim - 2), a.ndim - 1, a.ndim - 2))
    return _linalg("solve")(ns, triangle, b)


IMPLS = {
    special.softplus: lambda ns, x: ns.logaddexp(0.0, x),
    special.softmax: _softmax,
    special.log_softmax: _log_softmax,
    special.xlogy: _x_times_log("log"),
    special.xlog1py: _x_times_log("log1p"),
    linalg.inv: _linalg("inv"),
    linalg.det: _linalg("det"),
    linalg.cholesky: _linalg("cholesky"),
    linalg.slogdet: lambda ns, a: tuple(_linalg("slogdet")(ns, a)),
    linalg.eigh: _eigh,
    linalg.svd: lambda ns, a: tuple(_linalg("svd", full_matrices=False)(ns, a)),
    linalg.qr: lambda ns, a: tuple(_linalg("qr", mode="reduced")(ns, a)),
    linalg.solve: _linalg("solve"),
    linalg.triangular_solve: _triangular_solve,
    linalg.pinv: lambda ns, a, rcond, hermitian: _linalg("pinv")(ns, a, rtol=rcond),
}
"""Special and linear-algebra primitives -> their implementations in the standard (``standard.IMPLS`` takes them in)."""
