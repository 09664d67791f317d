"""Primitives with autograd's own derivative formulas: ``tanh``, ``logsumexp``, ``norm.logpdf``, ``t.logpdf``.

wengert's functions of these names are exact to rounding, and some are faster
(``wengert.numpy.tanh`` pulls back through its output, ``g (1 - tanh(x)^2)``), but
they round differently from autograd: autograd takes ``tanh'`` as ``1 / cosh(x)^2``,
pulls ``logsumexp`` back as ``g exp(x - ans)``, and gives the normal and Student t
log-densities closed-form VJPs, where wengert differentiates their formulas. An
optimizer amplifies a difference of a few ulp in the gradient until a trained model
prints other numbers (docs/autograd_migration.md). The compat package's namespaces
(``autograd.numpy.tanh``, ``autograd.scipy.special.logsumexp``,
``autograd.scipy.stats.norm.logpdf``, ``autograd.scipy.stats.t.logpdf``) are these
primitives, so a program gets autograd's gradients bit for bit; ``wengert.numpy``
keeps its own rules.

Each is a primitive like any other (registry cases in ``tests/registry/autograd_rules.py``,
swept): the value as autograd computes it (NumPy's ``tanh``, SciPy's ``logsumexp`` and
log-densities, in the inputs' floating dtype), autograd's VJP formulas, JVPs of the same
formulas, and rules written in wengert's operations, so they differentiate to every order.
"""

from __future__ import annotations

import scipy.special
import scipy.stats

import wengert.numpy as wnp
from wengert._src.backend import xp
from wengert._src.core.primitive import Primitive
from wengert._src.primitives.rules import elementwise_flops, input_flops
from wengert._src.primitives.structural import broadcasting_batch, reduction_batch
from wengert.scipy.special import psi

from .numpy.numpy_vjps import metadata, unbroadcast

__all__ = ["autograd_logsumexp", "autograd_norm_logpdf", "autograd_t_logpdf", "autograd_tanh"]


autograd_tanh = Primitive(
    "autograd_tanh",
    xp.tanh,
    jvps=(lambda t, ans, x: t / wnp.cosh(x) ** 2,),
    vjps=(lambda g, ans, x: g / wnp.cosh(x) ** 2,),
    batch=lambda args, dims: broadcasting_batch(autograd_tanh, args, dims),
    flops=elementwise_flops,
    doc="tanh(x) with autograd's rule: d tanh(x) = dx / cosh(x)^2.",
)


def logsumexp_value(x, axis, keepdims):
    """SciPy's ``logsumexp`` (autograd's value) in ``x``'s dtype."""
    return xp.asarray(scipy.special.logsumexp(x, axis=axis, keepdims=keepdims), dtype=x.dtype)


def _repeated(value, shape: tuple, axis):
    """``value`` (reduced over ``axis``) broadcast back to ``shape``: autograd's ``repeat_to_match_shape``."""
    if shape == ():
        return value
    kept = tuple(1 if axis is None or i in axis else size for i, size in enumerate(shape))
    return wnp.broadcast_to(wnp.reshape(value, kept), shape)


def _logsumexp_vjp(g, ans, x, axis, keepdims):
    """``g exp(x - ans)``, ``g`` and ``ans`` broadcast back over the reduced axes (autograd's rule)."""
    return _repeated(g, x.shape, axis) * wnp.exp(x - _repeated(ans, x.shape, axis))


def _logsumexp_jvp(t, ans, x, axis, keepdims):
    return wnp.sum(t * wnp.exp(x - _repeated(ans, x.shape, axis)), axis=axis, keepdims=keepdims)


autograd_logsumexp = Primitive(
    "autograd_logsumexp",
    logsumexp_value,
    jvps=(_logsumexp_jvp,),
    vjps=(_logsumexp_vjp,),
    batch=lambda args, dims, **params: reduction_batch(autograd_logsumexp, args, dims, **params),
    flops=input_flops,
    doc="log(sum(exp(x))) over ``axis`` (None: all; else a sorted tuple), SciPy's value, autograd's rule: "
    "d = sum(exp(x - ans) dx).",
)


