"""Registry cases for ``wengert.numpy`` (all but ``linalg``): sample calls of every function.

Samples are chosen where each function is smooth: logs at positive values,
inverse trig strictly inside its domain, no ties for ``maximum``/``max``/
``sort``/``median``, no values near the jumps of ``remainder``. Sample arrays
come from one seeded generator, so the registry is the same on every run.
Each case names the NumPy reference and, where they have the function, the
HIPS autograd and JAX equivalents (given ``autograd.numpy`` / ``jax.numpy``).
"""

from __future__ import annotations

import dataclasses

import numpy as np

import wengert.numpy as wnp

from . import OpCase, rng

_R = rng(20240611)


# --- sample arrays ---------------------------------------------------------------------------------


def _uniform(shape, lo=-2.0, hi=2.0):
    return _R.uniform(lo, hi, size=shape)


def _nonzero(shape, lo=0.3, hi=2.0):
    """Magnitudes in [lo, hi] with random signs: away from the kink of |x| and the pole of 1/x."""
    return _R.uniform(lo, hi, size=shape) * _R.choice([-1.0, 1.0], size=shape)


def _distinct(shape, spacing=0.37):
    """Values at least ``spacing`` apart (no ties for max, sort, median), in random order."""
    n = int(np.prod(shape, dtype=int))
    values = (np.arange(n) - n / 2.0) * spacing + _R.uniform(0.0, spacing / 4, size=n)
    return _R.permutation(values).reshape(shape)


def _distinct_pair(shape_x, shape_y):
    """Two arrays whose values are all at least a step apart, in and across both: no ties between them."""
    size_x = int(np.prod(shape_x, dtype=int))
    pool = _distinct((size_x + int(np.prod(shape_y, dtype=int)),))
    return pool[:size_x].reshape(shape_x), pool[size_x:].reshape(shape_y)


def _half_integers(shape, lo=-3, hi=3):
    """Values near k + 1/2: as far as can be from the jumps of floor, round, remainder."""
    return _R.integers(lo, hi, size=shape) + 0.5 + _R.uniform(-0.2, 0.2, size=shape)


# --- case builders ---------------------------------------------------------------------------------


def _peer(name, **kwargs):
    """The function ``name`` of a peer module (``autograd.numpy`` or ``jax.numpy``)."""
    return lambda module, *args: getattr(module, name)(*args, **kwargs)


def _label(name, label):
    return f"wnp.{name}" + (f"[{label}]" if label else "")


def _fn(name, **kwargs):
    """``wnp.<name>`` and ``np.<name>`` with keyword arguments fixed."""
    w, n = getattr(wnp, name), getattr(np, name)
    if not kwargs:
        return w, n
    return (lambda *args: w(*args, **kwargs)), (lambda *args: n(*args, **kwargs))


def op(name, *args, label="", kwargs=None, autograd=True, jax=True, **options) -> OpCase:
    """``wnp.<name>(*args, **kwargs)``, checked against the function of the same name in NumPy
    and (unless told otherwise) in autograd.numpy and jax.numpy."""
    kwargs = kwargs or {}
    fn, numpy_fn = _fn(name, **kwargs)
    return OpCase(
        name=_label(name, label),
        fn=fn,
        args=tuple(np.asarray(a, dtype=np.float64) for a in args),
        numpy_fn=numpy_fn,
        autograd_fn=_peer(name, **kwargs) if autograd else None,
        jax_fn=_peer(name, **kwargs) if jax else None,
        **options,
    )


def call(name, fn, numpy_fn, *args, autograd_fn=None, jax_fn=None, **options) -> OpCase:
    """A case whose call is written out (closures over indices, operators, methods)."""
    return OpCase(
        name=name,
        fn=fn,
        args=tuple(np.asarray(a, dtype=np.float64) for a in args),
        numpy_fn=numpy_fn,
        autograd_fn=autograd_fn,
        jax_fn=jax_fn,
        **options,
    )


def same(fn, *args, name, label="", autograd=True, jax=True, **options) -> OpCase:
    """A case whose call reads the same for wengert, NumPy, autograd and JAX (``fn(module, ...)``)."""
    return call(
        name + (f"[{label}]" if label else ""),
        lambda *a: fn(wnp, *a),
        lambda *a: fn(np, *a),
        *args,
        autograd_fn=fn if autograd else None,
        jax_fn=fn if jax else None,
        **options,
    )


CASES: list[OpCase] = []
add = CASES.append


# --- elementwise: unary ----------------------------------------------------------------------------

# name: (sampler, whether autograd has it)
_UNARY = {
    "exp": (_uniform, True),
    "exp2": (_uniform, True),
    "expm1": (_uniform, True),
    "log": (lambda s: _uniform(s, 0.4, 3.0), True),
    "log2": (lambda s: _uniform(s, 0.4, 3.0), True),
    "log10": (lambda s: _uniform(s, 0.4, 3.0), True),
    "log1p": (lambda s: _uniform(s, -0.5, 2.0), True),
    "sin": (lambda s: _uniform(s, -3.0, 3.0), True),
    "cos": (lambda s: _uniform(s, -3.0, 3.0), True),
    "tan": (lambda s: _uniform(s, -1.2, 1.2), True),
    "arcsin": (lambda s: _uniform(s, -0.9, 0.9), True),
    "arccos": (lambda s: _uniform(s, -0.9, 0.9), True),
    "arctan": (lambda s: _uniform(s, -3.0, 3.0), True),
    "asin": (lambda s: _uniform(s, -0.9, 0.9), False),
    "acos": (lambda s: _uniform(s, -0.9, 0.9), False),
    "atan": (lambda s: _uniform(s, -3.0, 3.0), False),
    "sinh": (_uniform, True),
    "cosh": (_uniform, True),
    "tanh": (_uniform, True),
    "arcsinh": (lambda s: _uniform(s, -3.0, 3.0), True),
    "arccosh": (lambda s: _uniform(s, 1.2, 4.0), True),
    "arctanh": (lambda s: _uniform(s, -0.9, 0.9), True),
    "asinh": (lambda s: _uniform(s, -3.0, 3.0), False),
    "acosh": (lambda s: _uniform(s, 1.2, 4.0), False),
    "atanh": (lambda s: _uniform(s, -0.9, 0.9), False),
    "sqrt": (lambda s: _uniform(s, 0.2, 4.0), True),
    "cbrt": (lambda s: _nonzero(s, 0.3, 3.0), False),
    "abs": (_nonzero, True),
    "absolute": (_nonzero, True),
    "fabs": (_nonzero, True),
    "negative": (_uniform, True),
    "positive": (_uniform, False),
    "square": (_uniform, True),
    "reciprocal": (_nonzero, True),
    "deg2rad": (lambda s: _uniform(s, -180.0, 180.0), True),
    "rad2deg": (_uniform, True),
    "radians": (lambda s: _uniform(s, -180.0, 180.0), True),
    "degrees": (_uniform, True),
    "sinc": (lambda s: _nonzero(s, 0.1, 2.4), True),
    "real": (_uniform, True),
    "conj": (_uniform, True),
    "conjugate": (_uniform, True),
}

for _name, (_sample, _ag) in _UNARY.items():
    add(op(_name, _sample((2, 3)), autograd=_ag))
for _name in ("exp", "log", "tanh", "sqrt", "abs"):
    add(op(_name, _UNARY[_name][0](()), label="0-d"))
add(op("sinc", np.array([0.0, 0.5, -1.5]), label="at 0", rtol=1e-4, atol=1e-5))

# Step functions and predicates: no derivative (their outputs are piecewise constant or boolean).
for _name in ("sign", "floor", "ceil", "trunc", "rint", "round", "around"):
    add(op(_name, _half_integers((2, 3)), order=0))
add(op("fix", _half_integers((2, 3)), order=0, jax=False))
add(op("round", (_half_integers((2, 3)) + 0.5) / 10, kwargs={"decimals": 1}, label="decimals=1", order=0))
_specials = np.array([[1.0, np.nan, -np.inf], [np.inf, -0.5, 0.0]])
for _name in ("isnan", "isinf", "isfinite", "signbit"):
    add(op(_name, _specials, order=0))
