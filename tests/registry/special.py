"""Registry cases for ``wengert.scipy.special`` and ``wengert.nn.functional``.

References: SciPy/NumPy for values, ``jax.scipy.special`` / ``jax.nn`` and
``autograd.scipy.special`` for derivatives. Sample points keep a distance of
at least 0.05 from kinks and domain edges, so that finite differences apply.
"""

import importlib

import numpy as np
import scipy.special as ss

import wengert.nn.functional as F
import wengert.scipy.special as wsp

from . import OpCase, rng


def _jax_special():
    return importlib.import_module("jax.scipy.special")


def _jax_nn():
    return importlib.import_module("jax.nn")


def _autograd_special():
    return importlib.import_module("autograd.scipy.special")


def _normal(shape, seed, scale=1.0):
    return scale * rng(seed).normal(size=shape)


def _uniform(shape, seed, low, high):
    return rng(seed).uniform(low, high, size=shape)


def _away_from_zero(shape, seed):
    """Normal samples moved 0.05 further from 0, for functions with a kink there."""
    x = _normal(shape, seed)
    return x + np.copysign(0.05, x)


def _unary_special(name, x, *, autograd=True, jax=True, jax_fn=None, **options):
    """A case for ``wsp.<name>`` against ``scipy.special.<name>`` (and JAX, HIPS autograd)."""
    return OpCase(
        f"wsp.{name}",
        getattr(wsp, name),
        (x,),
        numpy_fn=getattr(ss, name),
        jax_fn=jax_fn or ((lambda jnp, a: getattr(_jax_special(), name)(a)) if jax else None),
        autograd_fn=(lambda anp, a: getattr(_autograd_special(), name)(a)) if autograd else None,
        **options,
    )


def _jax_betaln(jnp, a, b):
    # JAX's own betaln takes seconds to compile; this is the same function in gammaln.
    gammaln = _jax_special().gammaln
    return gammaln(a) + gammaln(b) - gammaln(a + b)


def _jax_beta(jnp, a, b):
    return jnp.exp(_jax_betaln(jnp, a, b))


def _logsumexp_signed(a, b):
    return ss.logsumexp(a, axis=1, b=b, return_sign=True)[0]


