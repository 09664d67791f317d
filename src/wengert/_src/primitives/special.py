"""Special-function primitives: error functions, the gamma and beta families, Bessel functions, softplus, softmax.

Each is declared with its derivative, written with wengert's own primitives,
so that every order works (the derivative chains close on themselves):

    d erf(x)           =  2/sqrt(pi) exp(-x^2) dx
    d erfinv(y)        =  sqrt(pi)/2 exp(erfinv(y)^2) dy
    d gammaln(x)       =  digamma(x) dx
    d digamma(x)       =  polygamma(1, x) dx
    d polygamma(n, x)  =  polygamma(n + 1, x) dx
    d J_v(x)           =  (J_{v-1}(x) - J_{v+1}(x)) / 2 dx      (and Y, I, K alike)
    d P(a, x)          =  x^(a-1) e^(-x) / Gamma(a) dx         (gammainc; none in a)
    d softplus(x)      =  expit(x) dx
    d softmax(x)       =  s * (dx - sum(s dx)),          s = softmax(x)
    d log_softmax(x)   =  dx - sum(s dx)

SciPy is optional: an implementation that needs it imports it when first
called and, when it is missing, raises a :class:`~wengert.errors.MissingDependencyError`
that says how to install it. ``erf`` and ``erfc`` fall back to Python's
``math`` module (slower, one element at a time), so that the exact GELU
needs nothing beyond NumPy. ``xlogy``, ``xlog1py``, ``softplus`` and the
softmaxes are plain NumPy.
"""

import math

from wengert.errors import ArgumentError, MissingDependencyError

from ..backend import is_float_dtype, xp
from ..core.primitive import Primitive
from .elementwise import add, binary_primitive, equal, exp, expit, log, log1p, logical_and, sign, where
from .rules import elementwise_flops
from .structural import broadcast_like, broadcasting_batch, reduce_sum, reduction_batch, unbroadcast

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_SQRT_PI_OVER_TWO = math.sqrt(math.pi) / 2.0
_SQRT_TWO_PI = math.sqrt(2.0 * math.pi)


def _scipy_special(function: str):
    """``scipy.special``, imported on first use; a clear error when SciPy is not installed."""
    try:
        import scipy.special
    except ImportError as error:
        raise MissingDependencyError(
            f"wengert.scipy.special.{function} is evaluated by SciPy, which is not installed. "
            "Install it with `pip install scipy` (or `pip install wengert[scipy]`)."
        ) from error
    return scipy.special


def _in_input_dtype(out, *args):
    """``out`` in the floating dtype of the array arguments.

    SciPy answers some float32 inputs in float64; wengert keeps float32 in float32.
    """
    dtypes = [arg.dtype for arg in args if hasattr(arg, "dtype")]
    if dtypes:
        dtype = xp.result_type(*dtypes)
        if is_float_dtype(dtype) and out.dtype != dtype:
            return out.astype(dtype)
    return out


def _scipy_impl(name: str):
    """The NumPy implementation ``scipy.special.<name>``, keeping float32 as float32."""

    def impl(*args):
        return _in_input_dtype(getattr(_scipy_special(name), name)(*args), *args)

    impl.__name__ = impl.__qualname__ = f"{name}_impl"
    return impl


def _scipy_or_math_impl(name: str, scalar_fn):
    """``scipy.special.<name>``, or Python's ``math`` function elementwise without SciPy."""

    def impl(x):
        try:
            import scipy.special
        except ImportError:
            values = xp.asarray(x)
            if values.dtype.kind == "c":
                return _scipy_special(name)  # raises: Python's math module has no complex error function
            dtype = values.dtype if is_float_dtype(values.dtype) else xp.float64
            return xp.asarray(xp.frompyfunc(scalar_fn, 1, 1)(values), dtype=dtype)[()]
        return _in_input_dtype(getattr(scipy.special, name)(x), x)

    impl.__name__ = impl.__qualname__ = f"{name}_impl"
    return impl


def _unary(name, impl, derivative, doc):
    """A unary primitive with ``d f = derivative(ans, x, **params) dx``."""
    prim = Primitive(
        name,
        impl,
        jvps=(lambda t, ans, x, **params: t * derivative(ans, x, **params),),
        vjps=(lambda g, ans, x, **params: g * derivative(ans, x, **params),),
        batch=lambda args, dims, **params: (prim(args[0], **params), dims[0]),
        flops=elementwise_flops,
        doc=doc,
    )
    return prim


# --- error functions and the normal distribution ------------------------------------------------