add(op("logical_not", np.array([[0.0, 1.5, -2.0], [0.0, 0.0, 3.0]]), order=0))
# float32 inputs have their own largest float: compared with float64 only with explicit replacements.
add(op("nan_to_num", _specials, autograd=False, jax=False, float32=False, order=1))
add(op("nan_to_num", _specials, label="posinf, neginf, nan", kwargs={"nan": 1.0, "posinf": 9.0, "neginf": -9.0},
       autograd=False, jax=False))
add(call("wnp.stop_gradient", wnp.stop_gradient, lambda x: x, _uniform((2, 3)), order=0))
add(call("wnp.astype[float32]", lambda x: wnp.astype(x, np.float32), lambda x: x.astype(np.float32),
         _uniform((2, 3)), rtol=1e-3, atol=1e-3, float32=False))
add(call("wnp.astype[float64]", lambda x: wnp.astype(x, np.float64), lambda x: x.astype(np.float64),
         _uniform((2, 3)), float32=False))
add(call("wnp.astype[int64]", lambda x: wnp.astype(x, np.int64), lambda x: x.astype(np.int64),
         _half_integers((2, 3)), order=0))


# --- elementwise: binary, with broadcasting ----------------------------------------------------------

_SHAPES = {"": ((2, 3), (2, 3)), "(3,1)+(4,)": ((3, 1), (4,)), "()+(2,3)": ((), (2, 3))}

# name: (sampler of x, sampler of y, autograd has it)
_BINARY = {
    "add": (_uniform, _uniform, True),
    "subtract": (_uniform, _uniform, True),
    "multiply": (_uniform, _uniform, True),
    "divide": (_uniform, _nonzero, True),
    "true_divide": (_uniform, _nonzero, True),
    "power": (lambda s: _uniform(s, 0.5, 2.0), lambda s: _uniform(s, -1.5, 2.5), True),
    "pow": (lambda s: _uniform(s, 0.5, 2.0), lambda s: _uniform(s, -1.5, 2.5), False),
    "float_power": (lambda s: _uniform(s, 0.5, 2.0), lambda s: _uniform(s, -1.5, 2.5), False),
    "arctan2": (_nonzero, _nonzero, True),
    "atan2": (_nonzero, _nonzero, False),
    "hypot": (_nonzero, _nonzero, True),
    "logaddexp": (_uniform, _uniform, True),
    "logaddexp2": (_uniform, _uniform, True),
}

for _name, (_sx, _sy, _ag) in _BINARY.items():
    for _label_text, (_shape_x, _shape_y) in _SHAPES.items():
        # float_power computes in float64 whatever its inputs, as NumPy's does.
        add(op(_name, _sx(_shape_x), _sy(_shape_y), label=_label_text, autograd=_ag,
               float32=_name != "float_power"))

# maximum / minimum: x and y interleaved, never tied.
for _name in ("maximum", "minimum"):
    for _label_text, (_shape_x, _shape_y) in _SHAPES.items():
        add(op(_name, *_distinct_pair(_shape_x, _shape_y), label=_label_text))

# remainder / fmod: x / y kept away from integers, where they jump.
_y_mod = np.array([[1.3, -0.7, 2.1], [-1.9, 0.9, 1.1]])
_x_mod = (_half_integers((2, 3)) + 0.1) * _y_mod
for _name in ("remainder", "mod", "fmod"):
    add(op(_name, _x_mod, _y_mod, autograd=_name != "mod"))
add(op("remainder", np.array([[2.45], [-3.3]]), np.array([1.3, -0.7, 2.1]),
       label="(2,1)+(3,)"))
add(op("copysign", _nonzero((2, 3)), _nonzero((2, 3)), autograd=False))
add(op("copysign", _nonzero((3, 1)), _nonzero((4,)), label="(3,1)+(4,)", autograd=False))

# Comparisons and logic: boolean outputs, no derivative.
_a, _b = _distinct((2, 3)), _distinct((2, 3))
_b[0, 0] = _a[0, 0]
for _name in ("equal", "not_equal", "less", "less_equal", "greater", "greater_equal"):
    add(op(_name, _a, _b, order=0))
for _name in ("logical_and", "logical_or", "logical_xor"):
    add(op(_name, np.array([[0.0, 1.0, 2.0], [0.0, 0.0, -1.0]]), np.array([[0.0, 0.0, 3.0], [1.0, 0.0, 2.0]]),
           order=0))
add(op("floor_divide", _x_mod, _y_mod, order=0))
add(op("heaviside", np.array([[-1.0, 0.0, 2.0], [0.5, 0.0, -0.3]]), np.array(0.5), order=0))
add(op("isclose", _a, _a + np.array([[0.0, 1e-9, 1.0], [0.0, 2.0, 1e-12]]), order=0, autograd=False))

# Only some arguments differentiated (the others are held fixed).
add(op("power", _uniform((2, 3), 0.5, 2.0), _uniform((2, 3)), label="base only", argnums=(0,)))
add(op("arctan2", _nonzero((2, 3)), _nonzero((3,)), label="second only", argnums=(1,)))

# Powers with a constant exponent (negative bases allowed for integer exponents).
add(call("wnp.power[x**3 (constant)]", lambda x: wnp.power(x, 3.0), lambda x: np.power(x, 3.0),
         _uniform((2, 3)), autograd_fn=lambda m, x: m.power(x, 3.0), jax_fn=lambda m, x: m.power(x, 3.0)))
add(call("wnp.power[x**0.5 (constant)]", lambda x: wnp.power(x, 0.5), lambda x: np.power(x, 0.5),
         _uniform((2, 3), 0.3, 2.0), autograd_fn=lambda m, x: m.power(x, 0.5), jax_fn=lambda m, x: m.power(x, 0.5)))
add(call("wnp.power[2**y (constant base)]", lambda y: wnp.power(2.0, y), lambda y: np.power(2.0, y),
         _uniform((2, 3)), autograd_fn=lambda m, y: m.power(2.0, y), jax_fn=lambda m, y: m.power(2.0, y)))


# --- where, clip -------------------------------------------------------------------------------------

_mask = np.array([[True, False, True], [False, False, True]])
add(same(lambda m, x, y: m.where(_mask, x, y), _uniform((2, 3)), _uniform((2, 3)), name="wnp.where",
         label="mask"))
add(same(lambda m, x, y: m.where(_mask, x, y), _uniform((2, 1)), _uniform((3,)), name="wnp.where",
         label="mask, (2,1)+(3,)"))
add(same(lambda m, x: m.where(x > 0, x, 0.1 * x), _nonzero((2, 3)), name="wnp.where", label="traced condition"))
add(same(lambda m, x: m.where(x > 0, m.sqrt(m.where(x > 0, x, 1.0)), 0.0), _nonzero((2, 3)),
         name="wnp.where", label="double where"))
add(same(lambda m, x: m.where(x > 0)[0], _nonzero((5,)), name="wnp.where", label="one argument", order=0))

_clip_x = np.array([[-2.3, -0.4, 0.2], [0.9, 1.8, -1.1]])
add(same(lambda m, x: m.clip(x, -1.0, 1.0), _clip_x, name="wnp.clip", label="scalar bounds"))
add(same(lambda m, x: m.clip(x, -1.0, None), _clip_x, name="wnp.clip", label="lower only"))
add(op("clip", _clip_x, np.array([-1.0, 0.0, 0.5]), np.array([1.5, 0.5, 1.0]), label="array bounds",
       autograd=False))


# --- reductions --------------------------------------------------------------------------------------

_x3 = _uniform((2, 3, 4))
_AXES = {"": {}, "axis=1": {"axis": 1}, "axis=-1,keepdims": {"axis": -1, "keepdims": True},
         "axis=(0,2)": {"axis": (0, 2)}, "axis=None,keepdims": {"axis": None, "keepdims": True}}

for _name in ("sum", "mean", "var", "std"):
    for _label_text, _kw in _AXES.items():
        add(op(_name, _x3, label=_label_text, kwargs=_kw, autograd=not _kw.get("keepdims") or _name == "sum"))
for _name in ("var", "std"):
    add(op(_name, _x3, label="ddof=1,axis=1", kwargs={"ddof": 1, "axis": 1}))
    add(op(_name, _x3, label="ddof=1", kwargs={"ddof": 1}))
