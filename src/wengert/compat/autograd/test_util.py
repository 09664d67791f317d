"""``autograd.test_util``: ``check_grads(f, argnum=0, modes=..., order=2)(*args)``, against finite differences.

It runs ``wengert.check.check_grads`` on the differentiated argument: forward
mode along random directions, reverse mode with random cotangents, and, for
``order > 1``, the same on the derivative functions themselves. A failure raises
``GradientCheckError``, an ``AssertionError`` as in autograd.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import product

import numpy as _np

from wengert import check as _check
from wengert.errors import ArgumentError

from .core import vspace
from .wrap_util import unary_to_nary

TOL = 1e-6
RTOL = 1e-6
EPS = 1e-6


def scalar_close(a, b) -> bool:
    """autograd's closeness of two numbers: within ``TOL`` absolutely or ``RTOL`` relatively."""
    return abs(a - b) < TOL or abs(a - b) / abs(a + b) < RTOL


@unary_to_nary
def check_grads(f: Callable, x, modes=("fwd", "rev"), order: int = 2) -> None:
    """Check ``f``'s derivatives in argument ``argnum`` in ``modes`` up to ``order``; raise if one is wrong.

    >>> import numpy as np
    >>> import wengert.compat.autograd.numpy as anp
    >>> check_grads(anp.tanh, modes=["rev"], order=2)(np.linspace(-1.0, 1.0, 3))
    """
    modes = (modes,) if isinstance(modes, str) else tuple(modes)
    if not modes or any(mode not in ("fwd", "rev") for mode in modes):
        raise ArgumentError(f"check_grads: modes must be chosen from ['fwd', 'rev'], got {list(modes)!r}.")
    _check.check_grads(f, (x,), order=order, modes=modes)


def check_equivalent(x, y) -> None:
    """Assert that ``x`` and ``y`` lie in the same vector space and are equal (to autograd's tolerance)."""
    x_vs, y_vs = vspace(x), vspace(y)
    assert x_vs == y_vs, f"VSpace mismatch:\nx: {x_vs}\ny: {y_vs}"
    v = x_vs.randn()
    assert scalar_close(float(_np.real(x_vs.inner_prod(x, v))), float(_np.real(x_vs.inner_prod(y, v)))), (
        f"Value mismatch:\nx: {x}\ny: {y}"
    )


def combo_check(fun: Callable, *args, **kwargs) -> Callable:
    """``check_grads`` of ``fun`` on every combination of the given argument and keyword values."""
    checker = lambda f: check_grads(f, *args, **kwargs)  # noqa: E731 - autograd's shape, kept readable

    def _combo_check(*args, **kwargs):
        keyword_values = [[(key, value) for value in values] for key, values in kwargs.items()]
        for positional in product(*args):
            for keywords in product(*keyword_values):
                checker(fun)(*positional, **dict(keywords))

    return _combo_check
