"""Elementwise primitives: unary math, binary arithmetic, comparisons, select.

Each differentiable unary primitive is declared by its derivative,
``d f(x) = f'(x) dx``, written next to its NumPy implementation. Binary
primitives broadcast like NumPy; their VJPs sum the cotangent back to each
argument's shape (``unbroadcast``).

Conventions at kinks (tested): ``abs'(0) = 0`` (``sign(0) = 0``);
``maximum``/``minimum`` split the gradient evenly between tied arguments;
``sqrt'(0) = inf`` as in calculus; the VJP of ``x ** y`` with respect to
``y`` is 0 where ``x == 0`` (the limit from the right), not ``nan``.
"""

import math

from ..backend import xp
from ..core.primitive import READS_NOTHING, Primitive, Tracer
from . import structural
from .rules import BY_VJP, Multilinear, elementwise_flops, no_flops
from .structural import broadcast_like, broadcasting_batch, unbroadcast, unbroadcast_array


def _unary(name, impl, derivative, doc, vjp=None, fast_vjp=None):
    """A unary primitive with ``d f = derivative(ans, x) * dx``.

    ``vjp``: a VJP rule computing ``g * derivative(ans, x)`` faster than that product;
    ``fast_vjp``: its form on plain arrays (``Primitive.fast_vjps``).
    """
    prim = Primitive(
        name,
        impl,
        jvps=(lambda t, ans, x: t * derivative(ans, x),),
        vjps=(vjp or (lambda g, ans, x: g * derivative(ans, x)),),
        fast_vjps=None if fast_vjp is None else (fast_vjp,),
        batch=lambda args, dims: broadcasting_batch(prim, args, dims),
        flops=elementwise_flops,
        doc=doc,
    )
    return prim


def _nondiff(name, impl, doc, source=None):
    prim = Primitive(
        name,
        impl,
        source=source,
        batch=lambda args, dims: broadcasting_batch(prim, args, dims),
        flops=elementwise_flops,
        doc=doc + " Not differentiable: its output carries no derivative.",
    )
    return prim


neg = Primitive(
    "neg",
    xp.negative,
    jvps=(lambda t, ans, x: neg(t),),
    vjps=(lambda g, ans, x: -g,),  # wengert's neg on a traced g, NumPy's on a plain one
    transposes=(BY_VJP,),
    batch=lambda args, dims: broadcasting_batch(neg, args, dims),
    flops=elementwise_flops,
    jacobian_structure=("negation",),
    linear_in=(0,),
    source="-",
    vjp_reads=READS_NOTHING,
    doc="-x",
)
exp = _unary("exp", xp.exp, lambda ans, x: ans, "exp(x); d exp(x) = exp(x) dx")
exp2 = _unary("exp2", xp.exp2, lambda ans, x: ans * math.log(2.0), "2**x; d = 2**x ln 2 dx")
log = _unary("log", xp.log, lambda ans, x: 1.0 / x, "log(x); d log(x) = dx / x", vjp=lambda g, ans, x: g / x)
log2 = _unary("log2", xp.log2, lambda ans, x: 1.0 / (x * math.log(2.0)), "log2(x); d = dx / (x ln 2)")
log10 = _unary("log10", xp.log10, lambda ans, x: 1.0 / (x * math.log(10.0)), "log10(x); d = dx / (x ln 10)")
log1p = _unary("log1p", xp.log1p, lambda ans, x: 1.0 / (1.0 + x), "log(1 + x); d = dx / (1 + x)")
expm1 = _unary("expm1", xp.expm1, lambda ans, x: ans + 1.0, "exp(x) - 1; d = exp(x) dx")
sin = _unary("sin", xp.sin, lambda ans, x: cos(x), "sin(x); d sin(x) = cos(x) dx")
cos = _unary("cos", xp.cos, lambda ans, x: neg(sin(x)), "cos(x); d cos(x) = -sin(x) dx")
tan = _unary("tan", xp.tan, lambda ans, x: 1.0 + ans * ans, "tan(x); d tan(x) = (1 + tan(x)^2) dx")
arcsin = _unary("arcsin", xp.arcsin, lambda ans, x: 1.0 / sqrt(1.0 - x * x), "d arcsin(x) = dx / sqrt(1 - x^2)")
arccos = _unary("arccos", xp.arccos, lambda ans, x: -1.0 / sqrt(1.0 - x * x), "d arccos(x) = -dx / sqrt(1 - x^2)")
arctan = _unary("arctan", xp.arctan, lambda ans, x: 1.0 / (1.0 + x * x), "d arctan(x) = dx / (1 + x^2)")
sinh = _unary("sinh", xp.sinh, lambda ans, x: cosh(x), "d sinh(x) = cosh(x) dx")
cosh = _unary("cosh", xp.cosh, lambda ans, x: sinh(x), "d cosh(x) = sinh(x) dx")


