"""The special-function and Fourier primitives in the array API standard, where the standard has them.

The softmaxes, ``softplus`` and ``xlogy`` are compositions of the standard's elementwise functions and
reductions. The other special functions are not in the standard: each is the library's own (SciPy's name in
``torch.special`` or ``jax.scipy.special``: ``backend/fallbacks.py``), refused by name
where the library has none (array-api-strict has none). The Fourier primitives are the standard's ``fft``
extension (``fftn``, ``ifftn``, ``rfftn``, ``irfftn``, which take NumPy's ``s``, ``axes`` and ``norm``), where
the library has it (``BackendError`` where not). The linear-algebra primitives are in ``standard_linalg.py``.
"""

from __future__ import annotations

from wengert.errors import BackendError

from ..backend.fallbacks import special_function
from . import fourier, special
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


def _fft(name: str):
    """The standard's ``fft.<name>`` (an n-dimensional transform), where the library has the extension."""

    def impl(ns, x, axes, norm, lengths=None):
        extension = getattr(ns.module, "fft", None)
        if extension is None or not hasattr(extension, name):
            raise BackendError(
                f"fft.{name}: {ns.name} has no fft extension of the array API standard; call it on NumPy arrays."
            )
        return getattr(extension, name)(x, s=lengths, axes=axes, norm=norm)

    return impl


def _special(name: str):
    """SciPy's ``special.<name>`` as the library has it (``backend.fallbacks.special_function``): its Python numbers
    made arrays of the arrays' dtype, and the result in the arrays' floating dtype (float32 stays float32)."""

    def impl(ns, *args):
        args = numpy_promoted(ns, args)
        dtype = next(a.dtype for a in args if hasattr(a, "dtype"))
        args = [a if hasattr(a, "dtype") else ns.asarray(a, dtype=dtype, device=ns.device) for a in args]
        out = special_function(ns, name)(*args)
        return ns.astype(out, dtype) if ns.numpy_dtype(dtype).kind == "f" and out.dtype != dtype else out

    return impl


SCIPY_FUNCTIONS = (
    "erf", "erfc", "erfinv", "erfcinv", "erfcx", "ndtri", "log_ndtr", "digamma", "gammaln", "gamma", "rgamma",
    "gammasgn", "betaln", "beta", "gammainc", "gammaincc", "betainc", "jv", "yv", "iv", "ive", "kv", "kve",
)  # fmt: skip
"""The special-function primitives that are SciPy's function of the same name and arguments."""

IMPLS = {
    **{getattr(special, name): _special(name) for name in SCIPY_FUNCTIONS},
    special.polygamma: lambda ns, x, n: special_function(ns, "polygamma")(int(n), x),
    fourier.fft: _fft("fftn"),
    fourier.ifft: _fft("ifftn"),
    fourier.rfft: _fft("rfftn"),
    fourier.irfft: _fft("irfftn"),
    special.softplus: lambda ns, x: ns.logaddexp(0.0, x),
    special.softmax: _softmax,
    special.log_softmax: _log_softmax,
    special.xlogy: _x_times_log("log"),
    special.xlog1py: _x_times_log("log1p"),
}
"""Special and Fourier primitives -> their implementations in the standard (``standard.IMPLS`` takes them in)."""
