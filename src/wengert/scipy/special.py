"""SciPy's special functions on traced values: ``import wengert.scipy.special as wsp``.

The names and signatures are SciPy's, so code written against
``scipy.special`` differentiates after changing one import::

    >>> import wengert, wengert.scipy.special as wsp
    >>> float(wengert.grad(wsp.gammaln)(1.0))  # digamma(1) = -euler_gamma
    -0.5772156649015329

Most functions are primitives declared (with their derivatives) in
``wengert._src.primitives.special``; the rest are compositions. Evaluating
``erfinv``, ``erfcinv``, ``ndtri``, ``log_ndtr``, the gamma and beta families and the Bessel functions needs
SciPy (``pip install scipy``), which wengert imports only when one of them
is called; the rest (``erf``, ``erfc`` and ``ndtr`` included) run on NumPy
alone.

The Bessel functions (``jv``, ``yv``, ``iv``, ``ive``, ``kv``, ``kve`` and their
fixed orders) differentiate in ``x``, and the incomplete ``gammainc``,
``gammaincc`` and ``betainc`` in their last argument, as in SciPy, JAX and
autograd; a derivative in the order or shape parameters raises an
``ArgumentError`` that names the argument.

Conventions where the calculus needs one: ``xlogy(0, y) = 0`` with
``d/dy = 0`` there, even at ``y = 0``; ``entr'(0) = +inf`` (the one-sided
limit); ``logsumexp`` and the softmaxes shift by a maximum that carries no
derivative, so they are exact and never overflow.
"""

import math

import wengert.numpy as wnp
from wengert._src.backend import xp
from wengert._src.core.primitive import Tracer
from wengert._src.primitives import elementwise as _elementwise
from wengert._src.primitives import special as _special
from wengert._src.primitives.rules import normalize_axis
from wengert.errors import ArgumentError
from wengert.numpy._reductions import logsumexp as _logsumexp_without_weights

__all__ = [
    "beta",
    "betainc",
    "betaln",
    "digamma",
    "entr",
    "erf",
    "erfc",
    "erfcinv",
    "erfcx",
    "erfinv",
    "expit",
    "gamma",
    "gammainc",
    "gammaincc",
    "gammaln",
    "gammasgn",
    "i0",
    "i0e",
    "i1",
    "i1e",
    "iv",
    "ive",
    "j0",
    "j1",
    "jn",
    "jv",
    "k0",
    "k0e",
    "k1",
    "k1e",
    "kv",
    "kve",
    "log_expit",
    "log_ndtr",
    "log_softmax",
    "logit",
    "logsumexp",
    "multigammaln",
    "ndtr",
    "ndtri",
    "polygamma",
    "psi",
    "rgamma",
    "softmax",
    "softplus",
    "xlog1py",
    "xlogy",
    "y0",
    "y1",
    "yn",
    "yv",
]

erf, erfc, erfinv, erfcinv = _special.erf, _special.erfc, _special.erfinv, _special.erfcinv
ndtri, log_ndtr = _special.ndtri, _special.log_ndtr
gammaln, gamma, beta, betaln = _special.gammaln, _special.gamma, _special.beta, _special.betaln
digamma = psi = _special.digamma
xlogy, xlog1py = _special.xlogy, _special.xlog1py
erfcx, rgamma, gammasgn = _special.erfcx, _special.rgamma, _special.gammasgn
gammainc, gammaincc, betainc = _special.gammainc, _special.gammaincc, _special.betainc
jv, yv, iv, ive, kv, kve = _special.jv, _special.yv, _special.iv, _special.ive, _special.kv, _special.kve
expit = _elementwise.expit
softplus = _special.softplus


def polygamma(n, x):
    """The ``n``-th derivative of ``digamma``: ``polygamma(0, x) = digamma(x)``.

    ``n`` is a non-negative integer and carries no derivative;
    ``d polygamma(n, x) = polygamma(n + 1, x) dx``.

    >>> round(float(polygamma(1, 1.0)), 12)  # pi^2 / 6
    1.644934066848
    """
    return _special.polygamma(x, n=_derivative_order(n))


def _derivative_order(n) -> int:
    return _whole_number(n, "polygamma", "n", "non-negative", "the order of the derivative of digamma")


def multigammaln(a, d):
    """The log of the multivariate gamma function, ``log Gamma_d(a)``, for an integer ``d >= 1``.

    ``log Gamma_d(a) = d (d - 1) / 4 log(pi) + sum_{j<d} gammaln(a - j / 2)``, so
    ``d/da = sum_{j<d} digamma(a - j / 2)``; ``d`` carries no derivative.

    >>> round(float(multigammaln(2.5, 1)), 12) == round(math.lgamma(2.5), 12)
    True
    """
    d = _whole_number(d, "multigammaln", "d", "positive", "the dimension")
    terms = [gammaln(wnp.asarray(a) - 0.5 * j) for j in range(d)]
    return 0.25 * d * (d - 1) * math.log(math.pi) + sum(terms[1:], terms[0])


def _whole_number(n, function: str, name: str, kind: str, meaning: str) -> int:
    """``n`` as a Python int, checked to be one ``kind`` ("positive" or "non-negative") integer."""
    value = xp.asarray(n.concrete() if isinstance(n, Tracer) else n)
    if value.ndim != 0 or not (value == value.round()) or value < (1 if kind == "positive" else 0):
        raise ArgumentError(
            f"{function}: {name} must be one {kind} integer ({meaning}), got {n!r}. "
            f"For several values, call {function} once per value."
        )
    return int(value)


