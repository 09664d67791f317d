"""Elementwise functions of the NumPy face.

Most are the primitives themselves (one Python call over NumPy when nothing
is traced); the rest are compositions of primitives, so their derivatives
follow from the chain rule.
"""

import math

from wengert._src.backend import is_float_dtype, namespace, xp
from wengert._src.primitives import elementwise as ew
from wengert._src.primitives import structural
from wengert._src.transforms.foreign_arrays import like

from ._core import asarray_or_tracer, concrete

exp, exp2, log, log2, log10, log1p, expm1 = ew.exp, ew.exp2, ew.log, ew.log2, ew.log10, ew.log1p, ew.expm1
sin, cos, tan, arcsin, arccos, arctan = ew.sin, ew.cos, ew.tan, ew.arcsin, ew.arccos, ew.arctan
sinh, cosh, tanh, arcsinh, arccosh, arctanh = ew.sinh, ew.cosh, ew.tanh, ew.arcsinh, ew.arccosh, ew.arctanh
asin, acos, atan, asinh, acosh, atanh = arcsin, arccos, arctan, arcsinh, arccosh, arctanh
sqrt, cbrt, square = ew.sqrt, ew.cbrt, ew.square
abs = absolute = fabs = ew.absolute
negative = ew.neg
sign, floor, ceil, trunc, rint = ew.sign, ew.floor, ew.ceil, ew.trunc, ew.rint
fix = trunc
isnan, isinf, isfinite, signbit = ew.isnan, ew.isinf, ew.isfinite, ew.signbit
add, subtract, multiply, power, maximum, minimum = ew.add, ew.subtract, ew.multiply, ew.power, ew.maximum, ew.minimum
pow = power
divide = true_divide = ew.divide
arctan2 = atan2 = ew.arctan2
hypot = ew.hypot
remainder = mod = ew.remainder
fmod = ew.fmod
floor_divide = ew.floor_divide
equal, not_equal, less, less_equal = ew.equal, ew.not_equal, ew.less, ew.less_equal
greater, greater_equal = ew.greater, ew.greater_equal
logical_and, logical_or, logical_xor, logical_not = ew.logical_and, ew.logical_or, ew.logical_xor, ew.logical_not
stop_gradient = ew.stop_gradient


def positive(x):
    """+x"""
    return x


def reciprocal(x):
    """1 / x"""
    return 1.0 / x


def float_power(x, y):
    """x ** y computed in float64, as NumPy does."""
    return power(astype(asarray_or_tracer(x), xp.float64), y)


def round(x, decimals: int = 0):
    """Round to ``decimals`` places (not differentiable: a step function)."""
    scale = 10.0**decimals
    return rint(x * scale) / scale if decimals else rint(x)


around = round


def logaddexp(x, y):
    """log(exp(x) + exp(y)) without overflow: m + log(exp(x - m) + exp(y - m)), m = max(x, y)."""
    m = stop_gradient(maximum(x, y))
    m = where(isfinite(m), m, 0.0)
    return m + log(exp(x - m) + exp(y - m))


def logaddexp2(x, y):
    """log2(2**x + 2**y)"""
    return logaddexp(x * math.log(2.0), y * math.log(2.0)) / math.log(2.0)


def deg2rad(x):
    return x * (math.pi / 180.0)


def rad2deg(x):
    return x * (180.0 / math.pi)


radians, degrees = deg2rad, rad2deg


def sinc(x):
    """sin(pi x) / (pi x), with its Maclaurin series near 0.

    Close to 0 the quotient loses precision and, at 0, every derivative; there
    the series ``1 - y/3! + y^2/5! - y^3/7! + y^4/9!`` in ``y = (pi x)^2`` is
    exact to rounding and gives the true derivatives of all orders at 0
    (``sinc''(0) = -pi^2/3``). The untaken branch is guarded, so no nan leaks.
    """
    near_zero = less(abs(x), 1e-2)
    safe = where(near_zero, 1.0, x)
    y = (math.pi * x) ** 2
    series = 1.0 - y / 6.0 * (1.0 - y / 20.0 * (1.0 - y / 42.0 * (1.0 - y / 72.0)))
    return where(near_zero, series, sin(math.pi * safe) / (math.pi * safe))


def copysign(x, y):
    """|x| with the sign of y."""
    return where(equal(signbit(x), signbit(y)), x, -x)


def heaviside(x, h0):
    """0 for x < 0, h0 at 0, 1 for x > 0 (not differentiable)."""
    return stop_gradient(where(less(x, 0), 0.0, where(equal(x, 0), h0, 1.0)))


def where(condition, x=None, y=None):
    """``x`` where ``condition`` holds, else ``y``; with one argument, ``nonzero(condition)``.

    Derivatives flow only into the chosen branch. If the untaken branch would
    produce inf or nan (``sqrt`` of a negative, ``log(0)``), its derivative is
    still computed and multiplied by zero, which gives nan. Guard its input as
    well, the "double where" pattern::

        safe = wnp.where(x > 0, x, 1.0)
        y = wnp.where(x > 0, wnp.sqrt(safe), 0.0)
    """
    if x is None and y is None:
        values = concrete(condition)
        return tuple(like(condition, indices) for indices in namespace(values).nonzero(values))
    return ew.where(asarray_or_tracer(condition), x, y)