def norm_logpdf_value(x, loc, scale):
    """SciPy's normal ``logpdf`` (autograd's value), in the floating dtype of the arguments."""
    return xp.asarray(scipy.stats.norm.logpdf(x, loc, scale), dtype=xp.result_type(x, loc, scale))


def t_logpdf_value(x, df, loc, scale):
    """SciPy's Student t ``logpdf`` (autograd's value), in the floating dtype of the arguments."""
    return xp.asarray(scipy.stats.t.logpdf(x, df, loc, scale), dtype=xp.result_type(x, df, loc, scale))


def _vjp(argnum: int, cotangent):
    """The VJP of argument ``argnum``: ``cotangent(g, *args)``, autograd's expression, summed back to the
    argument's shape axis by axis, as autograd's ``unbroadcast_f`` sums."""

    def vjp(g, ans, *args):
        return unbroadcast(cotangent(g, *args), metadata(args[argnum]))

    return vjp


def _jvp(derivative):
    return lambda t, ans, *args: t * derivative(*args)


def _norm_dx(x, loc, scale):
    return -(x - loc) / scale**2


def _norm_dloc(x, loc, scale):
    return (x - loc) / scale**2


def _norm_dscale(x, loc, scale):
    return -1.0 / scale + (x - loc) ** 2 / scale**3


_NORM_VJPS = (  # autograd's expressions, rounding included
    lambda g, x, loc, scale: -g * (x - loc) / scale**2,
    lambda g, x, loc, scale: g * (x - loc) / scale**2,
    lambda g, x, loc, scale: g * _norm_dscale(x, loc, scale),
)

autograd_norm_logpdf = Primitive(
    "autograd_norm_logpdf",
    norm_logpdf_value,
    jvps=(_jvp(_norm_dx), _jvp(_norm_dloc), _jvp(_norm_dscale)),
    vjps=tuple(_vjp(i, rule) for i, rule in enumerate(_NORM_VJPS)),
    batch=lambda args, dims: broadcasting_batch(autograd_norm_logpdf, args, dims),
    flops=elementwise_flops,
    doc="The normal log-density log N(x; loc, scale^2), SciPy's value, autograd's closed-form rules: "
    "d/dx = -(x - loc) / scale^2, d/dloc = (x - loc) / scale^2, d/dscale = -1 / scale + (x - loc)^2 / scale^3.",
)


def _t_ddiff(diff, df):
    return -diff * (1.0 + df) / (diff**2 + df)


def _t_dx(x, df, loc, scale):
    return _t_ddiff((x - loc) / scale, df) / scale


def _t_dloc(x, df, loc, scale):
    return -_t_ddiff((x - loc) / scale, df) / scale


def _t_dscale(x, df, loc, scale):
    diff = x - loc
    return -(df * (scale**2 - diff**2)) / (scale * (df * scale**2 + diff**2))


def _t_ddf(x, df, loc, scale):
    y = (x - loc) / scale
    return 0.5 * (
        (y**2 * (df + 1)) / (df * (y**2 + df)) - wnp.log(y**2 / df + 1) - 1.0 / df - psi(df / 2.0) + psi((df + 1) / 2.0)
    )


_T_DERIVATIVES = (_t_dx, _t_ddf, _t_dloc, _t_dscale)

autograd_t_logpdf = Primitive(
    "autograd_t_logpdf",
    t_logpdf_value,
    jvps=tuple(_jvp(d) for d in _T_DERIVATIVES),
    vjps=tuple(_vjp(i, lambda g, *args, d=d: g * d(*args)) for i, d in enumerate(_T_DERIVATIVES)),
    batch=lambda args, dims: broadcasting_batch(autograd_t_logpdf, args, dims),
    flops=elementwise_flops,
    doc="Student's t log-density with ``df`` degrees of freedom, SciPy's value, autograd's closed-form rules "
    "in x, df (through digamma), loc and scale.",
)