def j0(x):
    """Bessel function of the first kind of order 0; ``d j0(x) = -j1(x) dx``."""
    return jv(0.0, x)


def j1(x):
    """Bessel function of the first kind of order 1; ``d j1(x) = (j0(x) - jv(2, x)) / 2 dx``."""
    return jv(1.0, x)


def jn(n, x):
    """Bessel function of the first kind of integer order ``n`` (no derivative in ``n``)."""
    return jv(n, x)


def y0(x):
    """Bessel function of the second kind of order 0 (``x > 0``); ``d y0(x) = -y1(x) dx``."""
    return yv(0.0, x)


def y1(x):
    """Bessel function of the second kind of order 1 (``x > 0``)."""
    return yv(1.0, x)


def yn(n, x):
    """Bessel function of the second kind of integer order ``n`` (no derivative in ``n``)."""
    return yv(n, x)


def i0(x):
    """Modified Bessel function of the first kind of order 0; ``d i0(x) = i1(x) dx``."""
    return iv(0.0, x)


def i1(x):
    """Modified Bessel function of the first kind of order 1."""
    return iv(1.0, x)


def i0e(x):
    """``i0(x) exp(-|x|)``, without overflow."""
    return ive(0.0, x)


def i1e(x):
    """``i1(x) exp(-|x|)``, without overflow."""
    return ive(1.0, x)


def k0(x):
    """Modified Bessel function of the second kind of order 0 (``x > 0``); ``d k0(x) = -k1(x) dx``."""
    return kv(0.0, x)


def k1(x):
    """Modified Bessel function of the second kind of order 1 (``x > 0``)."""
    return kv(1.0, x)


def k0e(x):
    """``k0(x) exp(x)``, without underflow."""
    return kve(0.0, x)


def k1e(x):
    """``k1(x) exp(x)``, without underflow."""
    return kve(1.0, x)


def ndtr(x):
    """The standard normal CDF, ``Phi(x) = erfc(-x / sqrt(2)) / 2`` (accurate in both tails)."""
    return 0.5 * erfc(x * (-1.0 / math.sqrt(2.0)))


def logit(p):
    """``log(p / (1 - p))``, the inverse of ``expit``; ``d logit(p) = dp / (p (1 - p))``."""
    return wnp.log(p) - wnp.log1p(-p)


def log_expit(x):
    """``log(expit(x)) = -softplus(-x)``, accurate for large negative and positive ``x``."""
    return -softplus(-x)


def entr(x):
    """Elementwise entropy: ``-x log(x)`` for ``x > 0``, 0 at 0, ``-inf`` for ``x < 0``.

    ``d entr(x) = -(log(x) + 1) dx``, which is ``+inf`` at 0 (the limit from the right).
    """
    negative = wnp.less(x, 0)
    inside = wnp.where(negative, 1.0, x)
    return wnp.where(negative, -wnp.inf, -xlogy(inside, inside))


def logsumexp(a, axis=None, b=None, keepdims: bool = False, return_sign: bool = False):
    """``log(sum(b * exp(a)))`` over ``axis``, without overflow.

    Like SciPy's: ``b`` weights the terms (entries with ``b == 0`` are left
    out, even where ``a`` is ``inf``), and with ``return_sign=True`` the result
    is ``(log |sum|, sign(sum))`` so that negative sums can be represented.
    The gradient with respect to ``a`` is ``b exp(a) / sum(b exp(a))``.
    """
    if b is None and not return_sign:
        return _logsumexp_without_weights(a, axis, keepdims)
    a = wnp.asarray(a)
    if b is None:
        b = 1.0
    shape = xp.broadcast_shapes(a.shape, wnp.shape(b))
    a = wnp.broadcast_to(a, shape)
    axes = normalize_axis(axis, a.ndim)
    counted = wnp.where(wnp.not_equal(b, 0), a, -wnp.inf)
    peak = wnp.stop_gradient(wnp.max(counted, axis=axes, keepdims=True))
    peak = wnp.where(wnp.isfinite(peak), peak, 0.0)
    total = wnp.sum(b * wnp.exp(counted - peak), axis=axes, keepdims=True)
    if return_sign:
        sign = wnp.sign(total)
        out = wnp.log(wnp.abs(total)) + peak
    else:
        out = wnp.log(total) + peak
    if not keepdims:
        reduced = tuple(range(a.ndim)) if axes is None else axes
        out = wnp.squeeze(out, axis=reduced)
        if return_sign:
            sign = wnp.squeeze(sign, axis=reduced)
    return (out, sign) if return_sign else out


def softmax(x, axis=None):
    """``exp(x) / sum(exp(x))`` over ``axis`` (all elements when ``None``, as in SciPy).

    Stable for any input (it shifts by the maximum first); the derivative is
    ``d s = s (dx - sum(s dx))``.

    >>> softmax([0.0, 1e4]).tolist()
    [0.0, 1.0]
    """
    x = wnp.asarray(x)
    return _special.softmax(x, axis=normalize_axis(axis, x.ndim))


def log_softmax(x, axis=None):
    """``x - logsumexp(x)`` over ``axis`` (all elements when ``None``, as in SciPy).

    One primitive with a direct VJP, ``g - softmax(x) sum(g)``: stable for any
    input and cheaper than the composition it stands for.
    """
    x = wnp.asarray(x)
    return _special.log_softmax(x, axis=normalize_axis(axis, x.ndim))