_SCIPY_CASES = [
    _unary_special("erf", _normal((2, 3), 0)),
    _unary_special("erfc", _normal((2, 3), 1)),
    _unary_special("erfinv", _uniform((2, 3), 2, -0.9, 0.9)),
    _unary_special(
        "erfcinv",
        _uniform((2, 3), 3, 0.1, 1.9),
        autograd=False,
        jax_fn=lambda jnp, y: _jax_special().erfinv(1.0 - y),
    ),
    _unary_special("ndtr", _normal((2, 3), 4, 2.0), autograd=False),
    _unary_special("ndtri", _uniform((2, 3), 5, 0.05, 0.95), autograd=False),
    _unary_special("log_ndtr", np.array([-8.0, -2.5, -0.3, 0.7, 4.0]), autograd=False),
    _unary_special("gammaln", _uniform((2, 3), 6, 0.5, 4.0)),
    _unary_special("digamma", _uniform((2, 3), 7, 0.5, 4.0)),
    _unary_special("gamma", _uniform((2, 3), 8, 0.5, 3.0)),
    _unary_special("expit", _normal((2, 3), 9, 3.0)),
    _unary_special("logit", _uniform((2, 3), 10, 0.05, 0.95)),
    _unary_special(
        "log_expit",
        np.array([-30.0, -3.0, 0.0, 0.4, 3.0, 30.0]),
        autograd=False,
        jax_fn=lambda jnp, x: _jax_nn().log_sigmoid(x),
    ),
    _unary_special(
        "softplus",
        np.array([-30.0, -3.0, 0.0, 0.4, 3.0, 30.0]),
        autograd=False,
        jax_fn=lambda jnp, x: _jax_nn().softplus(x),
    ),
    _unary_special("entr", _uniform((2, 3), 11, 0.1, 2.0), autograd=False),
    OpCase(
        "wsp.psi",
        wsp.psi,
        (_uniform((3,), 12, 0.5, 4.0),),
        numpy_fn=ss.psi,
        jax_fn=lambda jnp, x: _jax_special().digamma(x),
    ),
    *[
        OpCase(
            f"wsp.polygamma[n={n}]",
            lambda x, n=n: wsp.polygamma(n, x),
            (_uniform((2, 3), 13 + n, 0.5, 4.0),),
            numpy_fn=lambda x, n=n: ss.polygamma(n, x),
            jax_fn=lambda jnp, x, n=n: _jax_special().polygamma(n, x),
            autograd_fn=lambda anp, x, n=n: _autograd_special().polygamma(n, x),
        )
        for n in (0, 1, 3)
    ],
    *[
        OpCase(
            f"wsp.{name}[broadcast]",
            getattr(wsp, name),
            (_uniform((2, 3), 20, 0.5, 3.0), _uniform((3,), 21, 0.5, 3.0)),
            numpy_fn=getattr(ss, name),
            jax_fn=jax_fn,
            autograd_fn=lambda anp, a, b, name=name: getattr(_autograd_special(), name)(a, b),
        )
        for name, jax_fn in (("beta", _jax_beta), ("betaln", _jax_betaln))
    ],
    OpCase(
        "wsp.xlogy[x has zeros]",
        wsp.xlogy,
        (np.array([[0.0, 1.5, -0.7], [0.0, 0.3, 2.0]]), _uniform((2, 3), 22, 0.2, 3.0)),
        numpy_fn=ss.xlogy,
        jax_fn=lambda jnp, x, y: _jax_special().xlogy(x, y),
    ),
    OpCase(
        "wsp.xlog1py[x has zeros]",
        wsp.xlog1py,
        (np.array([0.0, 1.5, -0.7, 0.4]), _uniform((4,), 23, -0.8, 3.0)),
        numpy_fn=ss.xlog1py,
        jax_fn=lambda jnp, x, y: _jax_special().xlog1py(x, y),
    ),
    OpCase(
        "wsp.logsumexp",
        wsp.logsumexp,
        (_normal((2, 3), 24, 3.0),),
        numpy_fn=ss.logsumexp,
        jax_fn=lambda jnp, a: _jax_special().logsumexp(a),
        autograd_fn=lambda anp, a: _autograd_special().logsumexp(a),
    ),
    OpCase(
        "wsp.logsumexp[axis=0,keepdims]",
        lambda a: wsp.logsumexp(a, axis=0, keepdims=True),
        (_normal((3, 4), 25, 3.0),),
        numpy_fn=lambda a: ss.logsumexp(a, axis=0, keepdims=True),
        jax_fn=lambda jnp, a: _jax_special().logsumexp(a, axis=0, keepdims=True),
    ),
    OpCase(
        "wsp.logsumexp[b]",
        lambda a, b: wsp.logsumexp(a, axis=(0, 2), b=b),
        (_normal((2, 3, 2), 26), _uniform((2, 1, 2), 27, 0.5, 2.0)),
        numpy_fn=lambda a, b: ss.logsumexp(a, axis=(0, 2), b=b),
        jax_fn=lambda jnp, a, b: _jax_special().logsumexp(a, axis=(0, 2), b=b),
    ),
    OpCase(
        "wsp.logsumexp[b,return_sign]",
        lambda a, b: wsp.logsumexp(a, axis=1, b=b, return_sign=True)[0],
        (_normal((2, 3), 28), np.array([[1.0, -3.0, 0.5], [-2.0, 0.25, 1.0]])),
        numpy_fn=_logsumexp_signed,
        jax_fn=lambda jnp, a, b: _jax_special().logsumexp(a, axis=1, b=b, return_sign=True)[0],
    ),
    *[
        OpCase(
            f"wsp.{name}[axis={axis}]",
            lambda x, name=name, axis=axis: getattr(wsp, name)(x, axis=axis),
            (_normal((3, 4), 29, 2.0),),
            numpy_fn=lambda x, name=name, axis=axis: getattr(ss, name)(x, axis=axis),
            jax_fn=lambda jnp, x, name=name, axis=axis: getattr(_jax_nn(), name)(
                x, axis=tuple(range(x.ndim)) if axis is None else axis
            ),
        )
        for name in ("softmax", "log_softmax")
        for axis in (None, 0, -1)
    ],
]