add(op("mean", _uniform(()), label="0-d"))
add(op("sum", _uniform((3,)), label="1-d"))

for _name in ("max", "min", "amax", "amin"):
    for _label_text, _kw in _AXES.items():
        add(op(_name, _distinct((2, 3, 4)), label=_label_text, kwargs=_kw))
add(op("ptp", _distinct((3, 4)), autograd=False))
add(op("ptp", _distinct((3, 4)), label="axis=0", kwargs={"axis": 0}))
add(op("max", _distinct((3, 4)), label="initial", kwargs={"axis": 0, "initial": 0.2}, autograd=False, jax=False))

_with_zero = _uniform((3, 4), 0.5, 1.5) * _R.choice([-1.0, 1.0], size=(3, 4))
_with_zero[1, 2] = 0.0
_two_zeros = _with_zero.copy()
_two_zeros[0, 1] = 0.0
add(op("prod", _uniform((2, 3, 4), 0.5, 1.5)))
add(op("prod", _uniform((2, 3, 4), 0.5, 1.5), label="axis=1", kwargs={"axis": 1}))
add(op("prod", _uniform((2, 3, 4), 0.5, 1.5), label="axis=(0,2),keepdims", kwargs={"axis": (0, 2), "keepdims": True}))
add(op("prod", _with_zero, label="one zero"))
add(op("prod", _with_zero, label="one zero,axis=1", kwargs={"axis": 1}))
add(op("prod", _two_zeros, label="two zeros"))
add(op("prod", _uniform((5,), 0.5, 1.5), label="odd length"))

for _name in ("cumsum", "cumprod"):
    _sample = _uniform((3, 5), 0.5, 1.5) if _name == "cumprod" else _uniform((3, 5))
    add(op(_name, _sample))
    add(op(_name, _sample, label="axis=0", kwargs={"axis": 0}))
    add(op(_name, _sample, label="axis=-1", kwargs={"axis": -1}))
add(op("cumprod", _with_zero, label="with a zero,axis=1", kwargs={"axis": 1}, autograd=False))

add(op("average", _uniform((3, 4)), autograd=False))
add(call("wnp.average[weights]", lambda a, w: wnp.average(a, axis=1, weights=w),
         lambda a, w: np.average(a, axis=1, weights=w), _uniform((3, 4)), _uniform((4,), 0.5, 2.0),
         jax_fn=lambda m, a, w: m.average(a, axis=1, weights=w)))
add(call("wnp.average[weights, same shape]", lambda a, w: wnp.average(a, weights=w),
         lambda a, w: np.average(a, weights=w), _uniform((3, 4)), _uniform((3, 4), 0.5, 2.0),
         jax_fn=lambda m, a, w: m.average(a, weights=w)))

add(op("median", _distinct((7,)), label="odd"))
add(op("median", _distinct((3, 4)), label="even"))
add(op("median", _distinct((3, 4)), label="axis=0", kwargs={"axis": 0}))
add(op("median", _distinct((3, 5)), label="axis=-1,keepdims", kwargs={"axis": -1, "keepdims": True}, autograd=False))
add(call("wnp.quantile[q=0.3]", lambda a: wnp.quantile(a, 0.3), lambda a: np.quantile(a, 0.3), _distinct((3, 4)),
         jax_fn=lambda m, a: m.quantile(a, 0.3)))
add(call("wnp.quantile[q array,axis=1]", lambda a: wnp.quantile(a, np.array([0.1, 0.5, 0.95]), axis=1),
         lambda a: np.quantile(a, np.array([0.1, 0.5, 0.95]), axis=1), _distinct((3, 5)),
         jax_fn=lambda m, a: m.quantile(a, m.array([0.1, 0.5, 0.95]), axis=1)))
add(call("wnp.quantile[axis=0,keepdims]", lambda a: wnp.quantile(a, 0.75, axis=0, keepdims=True),
         lambda a: np.quantile(a, 0.75, axis=0, keepdims=True), _distinct((5, 3)),
         jax_fn=lambda m, a: m.quantile(a, 0.75, axis=0, keepdims=True)))
add(call("wnp.percentile[q=40]", lambda a: wnp.percentile(a, 40.0), lambda a: np.percentile(a, 40.0),
         _distinct((3, 4)), jax_fn=lambda m, a: m.percentile(a, 40.0)))
add(call("wnp.percentile[q array,axis=0]", lambda a: wnp.percentile(a, [25.0, 90.0], axis=0),
         lambda a: np.percentile(a, [25.0, 90.0], axis=0), _distinct((5, 3)),
         jax_fn=lambda m, a: m.percentile(a, m.array([25.0, 90.0]), axis=0)))

_with_nan = _uniform((3, 4))
_with_nan[0, 1] = _with_nan[2, 3] = np.nan
add(op("nansum", _with_nan, autograd=False))
add(op("nansum", _with_nan, label="axis=1", kwargs={"axis": 1}, autograd=False))
add(op("nanmean", _with_nan, autograd=False))
add(op("nanmean", _with_nan, label="axis=0,keepdims", kwargs={"axis": 0, "keepdims": True}, autograd=False))

_ints_sample = _distinct((3, 4))
for _name in ("argmax", "argmin"):
    add(op(_name, _ints_sample, order=0))
    add(op(_name, _ints_sample, label="axis=1,keepdims", kwargs={"axis": 1, "keepdims": True}, order=0))
_bools = np.array([[0.0, 1.0, 2.0], [0.0, 0.0, 0.0]])
for _name in ("all", "any", "count_nonzero"):
    add(op(_name, _bools, order=0))
    add(op(_name, _bools, label="axis=1", kwargs={"axis": 1}, order=0))


# --- shape and layout --------------------------------------------------------------------------------

_m = _uniform((3, 4))
_t = _uniform((2, 3, 4))
add(op("reshape", _t, label="(4,6)", kwargs={"shape": (4, 6)}, autograd=False, jax=False))
add(call("wnp.reshape[(-1,2)]", lambda x: wnp.reshape(x, (-1, 2)), lambda x: np.reshape(x, (-1, 2)), _t,
         autograd_fn=lambda m, x: m.reshape(x, (-1, 2)), jax_fn=lambda m, x: m.reshape(x, (-1, 2))))
add(op("ravel", _t))
add(op("transpose", _t))
add(op("transpose", _t, label="axes=(1,-1,0)", kwargs={"axes": (1, -1, 0)}))
add(op("permute_dims", _t, label="axes=(2,0,1)", kwargs={"axes": (2, 0, 1)}, autograd=False))
add(op("matrix_transpose", _t, autograd=False))
add(op("swapaxes", _t, label="0,2", kwargs={"axis1": 0, "axis2": 2}))
add(op("swapaxes", _t, label="-1,1", kwargs={"axis1": -1, "axis2": 1}))
add(op("moveaxis", _t, label="0->-1", kwargs={"source": 0, "destination": -1}))
add(op("moveaxis", _t, label="(0,1)->(2,0)", kwargs={"source": (0, 1), "destination": (2, 0)}))
add(op("rollaxis", _t, label="2,0", kwargs={"axis": 2, "start": 0}))
add(op("rollaxis", _t, label="0,3", kwargs={"axis": 0, "start": 3}))
add(op("broadcast_to", _uniform((3, 1)), label="(2,3,4)", kwargs={"shape": (2, 3, 4)}))
add(op("broadcast_to", _uniform(()), label="0-d to (3,)", kwargs={"shape": (3,)}))
add(same(lambda m, x, y: m.broadcast_arrays(x, y), _uniform((3, 1)), _uniform((4,)), name="wnp.broadcast_arrays",
         autograd=False))
add(op("expand_dims", _m, label="axis=1", kwargs={"axis": 1}))
add(op("expand_dims", _m, label="axis=-1", kwargs={"axis": -1}))
add(op("expand_dims", _m, label="axis=(0,3)", kwargs={"axis": (0, 3)}, autograd=False))
add(op("squeeze", _uniform((1, 3, 1, 2))))
add(op("squeeze", _uniform((1, 3, 1, 2)), label="axis=2", kwargs={"axis": 2}))
add(op("squeeze", _uniform((1, 3, 1, 2)), label="axis=(0,-2)", kwargs={"axis": (0, -2)}))
for _name in ("atleast_1d", "atleast_2d", "atleast_3d"):
    add(op(_name, _uniform(()), label="0-d"))
    add(op(_name, _uniform((3,)), label="1-d"))
    add(op(_name, _m, label="2-d"))

