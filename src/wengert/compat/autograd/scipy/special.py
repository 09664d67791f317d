"""``autograd.scipy.special``: ``wengert.scipy.special``, and SciPy's other names as SciPy has them.

The functions wengert covers are differentiable on traced values (``logsumexp`` by autograd's rule,
``_autograd_rules``); SciPy's others
(where SciPy is installed) run on plain arrays only, and a traced value passed to
one raises ``TracerError``.
"""

import wengert.numpy as _wnp
import wengert.scipy.special as _wsp
from wengert._src.primitives.rules import normalize_axis
from wengert.scipy.special import *  # noqa: F403 - the namespace is the point of this module

from .._autograd_rules import autograd_logsumexp
from ._scipy_names import add_scipy_names

add_scipy_names(globals(), "scipy.special", _wsp.__all__)


def logsumexp(a, axis=None, b=None, keepdims: bool = False, return_sign: bool = False):
    """SciPy's ``logsumexp``; without ``b`` and ``return_sign``, with autograd's rule (``g exp(a - ans)``)."""
    if b is not None or return_sign:
        return _wsp.logsumexp(a, axis, b, keepdims, return_sign)
    a = _wnp.asarray(a)
    if a.dtype.kind not in "fc":
        a = a.astype(float)
    return autograd_logsumexp(a, axis=normalize_axis(axis, a.ndim), keepdims=bool(keepdims))
