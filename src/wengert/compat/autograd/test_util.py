"""``autograd.test_util``: ``check_grads(f, argnum=0, modes=..., order=2)(*args)``, autograd's check, on wengert.

The check is autograd's, so a test written against autograd means the same here,
complex values included: with ``vspace(x).randn()`` directions (complex ones for a
complex ``x``: real and imaginary parts both perturbed), ``"fwd"`` compares
``make_jvp(f, x)(v)`` with the central difference ``(f(x + v eps/2) - f(x - v eps/2)) / eps``,
and ``"rev"`` compares the pairing ``<v, covector(vjp(covector(u)))>`` with ``<u, J v>``
(the pairing of a complex space is ``Re(sum(conj(a) b))``, its covector ``conj``; so a
VJP passes when it is the *transpose* of the JVP, the convention autograd and JAX share).
For ``order > 1`` the same runs, one order lower, on ``(x, v) -> J v`` and ``(x, u) -> vjp(u)``.
A failure raises ``GradientCheckError`` (an ``AssertionError``, as in autograd) whose message
has autograd's ``"(VJP) check of NAME failed"`` or ``"(JVP) check of NAME failed"``.
"""

from __future__ import annotations

from collections.abc import Callable
from itertools import product

from wengert.errors import ArgumentError, GradientCheckError

from .core import make_jvp, make_vjp, vspace
from .wrap_util import unary_to_nary

TOL = 1e-6
RTOL = 1e-6
EPS = 1e-6


def scalar_close(a, b) -> bool:
    """autograd's closeness of two numbers: within ``TOL`` absolutely or ``RTOL`` relatively."""
    return abs(a - b) < TOL or abs(a - b) / abs(a + b) < RTOL


def _numerical_jvp(f: Callable, x) -> Callable:
    """``v -> (f(x + v eps/2) - f(x - v eps/2)) / eps``, the central difference along ``v``."""
    x_vs, y_vs = vspace(x), vspace(f(x))

    def jvp(v):
        plus = f(x_vs.add(x, x_vs.scalar_mul(v, EPS / 2)))
        minus = f(x_vs.add(x, x_vs.scalar_mul(v, -EPS / 2)))
        return y_vs.scalar_mul(y_vs.add(plus, y_vs.scalar_mul(minus, -1.0)), 1.0 / EPS)

    return jvp


def _name(f: Callable) -> str:
    return getattr(f, "__name__", "[unknown name]")


def _disagree(mode: str, order: int, f: Callable, x, analytic, numeric) -> GradientCheckError:
    error = abs(analytic - numeric)
    label = "VJP" if mode == "rev" else "JVP"
    return GradientCheckError(
        f"Derivative ({label}) check of {_name(f)} failed with arg {x} (order {order}):\n"
        f"analytic: {analytic}\nnumeric:  {numeric}",
        mode=mode, order=order, where=f"<direction, {label}>", index=(), analytic=analytic, numeric=numeric,
        abs_error=error, rel_error=error / max(abs(numeric), 1e-300),
    )  # fmt: skip


def _check_vjp(f: Callable, x, order: int) -> None:
    """``<v, vjp(u)>`` against ``<u, (f(x + v eps/2) - f(x - v eps/2)) / eps>`` for random ``u`` and ``v``."""
    vjp, y = make_vjp(f, x)
    x_vs, y_vs = vspace(x), vspace(y)
    x_v, y_v = x_vs.randn(), y_vs.randn()
    vjp_y = x_vs.covector(vjp(y_vs.covector(y_v)))
    if vspace(vjp_y) != x_vs:
        raise GradientCheckError(
            f"Derivative (VJP) check of {_name(f)} failed: the cotangent's space {vspace(vjp_y)} is not the "
            f"input's {x_vs}.",
            mode="rev", order=order, where="cotangent", index=(), analytic=None, numeric=None, abs_error=None,
            rel_error=None,
        )  # fmt: skip
    exact = float(x_vs.inner_prod(x_v, vjp_y))
    numeric = float(y_vs.inner_prod(y_v, _numerical_jvp(f, x)(x_v)))
    if not scalar_close(numeric, exact):
        raise _disagree("rev", order, f, x, exact, numeric)