def _fixed_order(name, x, jax=False, autograd=True, **options):
    """A case for a Bessel-type ``wsp.<name>(x)`` (its order fixed by the name)."""
    return _unary_special(name, x, autograd=autograd, jax=jax, **options)


def _with_constant_first(name, first, x, *, jax=False, autograd=True, suffix="", **options):
    """A case for ``wsp.<name>(first, x)``, differentiated in ``x`` only (``first`` an order or shape)."""
    return OpCase(
        f"wsp.{name}[{suffix or first}]",
        lambda x, first=first: getattr(wsp, name)(first, x),
        (x,),
        numpy_fn=lambda x, first=first: getattr(ss, name)(first, x),
        jax_fn=(lambda jnp, x, first=first: getattr(_jax_special(), name)(first, x)) if jax else None,
        autograd_fn=(lambda anp, x, first=first: getattr(_autograd_special(), name)(first, x)) if autograd else None,
        **options,
    )


_POSITIVE = _uniform((2, 3), 60, 0.5, 4.0)
_REAL = _normal((2, 3), 61, 2.0)
_BESSEL_CASES = [
    *[_fixed_order(name, _REAL) for name in ("j0", "j1")],
    *[_fixed_order(name, _POSITIVE) for name in ("y0", "y1")],
    *[_fixed_order(name, _REAL, jax=True) for name in ("i0", "i1")],
    *[_fixed_order(name, _away_from_zero((2, 3), 62), jax=True, autograd=False) for name in ("i0e", "i1e")],
    *[_fixed_order(name, _POSITIVE, autograd=False) for name in ("k0", "k1", "k0e", "k1e")],
    _with_constant_first("jn", 3, _REAL),
    _with_constant_first("yn", 2, _POSITIVE),
    _with_constant_first("jv", 1.5, _POSITIVE, autograd=False),
    _with_constant_first("yv", 0.5, _POSITIVE, autograd=False),
    _with_constant_first("iv", 2.5, _POSITIVE),
    _with_constant_first("ive", 1.0, _away_from_zero((2, 3), 63)),
    _with_constant_first("kv", 1.5, _POSITIVE, autograd=False),
    _with_constant_first("kve", 0.5, _POSITIVE, autograd=False),
    OpCase(
        "wsp.iv[order array]",
        wsp.iv,
        (np.array([0.0, 1.0, 2.5]), _uniform((2, 3), 64, 0.5, 3.0)),
        argnums=(1,),
        numpy_fn=ss.iv,
    ),
]

_GAMMA_CASES = [
    _with_constant_first("gammainc", 2.5, _POSITIVE, jax=True),
    _with_constant_first("gammaincc", 0.7, _POSITIVE, jax=True),
    OpCase(
        "wsp.gammainc[a array]",
        wsp.gammainc,
        (_uniform((3,), 65, 0.5, 3.0), _uniform((2, 3), 66, 0.5, 3.0)),
        argnums=(1,),
        numpy_fn=ss.gammainc,
        jax_fn=lambda jnp, a, x: _jax_special().gammainc(a, x),
        autograd_fn=lambda anp, a, x: _autograd_special().gammainc(a, x),
    ),
    OpCase(
        "wsp.betainc",
        wsp.betainc,
        (_uniform((3,), 67, 0.5, 3.0), _uniform((2, 1), 68, 0.5, 3.0), _uniform((2, 3), 69, 0.1, 0.9)),
        argnums=(2,),
        numpy_fn=ss.betainc,
        jax_fn=lambda jnp, a, b, x: _jax_special().betainc(a, b, x),
    ),
    _unary_special("erfcx", np.array([-1.5, -0.2, 0.3, 2.0, 12.0]), autograd=False),
    _unary_special("rgamma", _uniform((2, 3), 70, -2.9, 4.0) + 0.05, jax=False),
    _unary_special("gammasgn", _uniform((2, 3), 71, -2.9, 4.0) + 0.05, order=0),
    *[
        OpCase(
            f"wsp.multigammaln[d={d}]",
            lambda a, d=d: wsp.multigammaln(a, d),
            (_uniform((2, 3), 72, 2.0, 5.0),),
            numpy_fn=lambda a, d=d: ss.multigammaln(a, d),
            jax_fn=lambda jnp, a, d=d: _jax_special().multigammaln(a, d),
            autograd_fn=lambda anp, a, d=d: _autograd_special().multigammaln(a, d),
        )
        for d in (1, 3)
    ],
]