erf = _unary(
    "erf",
    _scipy_or_math_impl("erf", math.erf),
    lambda ans, x: _TWO_OVER_SQRT_PI * exp(-(x * x)),
    "The error function (entire: complex z too, by SciPy); d erf(z) = 2/sqrt(pi) exp(-z^2) dz.",
)
erfc = _unary(
    "erfc",
    _scipy_or_math_impl("erfc", math.erfc),
    lambda ans, x: -_TWO_OVER_SQRT_PI * exp(-(x * x)),
    "1 - erf(z), accurate where erf(z) is near 1 (complex z too); d erfc(z) = -2/sqrt(pi) exp(-z^2) dz.",
)
erfinv = _unary(
    "erfinv",
    _scipy_impl("erfinv"),
    lambda ans, y: _SQRT_PI_OVER_TWO * exp(ans * ans),
    "The inverse of erf on (-1, 1); d erfinv(y) = sqrt(pi)/2 exp(erfinv(y)^2) dy.",
)
erfcinv = _unary(
    "erfcinv",
    _scipy_impl("erfcinv"),
    lambda ans, y: -_SQRT_PI_OVER_TWO * exp(ans * ans),
    "The inverse of erfc on (0, 2); d erfcinv(y) = -sqrt(pi)/2 exp(erfcinv(y)^2) dy.",
)
ndtri = _unary(
    "ndtri",
    _scipy_impl("ndtri"),
    lambda ans, p: _SQRT_TWO_PI * exp(0.5 * (ans * ans)),
    "The standard normal quantile; d ndtri(p) = sqrt(2 pi) exp(ndtri(p)^2 / 2) dp.",
)
log_ndtr = _unary(
    "log_ndtr",
    _scipy_impl("log_ndtr"),
    lambda ans, x: exp(-0.5 * (x * x) - ans) / _SQRT_TWO_PI,
    "log of the standard normal CDF, accurate far in the left tail; "
    "d log_ndtr(x) = phi(x) / Phi(x) dx = exp(-x^2/2 - log_ndtr(x)) / sqrt(2 pi) dx.",
)

# --- the gamma family ---------------------------------------------------------------------------


def _polygamma_impl(x, n):
    return _in_input_dtype(_scipy_special("polygamma").polygamma(n, x), x)


polygamma = _unary(
    "polygamma",
    _polygamma_impl,
    lambda ans, x, n: polygamma(x, n=n + 1),
    "The n-th derivative of digamma (``n`` a non-negative int parameter); d polygamma(n, x) = polygamma(n + 1, x) dx.",
)
digamma = _unary(
    "digamma",
    _scipy_impl("digamma"),
    lambda ans, x: polygamma(x, n=1),
    "psi(x) = d/dx log Gamma(x); d digamma(x) = polygamma(1, x) dx.",
)
gammaln = _unary(
    "gammaln",
    _scipy_impl("gammaln"),
    lambda ans, x: digamma(x),
    "log |Gamma(x)|; d gammaln(x) = digamma(x) dx.",
)
gamma = _unary(
    "gamma",
    _scipy_impl("gamma"),
    lambda ans, x: ans * digamma(x),
    "The gamma function; d Gamma(x) = Gamma(x) digamma(x) dx.",
)


def _digamma_gap(ans, a, b):
    """psi(a) - psi(a + b): d/da of log B(a, b)."""
    return digamma(a) - digamma(add(a, b))


betaln = binary_primitive(
    "betaln",
    _scipy_impl("betaln"),
    _digamma_gap,
    lambda ans, a, b: _digamma_gap(ans, b, a),
    "log |B(a, b)|; d/da = psi(a) - psi(a + b), and symmetrically for b.",
)
beta = binary_primitive(
    "beta",
    _scipy_impl("beta"),
    lambda ans, a, b: ans * _digamma_gap(ans, a, b),
    lambda ans, a, b: ans * _digamma_gap(ans, b, a),
    "B(a, b) = Gamma(a) Gamma(b) / Gamma(a + b); d/da = B(a, b) (psi(a) - psi(a + b)).",
)

# --- x log y, with 0 log 0 = 0 ------------------------------------------------------------------


def _x_times_log(log_fn, x, y):
    """``x * log_fn(y)``, 0 where ``x == 0`` (unless ``y`` is nan), in the promoted float dtype."""
    dtype = xp.result_type(x, y, 1.0)
    with xp.errstate(divide="ignore", invalid="ignore"):
        out = xp.multiply(x, log_fn(y))
    out = xp.where(xp.logical_and(xp.equal(x, 0), ~xp.isnan(y)), 0, out)
    return out.astype(dtype, copy=False)


def _over_guarded(x, denominator):
    """``x / denominator``, exactly 0 where ``x == 0`` even at the pole (``denominator == 0``).

    Only the points with both ``x == 0`` and ``denominator == 0`` are guarded, so
    the derivative of this rule with respect to ``x`` (``1 / denominator``) stays
    exact wherever the denominator is not zero.
    """
    at_pole = logical_and(equal(x, 0), equal(denominator, 0))
    return x / where(at_pole, 1.0, denominator)