def _check_jvp(f: Callable, x, order: int) -> None:
    """``make_jvp(f, x)(v)`` against the central difference along a random ``v``, paired with a random vector."""
    x_v = vspace(x).randn()
    exact, numeric = make_jvp(f, x)(x_v)[1], _numerical_jvp(f, x)(x_v)
    y_vs = vspace(exact)
    if y_vs != vspace(numeric):
        raise GradientCheckError(
            f"Derivative (JVP) check of {_name(f)} failed: VSpace mismatch:\nx: {y_vs}\ny: {vspace(numeric)}",
            mode="fwd", order=order, where="tangent", index=(), analytic=None, numeric=None, abs_error=None,
            rel_error=None,
        )  # fmt: skip
    v = y_vs.randn()
    exact, numeric = float(y_vs.inner_prod(exact, v)), float(y_vs.inner_prod(numeric, v))
    if not scalar_close(exact, numeric):
        raise _disagree("fwd", order, f, x, exact, numeric)


def _check_grads(f: Callable, x, modes: tuple, order: int, level: int) -> None:
    """autograd's recursion: check ``f`` at ``x``, then its JVP and VJP functions of ``(x, direction)``."""
    if "fwd" in modes:
        _check_jvp(f, x, level)
        if order > 1:

            def jvp_f(pair):
                return make_jvp(f, pair[0])(pair[1])[1]

            jvp_f.__name__ = f"jvp_{_name(f)}"
            _check_grads(jvp_f, (x, vspace(x).randn()), modes, order - 1, level + 1)
    if "rev" in modes:
        _check_vjp(f, x, level)
        if order > 1:

            def vjp_f(pair):
                return make_vjp(f, pair[0])[0](pair[1])

            vjp_f.__name__ = f"vjp_{_name(f)}"
            _check_grads(vjp_f, (x, vspace(f(x)).randn()), modes, order - 1, level + 1)


@unary_to_nary
def check_grads(f: Callable, x, modes=("fwd", "rev"), order: int = 2) -> None:
    """Check ``f``'s derivatives in argument ``argnum`` in ``modes`` up to ``order``; raise if one is wrong.

    >>> import numpy as np
    >>> import wengert.compat.autograd.numpy as anp
    >>> check_grads(anp.tanh, modes=["rev"], order=2)(np.linspace(-1.0, 1.0, 3))
    >>> check_grads(lambda z: anp.abs(anp.sin(z)))(np.array([1.0 + 2.0j, -0.5j]))
    """
    modes = (modes,) if isinstance(modes, str) else tuple(modes)
    if not modes or any(mode not in ("fwd", "rev") for mode in modes):
        raise ArgumentError(f"check_grads: modes must be chosen from ['fwd', 'rev'], got {list(modes)!r}.")
    _check_grads(f, x, modes, order, 1)


def check_equivalent(x, y) -> None:
    """Assert that ``x`` and ``y`` lie in the same vector space and are equal (to autograd's tolerance)."""
    x_vs, y_vs = vspace(x), vspace(y)
    assert x_vs == y_vs, f"VSpace mismatch:\nx: {x_vs}\ny: {y_vs}"
    v = x_vs.randn()
    assert scalar_close(float(x_vs.inner_prod(x, v)), float(x_vs.inner_prod(y, v))), f"Value mismatch:\nx: {x}\ny: {y}"


def combo_check(fun: Callable, *args, **kwargs) -> Callable:
    """``check_grads`` of ``fun`` on every combination of the given argument and keyword values."""
    checker = lambda f: check_grads(f, *args, **kwargs)  # noqa: E731 - autograd's shape, kept readable

    def _combo_check(*args, **kwargs):
        keyword_values = [[(key, value) for value in values] for key, values in kwargs.items()]
        for positional in product(*args):
            for keywords in product(*keyword_values):
                checker(fun)(*positional, **dict(keywords))

    return _combo_check