def _tanh_vjp(g, ans, x):
    """``g (1 - tanh(x)^2)``."""
    return g * (1.0 - ans * ans)


def _tanh_fast_vjp(g, ans, x):
    """``_tanh_vjp`` on plain arrays of one dtype and shape, in place in one fresh array (the same
    products, so the same bits)."""
    if type(ans) is xp.ndarray and type(g) is xp.ndarray and g.dtype == ans.dtype and g.shape == ans.shape:
        d = ans * ans
        xp.subtract(1.0, d, out=d)
        d *= g
        return d
    return _tanh_vjp(g, ans, x)


tanh = _unary(
    "tanh",
    xp.tanh,
    lambda ans, x: 1.0 - ans * ans,
    "d tanh(x) = (1 - tanh(x)^2) dx",
    vjp=_tanh_vjp,
    fast_vjp=_tanh_fast_vjp,
)
arcsinh = _unary("arcsinh", xp.arcsinh, lambda ans, x: 1.0 / sqrt(x * x + 1.0), "d asinh(x) = dx / sqrt(x^2 + 1)")
arccosh = _unary(
    "arccosh",
    xp.arccosh,
    lambda ans, x: 1.0 / (sqrt(x - 1.0) * sqrt(x + 1.0)),
    "d acosh(x) = dx / (sqrt(x - 1) sqrt(x + 1)): sqrt(x^2 - 1) for real x, and the principal branch's "
    "derivative in complex too (1 / sqrt(z^2 - 1) has the wrong sign where Re z < 0)",
)
arctanh = _unary("arctanh", xp.arctanh, lambda ans, x: 1.0 / (1.0 - x * x), "d atanh(x) = dx / (1 - x^2)")
sqrt = _unary("sqrt", xp.sqrt, lambda ans, x: 0.5 / ans, "sqrt(x); d = dx / (2 sqrt(x)), inf at 0")
cbrt = _unary("cbrt", xp.cbrt, lambda ans, x: 1.0 / (3.0 * ans * ans), "cbrt(x); d = dx / (3 cbrt(x)^2)")
square = _unary(
    "square",
    xp.square,
    lambda ans, x: 2.0 * x,
    "x ** 2, as NumPy squares; d x^2 = 2 x dx",
    vjp=lambda g, ans, x: (g * 2.0) * x,  # the bits of g * (2 x); staged, a broadcast g doubles small
)


def _expit_impl(x):
    # 1 / (1 + exp(-x)) = exp(-log(1 + exp(-x))): never overflows, accurate in both tails.
    return xp.exp(-xp.logaddexp(0.0, -x))


expit = _unary("expit", _expit_impl, lambda ans, x: ans * (1.0 - ans), "sigmoid; d = s (1 - s) dx")

sign = _nondiff("sign", xp.sign, "sign(x) in {-1, 0, 1}.")
floor = _nondiff("floor", xp.floor, "floor(x).")
ceil = _nondiff("ceil", xp.ceil, "ceil(x).")
trunc = _nondiff("trunc", xp.trunc, "trunc(x).")
rint = _nondiff("rint", xp.rint, "round to nearest integer.")
isnan = _nondiff("isnan", xp.isnan, "isnan(x).")
isinf = _nondiff("isinf", xp.isinf, "isinf(x).")
isfinite = _nondiff("isfinite", xp.isfinite, "isfinite(x).")
signbit = _nondiff("signbit", xp.signbit, "signbit(x).")
logical_not = _nondiff("logical_not", xp.logical_not, "not x.")

equal = _nondiff("equal", xp.equal, "x == y.", source="==")
not_equal = _nondiff("not_equal", xp.not_equal, "x != y.", source="!=")
less = _nondiff("less", xp.less, "x < y.", source="<")
less_equal = _nondiff("less_equal", xp.less_equal, "x <= y.", source="<=")
greater = _nondiff("greater", xp.greater, "x > y.", source=">")
greater_equal = _nondiff("greater_equal", xp.greater_equal, "x >= y.", source=">=")
logical_and = _nondiff("logical_and", xp.logical_and, "x and y.")
logical_or = _nondiff("logical_or", xp.logical_or, "x or y.")
logical_xor = _nondiff("logical_xor", xp.logical_xor, "x xor y.")
floor_divide = _nondiff("floor_divide", xp.floor_divide, "x // y.", source="//")