xlogy = binary_primitive(
    "xlogy",
    lambda x, y: _x_times_log(xp.log, x, y),
    lambda ans, x, y: log(y),
    lambda ans, x, y: _over_guarded(x, y),
    "x log(y), 0 where x == 0. d/dx = log(y); d/dy = x / y, taken as 0 where x == 0 (also at y == 0).",
)
xlog1py = binary_primitive(
    "xlog1py",
    lambda x, y: _x_times_log(xp.log1p, x, y),
    lambda ans, x, y: log1p(y),
    lambda ans, x, y: _over_guarded(x, add(y, 1.0)),
    "x log(1 + y), 0 where x == 0. d/dx = log1p(y); d/dy = x / (1 + y), taken as 0 where x == 0 (also at y == -1).",
)

# --- softplus and the softmaxes -----------------------------------------------------------------


def _softplus_impl(x):
    return xp.logaddexp(0.0, x)


softplus = _unary(
    "softplus",
    _softplus_impl,
    lambda ans, x: expit(x),
    "log(1 + exp(x)), without overflow; d softplus(x) = expit(x) dx (smooth to every order).",
)


def _shifted_by_max(x, axis):
    """``x - max(x)`` over ``axis`` (keeping dims), so that ``exp`` cannot overflow."""
    peak = xp.max(x, axis=axis, keepdims=True)
    return x - xp.where(xp.isfinite(peak), peak, 0)


def _log_softmax_impl(x, axis):
    shifted = _shifted_by_max(x, axis)
    return shifted - xp.log(xp.sum(xp.exp(shifted), axis=axis, keepdims=True))


def _softmax_impl(x, axis):
    unnormalized = xp.exp(_shifted_by_max(x, axis))
    return unnormalized / xp.sum(unnormalized, axis=axis, keepdims=True)


def _sum_kept(value, axis):
    return reduce_sum(value, axis=axis, keepdims=True)


softmax = Primitive(
    "softmax",
    _softmax_impl,
    jvps=(lambda t, ans, x, axis: ans * (t - _sum_kept(ans * t, axis)),),
    vjps=(lambda g, ans, x, axis: ans * (g - _sum_kept(g * ans, axis)),),
    batch=lambda args, dims, axis: reduction_batch(softmax, args, dims, axis),
    flops=lambda out_shapes, x, axis: 5 * math.prod(x),  # max, subtract, exp, sum, divide
    doc=(
        "exp(x) / sum(exp(x)) over ``axis`` (None or a sorted tuple), shifted by the max so "
        "it never overflows; d s = s (dx - sum(s dx)), which is its own transpose."
    ),
)
log_softmax = Primitive(
    "log_softmax",
    _log_softmax_impl,
    jvps=(lambda t, ans, x, axis: t - _sum_kept(exp(ans) * t, axis),),
    vjps=(lambda g, ans, x, axis: g - exp(ans) * _sum_kept(g, axis),),
    batch=lambda args, dims, axis: reduction_batch(log_softmax, args, dims, axis),
    flops=lambda out_shapes, x, axis: 6 * math.prod(x),  # max, subtract, exp, sum, log, subtract
    doc=(
        "x - logsumexp(x) over ``axis`` (None or a sorted tuple), stable for any input; "
        "d log_softmax(x) = dx - sum(softmax(x) dx), and its VJP is g - softmax(x) sum(g)."
    ),
)

# --- the order-carrying and incomplete functions: derivatives in the last argument only ---------


def _no_derivative_in(function: str, argument: str, why: str):
    """A derivative rule for an argument that has none here: it raises, naming the argument."""

    def refuse(*_args, **_params):
        raise ArgumentError(
            f"{function}: no derivative with respect to {argument} ({why}). Pass {argument} as a "
            f"constant, or wrap it in stop_gradient, and differentiate with respect to the last argument."
        )

    return refuse


def _in_last_argument(name, impl, derivative, argument, why, doc):
    """A broadcasting primitive ``f(p_1, ..., p_k, x)`` differentiable in ``x`` only:
    ``d f = derivative(ans, p_1, ..., x) dx``; a tangent of a ``p_i`` raises (``argument`` names them)."""
    arity = impl.__code__.co_argcount
    refuse = _no_derivative_in(name, argument, why)
    prim = Primitive(
        name,
        impl,
        jvps=(*[refuse] * (arity - 1), lambda t, ans, *args: broadcast_like(t * derivative(ans, *args), ans)),
        vjps=(*[refuse] * (arity - 1), lambda g, ans, *args: unbroadcast(g * derivative(ans, *args), args[-1])),
        batch=lambda args, dims: broadcasting_batch(prim, args, dims),
        flops=elementwise_flops,
        doc=doc,
    )
    return prim