_pieces = (_uniform((2, 3)), _uniform((2, 3)), _uniform((2, 3)))
for _label_text, _kw in {"axis=0": {"axis": 0}, "axis=-1": {"axis": -1}, "axis=None": {"axis": None}}.items():
    add(same(lambda m, a, b, c, kw=_kw: m.concatenate([a, b, c], **kw), *_pieces, name="wnp.concatenate",
             label=_label_text))
add(same(lambda m, a, b, c: m.concat([a, b, c]), *_pieces, name="wnp.concat", autograd=False))
add(same(lambda m, a, b: m.concatenate([a, b], axis=1), _uniform((2, 1)), _uniform((2, 3)), name="wnp.concatenate",
         label="unequal sizes"))
for _name in ("stack", "hstack", "vstack", "dstack", "column_stack", "row_stack"):
    _peer_name = "vstack" if _name == "row_stack" else _name  # NumPy deprecates the alias row_stack
    for _label_text, _shape in (("2-d", (2, 3)), ("1-d", (3,))):
        add(call(f"wnp.{_name}[{_label_text}]", lambda a, b, n=_name: getattr(wnp, n)([a, b]),
                 lambda a, b, n=_peer_name: getattr(np, n)([a, b]), _uniform(_shape), _uniform(_shape),
                 autograd_fn=lambda m, a, b, n=_peer_name: getattr(m, n)([a, b]),
                 jax_fn=lambda m, a, b, n=_peer_name: getattr(m, n)([a, b])))
add(same(lambda m, a, b: m.stack([a, b], axis=-1), _uniform((2, 3)), _uniform((2, 3)), name="wnp.stack",
         label="axis=-1"))
add(same(lambda m, a, b: m.stack([a, b], axis=1), _uniform((2, 3)), _uniform((2, 3)), name="wnp.stack", label="axis=1"))

add(same(lambda m, x: m.split(x, 3, axis=1), _uniform((2, 6)), name="wnp.split", label="3 sections,axis=1"))
add(same(lambda m, x: m.split(x, [1, 3]), _uniform((5, 2)), name="wnp.split", label="at [1,3]"))
add(same(lambda m, x: m.array_split(x, 3), _uniform((7,)), name="wnp.array_split", label="unequal"))
add(same(lambda m, x: m.array_split(x, [2, 2, 5], axis=-1), _uniform((2, 6)), name="wnp.array_split",
         label="indices with an empty piece"))
add(same(lambda m, x: m.hsplit(x, 2), _uniform((3, 4)), name="wnp.hsplit"))
add(same(lambda m, x: m.vsplit(x, [1]), _uniform((3, 4)), name="wnp.vsplit"))

add(op("flip", _t))
add(op("flip", _t, label="axis=1", kwargs={"axis": 1}))
add(op("flip", _t, label="axis=(0,-1)", kwargs={"axis": (0, -1)}, autograd=False))
add(op("fliplr", _m))
add(op("flipud", _m))
add(op("roll", _m, label="shift=2", kwargs={"shift": 2}))
add(op("roll", _m, label="shift=-1,axis=1", kwargs={"shift": -1, "axis": 1}))
add(op("roll", _m, label="shift=(1,5),axis=(0,1)", kwargs={"shift": (1, 5), "axis": (0, 1)}))
for _k in (1, 2, 3, -1):
    add(op("rot90", _m, label=f"k={_k}", kwargs={"k": _k}))
add(op("rot90", _t, label="axes=(1,2)", kwargs={"k": 1, "axes": (1, 2)}))
add(op("tile", _m, label="reps=2", kwargs={"reps": 2}))
add(op("tile", _uniform((3,)), label="reps=(2,2)", kwargs={"reps": (2, 2)}))
add(op("repeat", _m, label="2,axis=None", kwargs={"repeats": 2}))
add(op("repeat", _m, label="2,axis=1", kwargs={"repeats": 2, "axis": 1}))
add(same(lambda m, x: m.repeat(x, np.array([1, 0, 3]), axis=0), _m, name="wnp.repeat", label="per element,axis=0"))

for _mode in ("constant", "edge", "reflect", "symmetric", "wrap"):
    add(op("pad", _m, label=f"{_mode}", kwargs={"pad_width": ((1, 2), (2, 1)), "mode": _mode}))
add(op("pad", _m, label="constant_values=1.5", kwargs={"pad_width": 1, "constant_values": 1.5}, autograd=False))
add(op("pad", _uniform((4,)), label="reflect,wide", kwargs={"pad_width": (3, 2), "mode": "reflect"}))

_idx = np.array([2, 0, 2, 3])
add(same(lambda m, x: m.take(x, _idx), _m, name="wnp.take", label="axis=None"))
add(same(lambda m, x: m.take(x, _idx, axis=1), _m, name="wnp.take", label="axis=1,repeats"))
add(same(lambda m, x: m.take(x, np.array([[0, 2], [2, 1]]), axis=0), _m, name="wnp.take", label="2-d indices"))
_along = np.array([[0, 3, 3], [1, 1, 0], [2, 0, 1]])
add(same(lambda m, x: m.take_along_axis(x, _along, axis=1), _m, name="wnp.take_along_axis", label="axis=1"))
add(same(lambda m, x: m.take_along_axis(x, np.array([[2, 0, 1, 1]]), axis=0), _m, name="wnp.take_along_axis",
         label="axis=0"))

add(op("sort", _distinct((3, 4))))
add(op("sort", _distinct((3, 4)), label="axis=0", kwargs={"axis": 0}))
add(op("sort", _distinct((3, 4)), label="axis=None", kwargs={"axis": None}))
add(op("argsort", _distinct((3, 4)), order=0))
add(op("argsort", _distinct((3, 4)), label="axis=None", kwargs={"axis": None}, order=0))

add(op("diagonal", _m))
add(op("diagonal", _m, label="offset=1", kwargs={"offset": 1}))
add(op("diagonal", _m, label="offset=-1", kwargs={"offset": -1}))
add(op("diagonal", _t, label="axis1=2,axis2=0", kwargs={"axis1": 2, "axis2": 0}))
add(op("diag", _uniform((3,)), label="1-d"))
add(op("diag", _uniform((3,)), label="1-d,k=-2", kwargs={"k": -2}))
add(op("diag", _m, label="2-d"))
add(op("diag", _m, label="2-d,k=1", kwargs={"k": 1}))
add(op("diagflat", _uniform((2, 2)), autograd=False))
add(op("diagflat", _uniform((3,)), label="k=1", kwargs={"k": 1}, autograd=False))
for _name in ("tril", "triu"):
    add(op(_name, _m))
    add(op(_name, _m, label="k=1", kwargs={"k": 1}))
    add(op(_name, _m, label="k=-1", kwargs={"k": -1}))
    add(op(_name, _t, label="batched"))
add(op("diff", _m))
add(op("diff", _m, label="n=2", kwargs={"n": 2}))
add(op("diff", _m, label="axis=0", kwargs={"axis": 0}))


# --- creation and inspection that take arrays ---------------------------------------------------------

add(same(lambda m, x, y: m.array([x, y]), _uniform((3,)), _uniform((3,)), name="wnp.array",
         label="list of arrays"))
add(same(lambda m, x: m.array(x), _uniform((2, 3)), name="wnp.array", label="array"))
add(same(lambda m, x: m.asarray(x), _uniform((2, 3)), name="wnp.asarray"))
add(same(lambda m, x: m.array(x, dtype=m.float32), _uniform((2, 3)), name="wnp.array", label="dtype=float32",
         rtol=1e-3, atol=1e-3, float32=False, autograd=False))
for _name in ("zeros_like", "ones_like"):
    add(op(_name, _uniform((2, 3)), order=0))
add(op("full_like", _uniform((2, 3)), kwargs={"fill_value": 2.5}, order=0))
add(same(lambda m, x, v: m.full_like(x, v), _uniform((2, 3)), _uniform(()), name="wnp.full_like", label="traced fill",
         argnums=(1,), autograd=False))