def _activation(name, x, numpy_fn, jax_fn, fn=None, suffix=""):
    return OpCase(
        f"F.{name}{suffix}",
        fn or getattr(F, name),
        (x,),
        numpy_fn=numpy_fn,
        jax_fn=jax_fn,
    )


def _np_elu(x, alpha):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0)))


def _np_gelu_tanh(x):
    return 0.5 * x * (1.0 + np.tanh(np.sqrt(2.0 / np.pi) * (x + 0.044715 * x**3)))


_NN_CASES = [
    _activation("relu", _away_from_zero((2, 3), 40), lambda x: np.maximum(x, 0.0),
                lambda jnp, x: _jax_nn().relu(x)),
    _activation("leaky_relu", _away_from_zero((2, 3), 41), lambda x: np.where(x > 0, x, 0.2 * x),
                lambda jnp, x: _jax_nn().leaky_relu(x, 0.2),
                fn=lambda x: F.leaky_relu(x, 0.2), suffix="[negative_slope=0.2]"),
    _activation("elu", _away_from_zero((2, 3), 42), lambda x: _np_elu(x, 1.5),
                lambda jnp, x: _jax_nn().elu(x, 1.5), fn=lambda x: F.elu(x, alpha=1.5),
                suffix="[alpha=1.5]"),
    _activation("gelu", _normal((2, 3), 43, 2.0), lambda x: x * ss.ndtr(x),
                lambda jnp, x: _jax_nn().gelu(x, approximate=False)),
    _activation("gelu", _normal((2, 3), 44, 2.0), _np_gelu_tanh,
                lambda jnp, x: _jax_nn().gelu(x, approximate=True),
                fn=lambda x: F.gelu(x, approximate="tanh"), suffix="[tanh]"),
    _activation("silu", _normal((2, 3), 45, 2.0), lambda x: x * ss.expit(x),
                lambda jnp, x: _jax_nn().silu(x)),
    _activation("softplus", np.array([-30.0, -2.0, 0.0, 0.7, 15.0]), lambda x: np.logaddexp(0.0, x),
                lambda jnp, x: _jax_nn().softplus(x)),
    _activation("softplus", np.array([-10.0, -2.0, 0.0, 0.7, 5.0]), lambda x: np.logaddexp(0.0, 2 * x) / 2,
                lambda jnp, x: _jax_nn().softplus(2 * x) / 2,
                fn=lambda x: F.softplus(x, beta=2.0), suffix="[beta=2]"),
    _activation("logsigmoid", np.array([-30.0, -2.0, 0.0, 0.7, 30.0]), ss.log_expit,
                lambda jnp, x: _jax_nn().log_sigmoid(x)),
    _activation("sigmoid", _normal((2, 3), 46, 3.0), ss.expit, lambda jnp, x: _jax_nn().sigmoid(x)),
    _activation("tanh", _normal((2, 3), 47), np.tanh, lambda jnp, x: jnp.tanh(x)),
    _activation("softmax", _normal((3, 4), 48, 2.0), lambda x: ss.softmax(x, axis=-1),
                lambda jnp, x: _jax_nn().softmax(x, axis=-1)),
    _activation("log_softmax", _normal((3, 4), 49, 2.0), lambda x: ss.log_softmax(x, axis=0),
                lambda jnp, x: _jax_nn().log_softmax(x, axis=0),
                fn=lambda x: F.log_softmax(x, dim=0), suffix="[dim=0]"),
    OpCase(
        "F.one_hot",
        lambda labels: F.one_hot(labels, num_classes=4),
        (np.array([[0, 3], [2, 2]]),),
        argnums=(),
        order=0,
        numpy_fn=lambda labels: np.eye(4, dtype=np.int64)[labels],
        jax_fn=lambda jnp, labels: _jax_nn().one_hot(labels, 4, dtype=jnp.int64),
        float32=False,
    ),
]

CASES = _SCIPY_CASES + _BESSEL_CASES + _GAMMA_CASES + _NN_CASES