def clip(a, a_min=None, a_max=None):
    """Limit values to [a_min, a_max]. The derivative is 1 inside and at the bounds, 0 outside."""
    if a_min is not None:
        a = where(less(a, a_min), a_min, a)
    if a_max is not None:
        a = where(greater(a, a_max), a_max, a)
    return a


def nan_to_num(x, nan=0.0, posinf=None, neginf=None):
    """Replace nan and infinities with finite numbers (their derivative is 0)."""
    finfo = xp.finfo(getattr(x, "dtype", xp.float64))
    x = where(isnan(x), nan, x)
    x = where(equal(x, xp.inf), finfo.max if posinf is None else posinf, x)
    return where(equal(x, -xp.inf), finfo.min if neginf is None else neginf, x)


def fmax(x, y):
    """Elementwise maximum that ignores nan (nan only where both are nan)."""
    return where(isnan(y), x, where(isnan(x), y, maximum(x, y)))


def fmin(x, y):
    """Elementwise minimum that ignores nan (nan only where both are nan)."""
    return where(isnan(y), x, where(isnan(x), y, minimum(x, y)))


def modf(x):
    """``(x - trunc(x), trunc(x))``: the fractional part carries the derivative of x."""
    whole = trunc(x)
    return x - whole, whole


def divmod(x, y):
    """``(x // y, x % y)``; only the remainder is differentiable."""
    return floor_divide(x, y), remainder(x, y)


def ldexp(x, n):
    """``x * 2**n`` for integer exponents ``n`` (not differentiated)."""
    x = asarray_or_tracer(x)
    dtype = x.dtype if is_float_dtype(x.dtype) else xp.float64
    return x * xp.ldexp(xp.ones((), dtype), concrete(n))


def real(x):
    """The real part, as NumPy: ``x`` itself for a real array, so its derivative is ``x``'s.

    Complex values are not differentiated yet (docs/conventions.md): on a complex array this
    computes NumPy's value, and a differentiating transform refuses the complex value before.
    """
    x = asarray_or_tracer(x)
    return ew.real(x) if x.dtype.kind == "c" else x


def imag(x):
    """The imaginary part, as NumPy: zeros of ``x``'s dtype for a real array (derivative 0)."""
    x = asarray_or_tracer(x)
    return ew.imag(x) if x.dtype.kind == "c" else like(x, xp.zeros(x.shape, x.dtype))


def conj(x):
    """The complex conjugate, as NumPy: ``x`` itself for a real array."""
    x = asarray_or_tracer(x)
    return ew.conj(x) if x.dtype.kind == "c" else x


conjugate = conj


def angle(z, deg: bool = False):
    """The argument of each complex number, ``arctan2(imag, real)``, in radians (degrees with ``deg``).

    As NumPy: on a real array 0 where ``z >= +0`` and pi where ``z < 0`` (and at ``-0.0``); a step,
    so its derivative is 0 everywhere.
    """
    z = asarray_or_tracer(z)
    if z.dtype.kind == "c":
        result = arctan2(ew.imag(z), ew.real(z))
    else:
        result = arctan2(0.0, stop_gradient(z))
    return result * (180.0 / math.pi) if deg else result


def astype(x, dtype, copy: bool = True):
    """``x`` converted to ``dtype``; converting to an integer or bool dtype drops the derivative.

    A complex ``dtype`` keeps it, so that a differentiating transform refuses the complex result
    (complex values are not differentiated yet) rather than silently giving a zero derivative.
    """
    dtype = xp.dtype(dtype)
    if xp.dtype(getattr(x, "dtype", xp.float64)) == dtype:
        return x
    if not is_float_dtype(dtype) and dtype.kind != "c":
        return structural.astype(stop_gradient(x), dtype=dtype)
    return structural.astype(x, dtype=dtype)


__all__ = [  # what ``from ._math import *`` gives the namespace (not the helpers imported here)
    "exp", "exp2", "log", "log2", "log10", "log1p", "expm1", "sin", "cos", "tan", "arcsin", "arccos",
    "arctan", "sinh", "cosh", "tanh", "arcsinh", "arccosh", "arctanh", "asin", "acos", "atan", "asinh",
    "acosh", "atanh", "sqrt", "cbrt", "abs", "absolute", "fabs", "negative", "sign", "floor", "ceil",
    "trunc", "rint", "fix", "isnan", "isinf", "isfinite", "signbit", "add", "subtract", "multiply",
    "power", "maximum", "minimum", "pow", "divide", "true_divide", "arctan2", "atan2", "remainder", "mod",
    "fmod", "floor_divide", "equal", "not_equal", "less", "less_equal", "greater", "greater_equal",
    "logical_and", "logical_or", "logical_xor", "logical_not", "stop_gradient", "positive", "square",
    "reciprocal", "float_power", "round", "around", "hypot", "logaddexp", "logaddexp2", "deg2rad",
    "rad2deg", "radians", "degrees", "sinc", "copysign", "heaviside", "where", "clip", "fmax", "fmin",
    "modf", "divmod", "ldexp", "nan_to_num", "real", "imag", "conj", "conjugate", "angle", "astype",
]