def _scipy_function(name: str, arity: int):
    """``scipy.special.<name>`` of ``arity`` arguments, float32 kept (its arity visible to the declaration)."""
    evaluate = _scipy_impl(name)
    if arity == 2:
        return lambda p, x: evaluate(p, x)
    return lambda p, q, x: evaluate(p, q, x)


_ORDER = ("the order v", "the recurrences give derivatives in x only, as in SciPy, JAX and autograd")
jv = _in_last_argument(
    "jv",
    _scipy_function("jv", 2),
    lambda ans, v, x: 0.5 * (jv(v - 1.0, x) - jv(v + 1.0, x)),
    *_ORDER,
    "Bessel function of the first kind J_v(x); d J_v = (J_{v-1} - J_{v+1}) / 2 dx.",
)
yv = _in_last_argument(
    "yv",
    _scipy_function("yv", 2),
    lambda ans, v, x: 0.5 * (yv(v - 1.0, x) - yv(v + 1.0, x)),
    *_ORDER,
    "Bessel function of the second kind Y_v(x), x > 0; d Y_v = (Y_{v-1} - Y_{v+1}) / 2 dx.",
)
iv = _in_last_argument(
    "iv",
    _scipy_function("iv", 2),
    lambda ans, v, x: 0.5 * (iv(v - 1.0, x) + iv(v + 1.0, x)),
    *_ORDER,
    "Modified Bessel function of the first kind I_v(x); d I_v = (I_{v-1} + I_{v+1}) / 2 dx.",
)
ive = _in_last_argument(
    "ive",
    _scipy_function("ive", 2),
    lambda ans, v, x: 0.5 * (ive(v - 1.0, x) + ive(v + 1.0, x)) - sign(x) * ans,
    *_ORDER,
    "I_v(x) exp(-|x|); d ive_v = ((ive_{v-1} + ive_{v+1}) / 2 - sign(x) ive_v) dx.",
)
kv = _in_last_argument(
    "kv",
    _scipy_function("kv", 2),
    lambda ans, v, x: -0.5 * (kv(v - 1.0, x) + kv(v + 1.0, x)),
    *_ORDER,
    "Modified Bessel function of the second kind K_v(x), x > 0; d K_v = -(K_{v-1} + K_{v+1}) / 2 dx.",
)
kve = _in_last_argument(
    "kve",
    _scipy_function("kve", 2),
    lambda ans, v, x: ans - 0.5 * (kve(v - 1.0, x) + kve(v + 1.0, x)),
    *_ORDER,
    "K_v(x) exp(x), x > 0; d kve_v = (kve_v - (kve_{v-1} + kve_{v+1}) / 2) dx.",
)

_SHAPE = ("the shape parameter", "SciPy, autograd and wengert give the derivative in x only")
gammainc = _in_last_argument(
    "gammainc",
    _scipy_function("gammainc", 2),
    lambda ans, a, x: exp((a - 1.0) * log(x) - x - gammaln(a)),
    "a",
    _SHAPE[1],
    "The regularized lower incomplete gamma function P(a, x); d P = x^(a-1) e^(-x) / Gamma(a) dx.",
)
gammaincc = _in_last_argument(
    "gammaincc",
    _scipy_function("gammaincc", 2),
    lambda ans, a, x: -exp((a - 1.0) * log(x) - x - gammaln(a)),
    "a",
    _SHAPE[1],
    "The regularized upper incomplete gamma function Q(a, x) = 1 - P(a, x); d Q = -x^(a-1) e^(-x) / Gamma(a) dx.",
)
betainc = _in_last_argument(
    "betainc",
    _scipy_function("betainc", 3),
    lambda ans, a, b, x: exp((a - 1.0) * log(x) + (b - 1.0) * log1p(-x) - betaln(a, b)),
    "a and b",
    _SHAPE[1],
    "The regularized incomplete beta function I_x(a, b); d I = x^(a-1) (1-x)^(b-1) / B(a, b) dx.",
)
erfcx = _unary(
    "erfcx",
    _scipy_impl("erfcx"),
    lambda ans, x: 2.0 * x * ans - _TWO_OVER_SQRT_PI,
    "exp(x^2) erfc(x), without overflow; d erfcx(x) = (2 x erfcx(x) - 2/sqrt(pi)) dx.",
)
rgamma = _unary(
    "rgamma",
    _scipy_impl("rgamma"),
    lambda ans, x: -ans * digamma(x),
    "1 / Gamma(x), 0 at the poles; d rgamma(x) = -rgamma(x) digamma(x) dx.",
)
gammasgn = Primitive(
    "gammasgn",
    _scipy_impl("gammasgn"),
    batch=lambda args, dims: (gammasgn(args[0]), dims[0]),
    flops=elementwise_flops,
    doc="The sign of Gamma(x), +1 or -1: piecewise constant, so it carries no derivative.",
)