# The parts of a complex array, with JAX's rules (transforms/complex_guard.py): real and imag map a complex
# tangent to a real one, and their transposes (the VJPs) map a real cotangent back to a complex one,
# Re(ct t) = ct Re(t) for real and Re(-i ct t) = ct Im(t) for imag; conj is its own transpose.
def _real_impl(x):  # NumPy's own function is no ufunc: compiled code calls it through this module
    return xp.real(x)


def _imag_impl(x):
    return xp.imag(x)


def _as_complex_of(g, x):
    """The real cotangent ``g`` as one of ``x``'s complex dtype (imaginary part 0)."""
    return structural.astype(g, dtype=x.dtype) if g.dtype != x.dtype else g


def _part(name, impl, jvp, vjp, doc):
    prim = Primitive(
        name,
        impl,
        jvps=(jvp,),
        vjps=(vjp,),
        transposes=(BY_VJP,),
        batch=lambda args, dims: broadcasting_batch(prim, args, dims),
        flops=elementwise_flops,
        linear_in=(0,),
        doc=doc,
    )
    return prim


real = _part(
    "real",
    _real_impl,
    lambda t, ans, x: real(t),
    lambda g, ans, x: _as_complex_of(g, x),
    "The real part of a complex array; d Re(z) = Re(dz), its transpose ct -> ct + 0i.",
)
imag = _part(
    "imag",
    _imag_impl,
    lambda t, ans, x: imag(t),
    lambda g, ans, x: multiply(_as_complex_of(g, x), -1j),
    "The imaginary part of a complex array; d Im(z) = Im(dz), its transpose ct -> -i ct.",
)
conj = _part(
    "conj",
    xp.conjugate,
    lambda t, ans, x: conj(t),
    lambda g, ans, x: conj(g),
    "The complex conjugate; d conj(z) = conj(dz), its own transpose.",
)


def _complex_abs_derivative(ans, z):
    """``conj(z) / |z|``, 0 at ``z = 0`` (as the real rule's ``sign(0) = 0``)."""
    origin = equal(ans, 0)
    return where(origin, 0.0, conj(z) / where(origin, 1.0, ans))


def _abs_jvp(t, ans, x):
    """``sign(x) dx``; for complex ``z``, the real tangent ``Re(conj(z) dz) / |z|``."""
    if x.dtype.kind != "c":
        return t * sign(x)
    return real(t * _complex_abs_derivative(ans, x))


def _abs_vjp(g, ans, x):
    """``g sign(x)``; for complex ``z`` the transpose of the JVP, ``g conj(z) / |z|`` (JAX's convention)."""
    if x.dtype.kind != "c":
        return g * sign(x)
    return g * _complex_abs_derivative(ans, x)


absolute = Primitive(
    "absolute",
    xp.abs,
    jvps=(_abs_jvp,),
    vjps=(_abs_vjp,),
    batch=lambda args, dims: broadcasting_batch(absolute, args, dims),
    flops=elementwise_flops,
    doc="|x|; d|x| = sign(x) dx, so |x|'(0) = 0; for complex z, d|z| = Re(conj(z) dz) / |z|, 0 at 0",
)


def binary_primitive(name, impl, dx, dy, doc, transposes=None, fast_vjps=None, source=None, neutral=None):
    """A broadcasting binary primitive with ``d f = dx(ans, x, y) dx + dy(ans, x, y) dy``.

    ``transposes`` for one linear in an argument (``x / y`` in ``x``); ``fast_vjps``, ``source`` and
    ``neutral`` as :class:`Primitive` declares them.
    """
    prim = Primitive(
        name,
        impl,
        jvps=(
            lambda t, ans, x, y: broadcast_like(t * dx(ans, x, y), ans),
            lambda t, ans, x, y: broadcast_like(t * dy(ans, x, y), ans),
        ),
        vjps=(
            lambda g, ans, x, y: unbroadcast(g * dx(ans, x, y), x),
            lambda g, ans, x, y: unbroadcast(g * dy(ans, x, y), y),
        ),
        fast_vjps=fast_vjps,
        transposes=transposes,
        batch=lambda args, dims: broadcasting_batch(prim, args, dims),
        flops=elementwise_flops,
        linear_in=tuple(i for i, rule in enumerate(transposes or ()) if rule is not None),
        source=source,
        neutral=neutral,
        doc=doc,
    )
    return prim


