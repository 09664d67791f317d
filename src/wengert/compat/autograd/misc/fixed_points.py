"""``autograd.misc.fixed_points``: ``fixed_point(f, a, x0, distance, tol)``, differentiated implicitly.

The forward pass iterates ``x <- f(a)(x)`` from ``x0`` until ``distance(x, x_new) < tol``.
Its derivative in ``a`` does not go through the iterations: at the fixed point
``x* = f(a)(x*)``, the implicit function theorem gives ``ā = (∂f/∂a)ᵀ w`` with
``w = ḡ + (∂f/∂x)ᵀ w``, the adjoint fixed point, found by the same iteration. ``x0``
gets no derivative (the fixed point does not depend on it). The adjoint is found by
``fixed_point`` itself, so second derivatives are implicit as well, as in autograd.

>>> import numpy as np, wengert.compat.autograd as ag
>>> sqrt = lambda a: fixed_point(lambda a: lambda x: 0.5 * (x + a / x), a, 1.0,
...                              lambda x, y: abs(x - y), 1e-12)
>>> round(float(sqrt(2.0)), 12), round(float(ag.grad(sqrt)(2.0)), 8)  # d sqrt(a) = 1 / (2 sqrt(a))
(1.414213562373, 0.35355339)
"""

import wengert
import wengert.numpy as wnp

__all__ = ["fixed_point"]


def _solve(f, distance, tol, a, x0):
    update = f(a)
    x, x_new = x0, update(x0)
    while distance(x, x_new) >= tol:
        x, x_new = x_new, update(x_new)
    return x_new


def _forward(f, distance, tol, a, x0):
    # The custom function again, not _solve: a transform outside this one then also sees the
    # fixed point as one implicit operation instead of the unrolled iterations.
    x_star = _fixed_point(f, distance, tol, a, x0)
    return x_star, (a, x_star, x0)


def _adjoint_update(params):
    """``w -> (∂f/∂x)ᵀ w + ḡ`` at the fixed point: its own fixed point is the adjoint."""
    f, a, x_star, g = params
    _, pull_x = wengert.vjp(f(a), x_star)
    return lambda w: pull_x(w)[0] + g


def _backward(f, distance, tol, residuals, g):
    a, x_star, x0 = residuals
    adjoint = fixed_point(
        lambda params: _adjoint_update((f, *params)), (a, x_star, g), wnp.zeros_like(g), distance, tol
    )
    _, pull_a = wengert.vjp(lambda a: f(a)(x_star), a)
    return pull_a(adjoint)[0], wnp.zeros_like(x0)


_fixed_point = wengert.custom_vjp(_solve, nondiff_argnums=(0, 1, 2))
_fixed_point.defvjp(_forward, _backward)


def fixed_point(f, a, x0, distance, tol):
    """The fixed point of ``f(a)`` reached from ``x0``, differentiable in ``a`` (reverse mode).

    The adjoint is itself found by ``fixed_point``, so higher derivatives are implicit too.
    """
    return _fixed_point(f, distance, tol, a, x0)
