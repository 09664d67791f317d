"""Registry cases for the compat package's primitives with autograd's own rules (``_autograd_rules``).

``wengert.compat.autograd``'s ``numpy.tanh``, ``scipy.special.logsumexp`` and
``scipy.stats.norm.logpdf`` / ``t.logpdf`` are primitives of their own, which
differentiate by autograd's formulas (so an autograd program's gradients round as
on autograd); they are swept like every other function, and compared with HIPS
autograd's.
"""

import importlib

import numpy as np
import scipy.special as ss
import scipy.stats as st

import wengert.compat.autograd.numpy as anp
import wengert.compat.autograd.scipy.special as asp
import wengert.compat.autograd.scipy.stats.norm as anorm
import wengert.compat.autograd.scipy.stats.t as at

from . import OpCase, rng


def _autograd(module: str, name: str):
    """The real autograd's ``module.name``, called as the registry calls peers (the numpy module first)."""
    return lambda np_module, *args: getattr(importlib.import_module(module), name)(*args)


_POSITIVE = rng(91).uniform(0.5, 1.5, size=(3, 1))

CASES = [
    OpCase("ag.tanh", anp.tanh, (rng(90).uniform(-2.0, 2.0, size=(2, 3)),), numpy_fn=np.tanh,
           autograd_fn=lambda np_module, x: np_module.tanh(x)),
    OpCase("ag.logsumexp", asp.logsumexp, (rng(92).normal(size=(2, 3)),), numpy_fn=ss.logsumexp,
           autograd_fn=_autograd("autograd.scipy.special", "logsumexp")),
    OpCase("ag.logsumexp[axis=1,keepdims]", lambda x: asp.logsumexp(x, axis=1, keepdims=True),
           (rng(93).normal(size=(2, 3)),), numpy_fn=lambda x: ss.logsumexp(x, axis=1, keepdims=True),
           autograd_fn=lambda np_module, x: importlib.import_module("autograd.scipy.special").logsumexp(
               x, axis=1, keepdims=True)),
    OpCase("ag.logsumexp[axis=(0,2)]", lambda x: asp.logsumexp(x, axis=(0, 2)), (rng(94).normal(size=(2, 3, 2)),),
           numpy_fn=lambda x: ss.logsumexp(x, axis=(0, 2))),
    OpCase("ag.norm.logpdf", anorm.logpdf, (rng(95).normal(size=(3, 2)), rng(96).normal(size=(3, 2)), _POSITIVE),
           numpy_fn=st.norm.logpdf, autograd_fn=_autograd("autograd.scipy.stats.norm", "logpdf")),
    OpCase("ag.norm.logpdf[x]", lambda x: anorm.logpdf(x, 0.0, 0.7), (rng(97).normal(size=(4,)),),
           numpy_fn=lambda x: st.norm.logpdf(x, 0.0, 0.7)),
    OpCase("ag.t.logpdf", at.logpdf,
           (rng(98).normal(size=(3, 2)), np.array([[2.4], [3.0], [5.5]]), rng(99).normal(size=(2,)), _POSITIVE),
           numpy_fn=st.t.logpdf, autograd_fn=_autograd("autograd.scipy.stats.t", "logpdf"), rtol=1e-4),
]  # fmt: skip