add = Primitive(
    "add",
    xp.add,
    jvps=(lambda t, ans, x, y: broadcast_like(t, ans), lambda t, ans, x, y: broadcast_like(t, ans)),
    vjps=(lambda g, ans, x, y: unbroadcast(g, x), lambda g, ans, x, y: unbroadcast(g, y)),
    fast_vjps=(lambda g, ans, x, y: unbroadcast_array(g, x), lambda g, ans, x, y: unbroadcast_array(g, y)),
    transposes=(BY_VJP, BY_VJP),
    batch=lambda args, dims: broadcasting_batch(add, args, dims),
    flops=elementwise_flops,
    jacobian_structure=("identity", "identity"),
    linear_in=(0, 1),
    source="+",
    vjp_reads=READS_NOTHING,
    neutral=(0, "either"),
    doc="x + y",
)
subtract = Primitive(
    "subtract",
    xp.subtract,
    jvps=(lambda t, ans, x, y: broadcast_like(t, ans), lambda t, ans, x, y: broadcast_like(neg(t), ans)),
    vjps=(lambda g, ans, x, y: unbroadcast(g, x), lambda g, ans, x, y: -unbroadcast(g, y)),
    fast_vjps=(lambda g, ans, x, y: unbroadcast_array(g, x), lambda g, ans, x, y: -unbroadcast_array(g, y)),
    transposes=(BY_VJP, BY_VJP),
    batch=lambda args, dims: broadcasting_batch(subtract, args, dims),
    flops=elementwise_flops,
    jacobian_structure=("identity", "negation"),
    linear_in=(0, 1),
    source="-",
    vjp_reads=READS_NOTHING,
    neutral=(0, "right"),
    doc="x - y",
)
multiply = Primitive(
    "multiply",
    xp.multiply,
    jvps=(lambda t, ans, x, y: broadcast_like(t * y, ans), lambda t, ans, x, y: broadcast_like(x * t, ans)),
    vjps=(lambda g, ans, x, y: unbroadcast(g * y, x), lambda g, ans, x, y: unbroadcast(x * g, y)),
    fast_vjps=(lambda g, ans, x, y: unbroadcast_array(g * y, x), lambda g, ans, x, y: unbroadcast_array(x * g, y)),
    transposes=Multilinear((BY_VJP, BY_VJP)),
    batch=lambda args, dims: broadcasting_batch(multiply, args, dims),
    flops=elementwise_flops,
    jacobian_structure=("elementwise", "elementwise"),
    linear_in=(0, 1),
    source="*",
    neutral=(1, "either"),
    doc="x * y",
)
divide = Primitive(
    "divide",
    xp.true_divide,
    # d (x / y) = dx / y - (x / y) / y dy: dx divided by y, never multiplied by 1 / y, so that a Python
    # y = 0 divides as NumPy does (inf, with NumPy's warning) instead of raising ZeroDivisionError.
    jvps=(
        lambda t, ans, x, y: broadcast_like(t / y, ans),
        lambda t, ans, x, y: broadcast_like(t * (neg(ans) / y), ans),
    ),
    vjps=(
        lambda g, ans, x, y: unbroadcast(g / y, x),
        lambda g, ans, x, y: unbroadcast(g * (neg(ans) / y), y),
    ),
    transposes=(BY_VJP, None),
    batch=lambda args, dims: broadcasting_batch(divide, args, dims),
    flops=elementwise_flops,
    jacobian_structure=("elementwise", None),
    linear_in=(0,),
    source="/",
    neutral=(1, "right"),
    doc="x / y",
)


def _power_dx(ans, x, y):
    # y x^(y-1), written so that y = 0 gives 0 (not 0 * inf) at x = 0.
    if type(y) in (int, float) or (not isinstance(y, Tracer) and xp.ndim(y) == 0):
        if y == 0:
            return 0.0 * x
        if y == 2:
            return 2.0 * x
        return y * power(x, y - 1)
    safe_exponent = where(equal(y, 0), 1.0, y - 1.0)
    return where(equal(y, 0), 0.0, y * power(x, safe_exponent))


def _power_dy(ans, x, y):
    # x^y log x, with the convention 0 at x = 0.
    safe_x = where(equal(x, 0), 1.0, x)
    return ans * log(safe_x)