add(same(lambda m, v: m.full((2, 3), v), _uniform(()), name="wnp.full", autograd=False))
add(same(lambda m, v: m.full((3, 2), v), _uniform((2,)), name="wnp.full", label="broadcast row", autograd=False))
add(same(lambda m, a, b: m.linspace(a, b, 5), _uniform(()), _uniform(()), name="wnp.linspace", autograd=False))
add(same(lambda m, a, b: m.linspace(a, b, 4, endpoint=False), _uniform(()), _uniform(()), name="wnp.linspace",
         label="endpoint=False", autograd=False))
add(same(lambda m, a, b: m.linspace(a, b, 3, axis=1), _uniform((2,)), _uniform(()), name="wnp.linspace",
         label="array start, axis=1", autograd=False))
add(same(lambda m, a, b: m.logspace(a, b, 4), _uniform((), -1.0, 1.0), _uniform((), -1.0, 1.0), name="wnp.logspace",
         autograd=False))
add(same(lambda m, a, b: m.geomspace(a, b, 4), _uniform((), 0.5, 2.0), _uniform((), 3.0, 5.0), name="wnp.geomspace",
         autograd=False, float32=False))  # NumPy's geomspace computes float32 ends in float64
add(same(lambda m, x, y: m.stack(m.meshgrid(x, y)), _uniform((3,)), _uniform((2,)), name="wnp.meshgrid",
         autograd=False))
add(same(lambda m, x, y: m.stack(m.meshgrid(x, y, indexing="ij")), _uniform((3,)), _uniform((2,)),
         name="wnp.meshgrid", label="ij", autograd=False))
add(same(lambda m, x: m.nonzero(x), np.array([[0.0, 1.0, 0.0], [2.0, 0.0, -1.0]]), name="wnp.nonzero", order=0))
add(same(lambda m, x: m.argwhere(x), np.array([[0.0, 1.0, 0.0], [2.0, 0.0, -1.0]]), name="wnp.argwhere", order=0))
add(same(lambda m, a, v: m.searchsorted(a, v), np.sort(_distinct((6,))), _distinct((4,)), name="wnp.searchsorted",
         order=0))
add(same(lambda m, x: m.unique(x), np.array([3.0, 1.0, 3.0, 2.0, 1.0]), name="wnp.unique", order=0))


# --- indexing ----------------------------------------------------------------------------------------

_x4 = _uniform((3, 4, 5))
_INDICES = {
    "x[1]": 1,
    "x[-1, 1:3]": (-1, slice(1, 3)),
    "x[:, ::-2]": (slice(None), slice(None, None, -2)),
    "x[::2, None, 1]": (slice(None, None, 2), None, 1),
    "x[..., 0]": (Ellipsis, 0),
    "x[1, ..., None]": (1, Ellipsis, None),
    "x[[0, 2, 0]]": np.array([0, 2, 0]),
    "x[:, [3, 1, 3], 2:]": (slice(None), np.array([3, 1, 3]), slice(2, None)),
    "x[[0, 2], :, [1, 4]]": (np.array([0, 2]), slice(None), np.array([1, 4])),
    "x[[[0], [2]], [1, 3]]": (np.array([[0], [2]]), np.array([1, 3])),
    "x[mask]": np.array([True, False, True]),
    "x[mask 2-d]": _x4[..., 0] > 0,
    "x[1, mask]": (1, np.array([True, False, False, True])),
}
for _name, _index in _INDICES.items():
    add(call(_name, lambda x, i=_index: x[i], lambda x, i=_index: x[i], _x4,
             autograd_fn=lambda m, x, i=_index: x[i], jax_fn=lambda m, x, i=_index: x[i]))


def _numpy_update(kind):
    """The NumPy reference of ``x.at[idx].<kind>(v)``: a copy, with unbuffered ``ufunc.at``."""
    ufuncs = {"add": np.add, "multiply": np.multiply, "min": np.minimum, "max": np.maximum}

    def update(x, v, idx):
        out = np.array(x, copy=True)
        if kind == "set":
            out[idx] = v
        else:
            ufuncs[kind].at(out, idx, v)
        return out

    return update


_UPDATES = {
    "[1]": (1, (4,)),
    "[:, 1:3]": ((slice(None), slice(1, 3)), (3, 2)),
    "[[0, 2, 0]] (repeated)": (np.array([0, 2, 0]), (3, 4)),
    "[[0, 2, 0], 1] (repeated)": ((np.array([0, 2, 0]), 1), (3,)),
    "[mask]": (np.array([[True, False, False, True]] * 3), (6,)),
    "[..., 2] (broadcast value)": ((Ellipsis, 2), ()),
}
_xu = _distinct((3, 4))
# JAX leaves the winner of repeated indices in a set unspecified and has no gradient for a
# multiply at repeated indices.
_NOT_IN_JAX = {("set", "[[0, 2, 0]] (repeated)"), ("set", "[[0, 2, 0], 1] (repeated)"),
               ("multiply", "[[0, 2, 0]] (repeated)"), ("multiply", "[[0, 2, 0], 1] (repeated)"),
               ("multiply", "[mask]")}
for _kind in ("set", "add", "multiply", "min", "max"):
    for _label_text, (_index, _value_shape) in _UPDATES.items():
        if _kind in ("min", "max"):
            _x, _value = _distinct_pair((3, 4), _value_shape)
        else:
            _x, _value = _xu, _uniform(_value_shape, 0.5, 1.5)
        _peer_fn = (lambda m, x, v, i=_index, k=_kind: getattr(x.at[i], k)(v))
        _reference = _numpy_update(_kind)
        add(call(f"wnp.at{_label_text}.{_kind}",
                 lambda x, v, i=_index, k=_kind: getattr(wnp.at(x)[i], k)(v),
                 lambda x, v, i=_index, up=_reference: up(x, v, i),
                 _x, _value, jax_fn=None if (_kind, _label_text) in _NOT_IN_JAX else _peer_fn))


def _subtract_rows(x, v):
    out = x.copy()
    out[1:] -= v
    return out


def _divide_twice(x, v):
    out = x.copy()
    np.divide.at(out, np.array([0, 0]), v)
    return out


def _power_row(x, v):
    out = x.copy()
    out[2] **= v
    return out


add(call("wnp.at[1].get", lambda x: wnp.at(x)[1].get(), lambda x: x[1], _xu, jax_fn=lambda m, x: x.at[1].get()))
add(call("wnp.at[1:].subtract", lambda x, v: wnp.at(x)[1:].subtract(v), _subtract_rows, _xu, _uniform((4,))))
add(call("wnp.at[[0, 0]].divide", lambda x, v: wnp.at(x)[np.array([0, 0])].divide(v), _divide_twice, _xu,
         _uniform((2, 4), 0.5, 1.5)))
add(call("wnp.at[2].power", lambda x, v: wnp.at(x)[2].power(v), _power_row, np.abs(_xu) + 0.5, _uniform((4,))))


# --- operators and methods of traced values ------------------------------------------------------------

_OPERATORS = {
    "x + y": lambda x, y: x + y,
    "x - y": lambda x, y: x - y,
    "x * y": lambda x, y: x * y,
    "x / y": lambda x, y: x / y,
    "x ** y": lambda x, y: abs(x) ** y,
    "x @ y.T": lambda x, y: x @ y.T,
    "2.0 - x / y": lambda x, y: 2.0 - x / y,
    "2.0 / x ** 2 + y": lambda x, y: 2.0 / x**2 + y,
    "-x % y": lambda x, y: -x % y,
}
for _name, _f in _OPERATORS.items():
    _xs, _ys = _nonzero((2, 3), 0.5, 2.0), _nonzero((2, 3), 0.5, 2.0)
    if "%" in _name:
        _ys = _y_mod
        _xs = -_x_mod
    add(call(_name, _f, _f, _xs, _ys, autograd_fn=lambda m, x, y, f=_f: f(x, y),
             jax_fn=lambda m, x, y, f=_f: f(x, y)))