def _power_fast_vjp_x(g, ans, x, y):
    """``unbroadcast(g y x^(y-1), x)`` on plain arrays: ``g`` multiplied in place into the fresh array
    ``_power_dx`` returns there (the same product, so the same bits)."""
    d = _power_dx(ans, x, y)
    if type(d) is xp.ndarray and type(g) is xp.ndarray and d.dtype == g.dtype and d.shape == g.shape:
        d *= g
        return unbroadcast_array(d, x)
    return unbroadcast_array(g * d, x)


power = binary_primitive(
    "power",
    xp.power,
    _power_dx,
    _power_dy,
    "x ** y",
    fast_vjps=(_power_fast_vjp_x, None),
    source="**",
    neutral=(1, "right"),
)


def _tie_split(x, y):
    """1 where x wins, 1/2 where tied, 0 where y wins: the weight of x in max(x, y)."""
    return greater(x, y) + 0.5 * equal(x, y)


maximum = binary_primitive(
    "maximum",
    xp.maximum,
    lambda ans, x, y: _tie_split(x, y),
    lambda ans, x, y: _tie_split(y, x),
    "elementwise max; ties split the gradient evenly",
)
minimum = binary_primitive(
    "minimum",
    xp.minimum,
    lambda ans, x, y: _tie_split(y, x),
    lambda ans, x, y: _tie_split(x, y),
    "elementwise min; ties split the gradient evenly",
)
arctan2 = binary_primitive(
    "arctan2",
    xp.arctan2,
    lambda ans, y, x: x / (x * x + y * y),
    lambda ans, y, x: neg(y) / (x * x + y * y),
    "arctan2(y, x); d = (x dy - y dx) / (x^2 + y^2)",
)
def _hypot_partial(ans, x):
    """``x / hypot(x, y)``, and 0 at the origin: the subgradient ``linalg.norm`` and ``abs`` take at 0."""
    origin = equal(ans, 0)
    return where(origin, 0.0, x / where(origin, 1.0, ans))


hypot = binary_primitive(
    "hypot",
    xp.hypot,
    lambda ans, x, y: _hypot_partial(ans, x),
    lambda ans, x, y: _hypot_partial(ans, y),
    "sqrt(x^2 + y^2) as NumPy computes it (no overflow); d = (x dx + y dy) / hypot, 0 at the origin",
)


remainder = binary_primitive(
    "remainder",
    xp.remainder,
    lambda ans, x, y: 1.0,
    lambda ans, x, y: neg(floor_divide(x, y)),
    "x mod y (NumPy's sign convention); d = dx - floor(x / y) dy",
    source="%",
)
fmod = binary_primitive(
    "fmod",
    xp.fmod,
    lambda ans, x, y: 1.0,
    lambda ans, x, y: neg(trunc(x / y)),
    "C's fmod; d = dx - trunc(x / y) dy",
)


def _where_impl(condition, x, y):
    return xp.where(condition, x, y)


where = Primitive(
    "where",
    _where_impl,
    jvps=(
        None,
        lambda t, ans, c, x, y: broadcast_like(where(c, t, 0.0), ans),
        lambda t, ans, c, x, y: broadcast_like(where(c, 0.0, t), ans),
    ),
    vjps=(
        None,
        lambda g, ans, c, x, y: unbroadcast(where(c, g, 0.0), x),
        lambda g, ans, c, x, y: unbroadcast(where(c, 0.0, g), y),
    ),
    transposes=(None, BY_VJP, BY_VJP),
    batch=lambda args, dims: broadcasting_batch(where, args, dims),
    flops=elementwise_flops,
    jacobian_structure=(None, "elementwise", "elementwise"),
    linear_in=(1, 2),
    source=lambda gen, eqn, args: f"np.where({', '.join(args)})",
    result_memory="new",
    doc=(
        "where(c, x, y): x where c holds, else y. Derivatives flow only to the chosen branch, "
        "but a nan/inf derivative computed *inside* the untaken branch still multiplies a zero; "
        "guard the branch's input too (the 'double where' pattern, see docs)."
    ),
)


stop_gradient = Primitive(
    "stop_gradient",
    lambda x: x,
    transposes=(lambda ct, x: xp.zeros(x.shape, x.dtype),),
    batch=lambda args, dims: (stop_gradient(args[0]), dims[0]),
    flops=no_flops,
    linear_in=(0,),
    source=lambda gen, eqn, args: args[0],
    doc=(
        "The identity, with a zero derivative: the value is treated as a constant (so in a linear "
        "program it transposes to zero)."
    ),
)