_METHODS = {
    "x.sum(1)": lambda x: x.sum(1),
    "x.mean(axis=0)": lambda x: x.mean(axis=0),
    "x.prod()": lambda x: x.prod(),
    "x.var()": lambda x: x.var(),
    "x.std(ddof=1)": lambda x: x.std(ddof=1),
    "x.max(axis=1)": lambda x: x.max(axis=1),
    "x.min()": lambda x: x.min(),
    "x.cumsum(0)": lambda x: x.cumsum(0),
    "x.cumprod(axis=1)": lambda x: x.cumprod(axis=1),
    "x.reshape(2, 6)": lambda x: x.reshape(2, 6),
    "x.reshape((6, -1))": lambda x: x.reshape((6, -1)),
    "x.T": lambda x: x.T,
    "x.transpose(1, 0)": lambda x: x.transpose(1, 0),
    "x.ravel()": lambda x: x.ravel(),
    "x.flatten()": lambda x: x.flatten(),
    "x.swapaxes(0, 1)": lambda x: x.swapaxes(0, 1),
    "x.diagonal()": lambda x: x.diagonal(),
    "x.trace()": lambda x: x.trace(),
    "x.dot(x.T)": lambda x: x.dot(x.T),
    "x.clip(-1, 1)": lambda x: x.clip(-1.0, 1.0),
    "x.repeat(2)": lambda x: x.repeat(2),
    "abs(x)": lambda x: abs(x),
    "x[None].squeeze()": lambda x: x[None].squeeze(),
}
for _name, _f in _METHODS.items():
    _xs = _uniform((3, 4), 0.5, 1.5) if "prod" in _name else _distinct((3, 4))  # distinct: no ties, no clip bound
    add(call(_name, _f, _f, _xs, jax_fn=lambda m, x, f=_f: f(x)))
add(call("x.take([0, 2])", lambda x: x.take([0, 2]), lambda x: x.take([0, 2]), _distinct((3, 4)),
         jax_fn=lambda m, x: x.take(np.array([0, 2]))))
add(call("x.mT", lambda x: x.mT, lambda x: x.mT, _t, jax_fn=lambda m, x: x.mT))


# --- contractions -----------------------------------------------------------------------------------

_DOT_SHAPES = {
    "1-d,1-d": ((4,), (4,)),
    "2-d,1-d": ((3, 4), (4,)),
    "1-d,2-d": ((3,), (3, 4)),
    "2-d,2-d": ((3, 4), (4, 2)),
    "3-d,3-d": ((2, 3, 4), (2, 4, 3)),
    "4-d,3-d": ((2, 1, 3, 2), (2, 2, 3)),
    "0-d,2-d": ((), (2, 3)),
}
for _label_text, (_sa, _sb) in _DOT_SHAPES.items():
    add(op("dot", _uniform(_sa), _uniform(_sb), label=_label_text))

_MATMUL_SHAPES = {
    "1-d,1-d": ((4,), (4,)),
    "2-d,1-d": ((3, 4), (4,)),
    "1-d,2-d": ((3,), (3, 4)),
    "2-d,2-d": ((3, 4), (4, 2)),
    "batched 1-d": ((2, 3, 4), (4,)),
    "1-d batched": ((3,), (2, 3, 4)),
    "batched,2-d": ((2, 3, 4), (4, 2)),
    "broadcast batches": ((2, 1, 3, 4), (5, 4, 2)),
}
for _label_text, (_sa, _sb) in _MATMUL_SHAPES.items():
    add(op("matmul", _uniform(_sa), _uniform(_sb), label=_label_text))

_EINSUM = {
    "ij,jk->ik": ((3, 4), (4, 2)),
    "ij,jk": ((3, 4), (4, 2)),
    "i,i": ((4,), (4,)),
    "ij->ji": ((3, 4),),
    "ij->": ((3, 4),),
    "ii->": ((3, 3),),
    "ii->i": ((3, 3),),
    "iij->j": ((3, 3, 2),),
    "bij,bjk->bik": ((2, 3, 4), (2, 4, 2)),
    "...ij,...jk->...ik": ((2, 3, 4), (2, 4, 2)),
    "...ij,jk": ((5, 2, 3), (3, 4)),
    "i...->...": ((3, 2, 2),),
    "ij,jk,kl->il": ((2, 3), (3, 4), (4, 2)),
    "i,j->ij": ((3,), (4,)),
    "ij,ij->i": ((3, 4), (3, 4)),
    "ii,i->i": ((3, 3), (3,)),
}
for _spec, _shapes in _EINSUM.items():
    add(same(lambda m, *ops, s=_spec: m.einsum(s, *ops), *(_uniform(s) for s in _shapes), name="wnp.einsum",
             label=_spec))

# the index tricks r_ and c_ are objects, not functions (hence no "wnp." in their names for the coverage test)
add(same(lambda m, a, b: m.r_[a, 0.5, b], _uniform((3,)), _uniform((2,)), name="index trick r_",
         label="arrays and a scalar"))
add(same(lambda m, a, b: m.r_[a, b, 0:2], _uniform((3,)), _uniform((2,)), name="index trick r_",
         label="and a range", float32=False))  # the range is int64, so NumPy's result is float64
add(same(lambda m, a, b: m.r_["0,2,0", a, b], _uniform((3,)), _uniform((3,)), name="index trick r_",
         label="'0,2,0': columns"))
add(same(lambda m, a, b: m.c_[a, b, a], _uniform((3, 2)), _uniform((3,)), name="index trick c_"))
add(op("tensordot", _uniform((2, 3, 4)), _uniform((3, 4, 2)), label="axes=2"))
add(op("tensordot", _uniform((2, 3, 4)), _uniform((4, 2)), label="axes=1", kwargs={"axes": 1}))
add(op("tensordot", _uniform((2, 3, 4)), _uniform((4, 3, 5)), label="axes=([1,2],[1,0])",
       kwargs={"axes": ([1, 2], [1, 0])}))
add(op("tensordot", _uniform((2, 3)), _uniform((4,)), label="axes=0", kwargs={"axes": 0}))
add(op("tensordot", _uniform((3, 2, 4)), _uniform((4, 2, 3)), label="axes=([2,0],[0,2])",
       kwargs={"axes": ([2, 0], [0, 2])}))
add(op("tensordot", _uniform((2, 3, 4)), _uniform((4, 2)), label="axes=([-1],[0])", kwargs={"axes": ([-1], [0])}))
for _label_text, (_sa, _sb) in {"1-d": ((4,), (4,)), "2-d,3-d": ((2, 4), (3, 2, 4)), "0-d": ((), (3,))}.items():
    add(op("inner", _uniform(_sa), _uniform(_sb), label=_label_text))
add(op("outer", _uniform((3,)), _uniform((4,))))
add(op("outer", _uniform((2, 2)), _uniform((3,)), label="flattens"))
add(op("vdot", _uniform((4,)), _uniform((4,))))
add(op("vdot", _uniform((2, 3)), _uniform((2, 3)), label="flattens", autograd=False))
add(op("kron", _uniform((2, 3)), _uniform((2, 2))))
add(op("kron", _uniform((3,)), _uniform((2,)), label="1-d"))
add(op("cross", _uniform((3,)), _uniform((3,))))
add(op("cross", _uniform((4, 3)), _uniform((3,)), label="batched,broadcast"))
add(op("cross", _uniform((3, 2)), _uniform((3, 2)), label="axis=0", kwargs={"axis": 0}))
add(op("trace", _m))
add(op("trace", _m, label="offset=1", kwargs={"offset": 1}))
add(op("trace", _t, label="axis1=1,axis2=2", kwargs={"axis1": 1, "axis2": 2}))


# --- corners: empty axis tuples, negative indices, mixed Python scalars, n-d dot ----------------------

add(op("sum", _x3, label="axis=()", kwargs={"axis": ()}))
add(op("mean", _x3, label="axis=(-1,0),keepdims", kwargs={"axis": (-1, 0), "keepdims": True}))
add(op("prod", _uniform((2, 3), 0.5, 1.5), label="axis=None,keepdims", kwargs={"axis": None, "keepdims": True}))
add(op("cumsum", _m, label="axis=None"))
add(op("cumprod", _uniform((2, 3), 0.5, 1.5), label="axis=None"))
add(op("median", _distinct((2, 3, 5)), label="axis=(0,2)", kwargs={"axis": (0, 2)}))
add(op("median", _distinct((2, 3, 4)), label="axis=(2,0),keepdims", kwargs={"axis": (2, 0), "keepdims": True}))
add(call("wnp.quantile[q array,axis=(0,1),keepdims]",
         lambda a: wnp.quantile(a, np.array([0.2, 0.7]), axis=(0, 1), keepdims=True),
         lambda a: np.quantile(a, np.array([0.2, 0.7]), axis=(0, 1), keepdims=True), _distinct((2, 3, 2)),
         jax_fn=lambda m, a: m.quantile(a, m.array([0.2, 0.7]), axis=(0, 1), keepdims=True)))
add(op("median", _uniform(()), label="0-d"))
add(op("percentile", _distinct((3, 5)), label="keepdims,axis=None", kwargs={"q": 30.0, "keepdims": True}))
add(op("dot", _uniform((4,)), _uniform((2, 4, 3)), label="1-d,3-d"))
add(op("dot", _uniform((2, 3, 4)), _uniform((4,)), label="3-d,1-d"))
add(op("maximum", _nonzero((2, 3)), np.array(0.0), label="relu"))
add(same(lambda m, x: m.maximum(x, 0.0), _nonzero((2, 3)), name="wnp.maximum", label="Python scalar"))
add(same(lambda m, x: 1.5 * m.exp(-x) + 2, _uniform((2, 3)), name="x.__rmul__", label="Python scalars"))
add(same(lambda m, x: m.take(x, np.array([-1, 0, -3]), axis=0), _m, name="wnp.take", label="negative indices"))
add(same(lambda m, x: m.repeat(x, 2, axis=-1), _m, name="wnp.repeat", label="axis=-1"))
add(same(lambda m, x: m.moveaxis(x, -1, 0), _t, name="wnp.moveaxis", label="-1->0"))
add(same(lambda m, x: m.squeeze(x), _uniform(()), name="wnp.squeeze", label="0-d"))
add(same(lambda m, x: m.diff(x, n=2, axis=0), _uniform((4, 3)), name="wnp.diff", label="n=2,axis=0"))
add(same(lambda m, x: m.sort(x, axis=1), _distinct((2, 3, 4)), name="wnp.sort", label="3-d,axis=1"))
add(same(lambda m, x: m.pad(x, ((1, 0), (0, 2), (2, 2)), mode="edge"), _t, name="wnp.pad", label="edge,3-d"))
add(same(lambda m, x: m.pad(x, 2, mode="wrap"), _uniform((3,)), name="wnp.pad", label="wrap,wider than 1 period"))
add(same(lambda m, x, y: m.where(x > y, x, y), *_distinct_pair((3, 1), (4,)), name="wnp.where",
         label="traced condition, broadcast"))
add(same(lambda m, x, lo: m.clip(x, lo, 1.0), _clip_x, np.array([[-1.0], [0.5]]), name="wnp.clip",
         label="traced lower bound, broadcast", autograd=False))
add(call("x[::-1, 1::2]", lambda x: x[::-1, 1::2], lambda x: x[::-1, 1::2], _x4,
         autograd_fn=lambda m, x: x[::-1, 1::2], jax_fn=lambda m, x: x[::-1, 1::2]))
add(call("x[-2:, ..., ::-3]", lambda x: x[-2:, ..., ::-3], lambda x: x[-2:, ..., ::-3], _x4,
         autograd_fn=lambda m, x: x[-2:, ..., ::-3], jax_fn=lambda m, x: x[-2:, ..., ::-3]))
add(call("x[[-1, 0, -1], None]", lambda x: x[[-1, 0, -1], None], lambda x: x[[-1, 0, -1], None], _x4,
         jax_fn=lambda m, x: x[m.array([-1, 0, -1]), None]))
add(call("wnp.at[-1].add", lambda x, v: wnp.at(x)[-1].add(v), lambda x, v: _numpy_update("add")(x, v, -1), _xu,
         _uniform((4,)), jax_fn=lambda m, x, v: x.at[-1].add(v)))
add(call("wnp.at[::-2, 1].set", lambda x, v: wnp.at(x)[::-2, 1].set(v),
         lambda x, v: _numpy_update("set")(x, v, (slice(None, None, -2), 1)), _xu, _uniform((2,)),
         jax_fn=lambda m, x, v: x.at[::-2, 1].set(v)))
add(call("wnp.at[[1, 1, 1]].set (repeated, broadcast value)", lambda x, v: wnp.at(x)[np.array([1, 1, 1])].set(v),
         lambda x, v: _numpy_update("set")(x, v, np.array([1, 1, 1])), _xu, _uniform((4,))))
add(call("wnp.at[[2, 0, 2]].multiply (repeated, broadcast value)",
         lambda x, v: wnp.at(x)[np.array([2, 0, 2])].multiply(v),
         lambda x, v: _numpy_update("multiply")(x, v, np.array([2, 0, 2])), _xu, _uniform((), 0.5, 1.5)))
add(same(lambda m, a, b: m.einsum("ij,ij", a, b), _uniform((3, 4)), _uniform((3, 4)), name="wnp.einsum",
         label="ij,ij (scalar)"))
add(same(lambda m, a: m.einsum("ii", a), _uniform((3, 3)), name="wnp.einsum", label="ii (implicit trace)"))
add(same(lambda m, a, b: m.einsum("...i,...i->...", a, b), _uniform((2, 3, 4)), _uniform((3, 4)),
         name="wnp.einsum", label="...i,...i->... (broadcast ellipsis)"))
add(same(lambda m, a, b: m.einsum("ij,jk->ik", a, b), _uniform((3, 4)), _uniform((1, 5)),
         name="wnp.einsum", label="ij,jk->ik (a size-1 axis broadcast)"))
add(same(lambda m, a, b: m.einsum(a, [0, 1], b, [1, 30], [30, 0]), _uniform((2, 3)), _uniform((3, 4)),
         name="wnp.einsum", label="interleaved sublists, labels 0 to 30"))
add(same(lambda m, a, b: m.einsum(a, [Ellipsis, 0, 1], b, [1, 2], [Ellipsis, 0, 2]), _uniform((2, 2, 3)),
         _uniform((3, 4)), name="wnp.einsum", label="interleaved sublists with Ellipsis",
         autograd=False))  # autograd's VJP of this form raises NumPy's ValueError
add(same(lambda m, a, b: m.matmul(a, b), _uniform((3, 1, 2, 4)), _uniform((1, 5, 4, 2)), name="wnp.matmul",
         label="both broadcast"))


# --- constants mixed with traced values, and one value used twice -------------------------------------

_constant = _uniform((2, 3))  # float64: with it, float32 inputs promote to float64, as in NumPy
add(same(lambda m, x: m.concatenate([x, _constant], axis=0), _uniform((1, 3)), name="wnp.concatenate",
         label="with a constant", float32=False))
add(same(lambda m, x: m.stack([_constant, x, _constant]), _uniform((2, 3)), name="wnp.stack", label="with constants",
         float32=False))
add(same(lambda m, x: m.where(_mask, x, 0.0), _uniform((2, 3)), name="wnp.where", label="scalar branch"))
add(call("wnp.at[1].set (into a constant)", lambda v: wnp.at(_constant)[1].set(v),
         lambda v: _numpy_update("set")(_constant, v, 1), _uniform((3,)),
         jax_fn=lambda m, v: m.asarray(_constant).at[1].set(v), float32=False))
add(same(lambda m, x: m.matmul(_constant, x), _uniform((3, 2)), name="wnp.matmul", label="constant @ x",
         float32=False))
add(same(lambda m, x: m.einsum("ij,ij->", x, x), _uniform((2, 3)), name="wnp.einsum", label="ij,ij-> (x twice)"))
add(same(lambda m, x: m.dot(x, x), _uniform((4,)), name="wnp.dot", label="x twice"))
add(same(lambda m, x: m.power(x, x), _uniform((2, 3), 0.5, 2.0), name="wnp.power", label="x**x"))
add(same(lambda m, x: m.sum(x, dtype=m.float32), _uniform((2, 3)), name="wnp.sum", label="dtype=float32",
         rtol=1e-3, atol=1e-3, float32=False, autograd=False))
add(same(lambda m, x: m.mean(x, axis=0, keepdims=True), _uniform((3, 2)), name="wnp.mean", label="axis=0,keepdims"))
add(same(lambda m, x: m.var(x, axis=1, ddof=2, keepdims=True), _uniform((2, 5)), name="wnp.var",
         label="ddof=2,keepdims", autograd=False))
add(same(lambda m, x: m.average(x, axis=0, returned=True), _uniform((3, 2)), name="wnp.average",
         label="returned", autograd=False))
add(same(lambda m, x, c: m.pad(x, ((1, 0), (2, 1)), constant_values=c), _m, _uniform(()), name="wnp.pad",
         label="traced constant_values", autograd=False))
add(same(lambda m, x: m.pad(x, 1, constant_values=((1.0, 2.0), (-3.0, 4.0))), _m, name="wnp.pad",
         label="constant_values per axis", autograd=False))
add(same(lambda m, x: m.roll(x, np.int64(-2), axis=np.int64(1)), _m, name="wnp.roll", label="NumPy integers"))
add(same(lambda m, x: m.tile(x, np.int64(2)), _uniform((3,)), name="wnp.tile", label="NumPy integer"))
add(same(lambda m, x: m.split(x, np.int64(2), axis=1), _m, name="wnp.split", label="NumPy integer"))
add(same(lambda m, x: m.moveaxis(x, np.int64(0), np.int64(2)), _t, name="wnp.moveaxis", label="NumPy integers"))
add(same(lambda m, x: m.expand_dims(x, np.int64(1)), _m, name="wnp.expand_dims", label="NumPy integer"))
add(same(lambda m, x: m.reshape(x, np.int64(12)), _m, name="wnp.reshape", label="NumPy integer"))

# --- more of NumPy: nan-aware extrema, parts, assembling and picking ----------------------------------

_with_nans = np.array([[np.nan, 0.3, -1.2], [0.7, np.nan, 2.1]])
for _name in ("fmax", "fmin"):
    add(op(_name, *_distinct_pair((2, 3), (2, 3)), autograd=False))
    add(op(_name, _with_nans, np.array([[0.5, np.nan, -0.1], [1.4, -0.6, 1.0]]), label="nan", autograd=False,
           jax=False))
add(op("modf", _half_integers((2, 3)), autograd=False))
add(op("divmod", _x_mod, _y_mod, autograd=False))
add(same(lambda m, x: m.ldexp(x, np.array([1, -2, 3])), _uniform((2, 3)), name="wnp.ldexp", autograd=False))
add(same(lambda m, a, b: m.append(a, b), _uniform((2, 3)), _uniform((4,)), name="wnp.append", label="flattened",
         autograd=False))
add(same(lambda m, a, b: m.append(a, b, axis=0), _uniform((2, 3)), _uniform((1, 3)), name="wnp.append",
         label="axis=0", autograd=False))
add(same(lambda m, x: m.delete(x, np.array([0, 2]), axis=1), _m, name="wnp.delete", label="indices,axis=1",
         autograd=False))
add(same(lambda m, x: m.delete(x, slice(1, None, 3)), _m, name="wnp.delete", label="slice,flattened",
         autograd=False))
add(same(lambda m, x: m.compress(np.array([True, False, True]), x, axis=0), _m, name="wnp.compress",
         label="axis=0", autograd=False, jax=False))  # JAX's jit needs sizes known before the values
add(same(lambda m, x: m.compress(np.array([False, True]), x), _m, name="wnp.compress", label="flattened",
         autograd=False, jax=False))
add(same(lambda m, x: m.extract(np.arange(12).reshape(3, 4) % 3 == 0, x), _m, name="wnp.extract", autograd=False,
         jax=False))
add(same(lambda m, x, y: m.select([x > 0.5, x < -0.5], [x, y * x], 0.25), _nonzero((3, 4)), _uniform((4,)),
         name="wnp.select", autograd=False))
add(same(lambda m, x: m.dsplit(x, [1, 3]), _t, name="wnp.dsplit", autograd=False))
add(same(lambda m, x: m.unstack(x, axis=1), _t, name="wnp.unstack", autograd=False))
add(same(lambda m, x: m.ediff1d(x), _m, name="wnp.ediff1d", autograd=False))
add(same(lambda m, x, b: m.ediff1d(x, to_end=b, to_begin=-b), _uniform((4,)), _uniform((2,)), name="wnp.ediff1d",
         label="to_end,to_begin", autograd=False))
add(same(lambda m, a, b, c: m.block([[a, b], [c]]), _uniform((2, 3)), _uniform((2, 1)), _uniform((1, 4)),
         name="wnp.block", label="2-d", autograd=False))
add(same(lambda m, a, b: m.block([a, b]), _uniform((2,)), _uniform((3,)), name="wnp.block", label="1-d",
         autograd=False))
add(call("wnp.empty_like", wnp.empty_like, None, _uniform((2, 3)), order=0))

# HIPS autograd (1.x) has no derivative for these calls, or (marked) a wrong one; JAX checks them.
AUTOGRAD_GAPS = {
    "wnp.sinc[at 0]",  # autograd: nan at 0
    "wnp.prod[one zero]", "wnp.prod[one zero,axis=1]", "wnp.prod[two zeros]",  # autograd: nan at zeros
    "wnp.dstack[2-d]", "wnp.dstack[1-d]",  # autograd: zero gradient
    "wnp.repeat[axis=-1]",  # autograd: wrong gradient for a negative axis
    "wnp.fmod", "wnp.ptp[axis=0]", "wnp.vdot", "wnp.asarray",
    "wnp.cumprod", "wnp.cumprod[axis=0]", "wnp.cumprod[axis=-1]", "wnp.cumprod[axis=None]",
    "wnp.median[odd]", "wnp.median[even]", "wnp.median[axis=0]", "wnp.median[axis=(0,2)]",
    "wnp.median[axis=(2,0),keepdims]", "wnp.median[0-d]", "wnp.percentile[keepdims,axis=None]",
    "wnp.where[mask, (2,1)+(3,)]", "wnp.where[traced condition, broadcast]", "wnp.var[axis=(0,2)]",
    "wnp.transpose[axes=(1,-1,0)]", "wnp.broadcast_to[(2,3,4)]", "wnp.broadcast_to[0-d to (3,)]",
    "wnp.concatenate[axis=None]", "wnp.flip", "wnp.flip[axis=1]", "wnp.roll[shift=(1,5),axis=(0,1)]",
    "wnp.rot90[axes=(1,2)]", "wnp.tile[reps=2]", "wnp.repeat[per element,axis=0]",
    "wnp.pad[constant]", "wnp.pad[edge]", "wnp.pad[reflect]", "wnp.pad[symmetric]", "wnp.pad[wrap]",
    "wnp.pad[reflect,wide]", "wnp.pad[edge,3-d]", "wnp.pad[wrap,wider than 1 period]",
    "wnp.take[axis=None]", "wnp.take[axis=1,repeats]", "wnp.take[2-d indices]", "wnp.take[negative indices]",
    "wnp.take_along_axis[axis=1]", "wnp.take_along_axis[axis=0]",
    "wnp.sort", "wnp.sort[axis=0]", "wnp.sort[axis=None]", "wnp.sort[3-d,axis=1]",
    "wnp.diagonal", "wnp.diagonal[offset=1]", "wnp.diagonal[offset=-1]", "wnp.diagonal[axis1=2,axis2=0]",
    "wnp.diag[2-d]", "wnp.diag[2-d,k=1]", "wnp.trace[axis1=1,axis2=2]",
    "wnp.einsum[ii->]", "wnp.einsum[ii->i]", "wnp.einsum[iij->j]", "wnp.einsum[ii,i->i]",
    "wnp.einsum[ii (implicit trace)]", "wnp.outer[flattens]", "wnp.cross[batched,broadcast]",
}
CASES = [dataclasses.replace(case, autograd_fn=None) if case.name in AUTOGRAD_GAPS else case for case in CASES]

# The parts of complex numbers, on real arrays (complex values are not differentiated yet): imag is 0 and
# angle 0 or pi, both with derivative 0; real, conj and conjugate (above) are the identity.
CASES += [
    op("imag", _uniform((2, 3))),
    op("angle", _nonzero((2, 3))),
    op("angle", _nonzero((2, 3)), label="deg", kwargs={"deg": True}, autograd=False),  # autograd.numpy.angle has no deg
]
